"""Tests of vmb.describe."""

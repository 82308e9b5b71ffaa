"""Tests of vmb.serve."""

"""Tests of vmb.generate."""

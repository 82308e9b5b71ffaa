"""Tests of vmb.listen."""

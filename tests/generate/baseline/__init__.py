"""Tests of vmb.generate.baseline."""

"""Tests of vmb.evaluate."""

"""Tests of vmb.render."""

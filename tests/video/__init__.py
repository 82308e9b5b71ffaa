"""Tests of vmb.video."""

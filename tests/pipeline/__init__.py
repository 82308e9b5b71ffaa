"""Tests of vmb.pipeline."""

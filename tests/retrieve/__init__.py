"""Tests of vmb.retrieve."""

"""Tests of vmb.cli."""

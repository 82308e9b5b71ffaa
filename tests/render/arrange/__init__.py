"""Tests of vmb.render.arrange."""

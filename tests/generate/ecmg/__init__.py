"""Tests of vmb.generate.ecmg."""

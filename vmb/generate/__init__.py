"""Generation: the baseline composer (``vmb.generate.baseline``) and the ECMG model.

Import the submodule you need; this package imports nothing heavy on its own.
"""

"""Generation: two composers that turn a request's plan and references into a lead sheet.

- :mod:`vmb.generate.baseline`: re-composes the retrieved tune (lead sheets only, no torch);
- :mod:`vmb.generate.ecmg`: the ECMG diffusion model (DiT + ControlFormer) with its piano-roll
  representation, checkpoints and training.

``vmb/pipeline/composers.py`` registers both behind the ``Composer`` protocol. This package
imports nothing heavy on its own; import the subpackage you need.
"""

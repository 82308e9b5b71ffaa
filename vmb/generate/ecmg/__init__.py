"""ECMG: the explicitly conditioned music generator (a DiT with a ControlFormer), end to end.

In the order a request meets them:

- the piano roll, the model's only view of music: :mod:`~vmb.generate.ecmg.layout` (its grid
  of 16th-note rows and 74 channels), :mod:`~vmb.generate.ecmg.roll` (the ``Representation``
  protocol and the ``PianoRoll`` codec, lead sheet <-> roll; its name is stored in every
  checkpoint and checked on load), :mod:`~vmb.generate.ecmg.compact` (the roll as stored for
  data sets), :mod:`~vmb.generate.ecmg.chords` (the chord templates the decoder names chroma
  by) and :mod:`~vmb.generate.ecmg.roll_edit` (windows, parallel mode, melody density);
- :mod:`~vmb.generate.ecmg.conditioning`: the conditions and their cross-attention tokens;
- :mod:`~vmb.generate.ecmg.dit`, :mod:`~vmb.generate.ecmg.controlformer`,
  :mod:`~vmb.generate.ecmg.model`: ``nn.Module`` s that see only tensors;
- :mod:`~vmb.generate.ecmg.sampler`: rectified-flow noising and the sampling loop;
- :mod:`~vmb.generate.ecmg.longform`: any length as overlapping 4-bar windows;
- :mod:`~vmb.generate.ecmg.pipeline`: wires them, ``load_ecmg(path)(attributes=...)``;
- :mod:`~vmb.generate.ecmg.checkpoint`: checkpoint files (format, version, config), generic
  over the model class;
- :mod:`~vmb.generate.ecmg.data`, :mod:`~vmb.generate.ecmg.train`,
  :mod:`~vmb.generate.ecmg.metrics`: training data, the training loop, validation checks.
"""

from vmb.generate.ecmg.pipeline import EcmgPipeline, EcmgResult, default_checkpoint_path, load_ecmg

__all__ = ["EcmgPipeline", "EcmgResult", "default_checkpoint_path", "load_ecmg"]

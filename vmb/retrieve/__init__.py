"""The music bridge: the shipped tune corpus and dual-track (broad + targeted) selection.

``load_tune_metadata`` (fast, tags only), ``load_tune``, ``load_tunes`` and
``load_tune_embeddings`` read ``vmb/data``; ``select_tunes`` picks references.
Building the corpus (``vmb.retrieve.corpus``) needs music21 and is imported only by the builder.
"""

from vmb.retrieve.select import select_tunes, tune_energy
from vmb.retrieve.tunes import load_tune, load_tune_embeddings, load_tune_metadata, load_tunes

__all__ = ["load_tune", "load_tune_embeddings", "load_tune_metadata", "load_tunes", "select_tunes", "tune_energy"]

"""Render: arrangement, SoundFont synthesis, mastering and file writing (the paper's decoder 𝒟).

Two halves: :mod:`vmb.render.arrange` writes the notes (lead sheet -> multi-track Score); the
modules beside it make the sound (``soundfont`` with ``fluid``, ``synth`` and ``analog``, then
``mix``, ``master``) and the files (``writers``, ``midi``, ``plot``).
"""

from .arrange import arrange, planned_tracks  # the function: vmb.render.arrange(...) arranges
from .master import die_away, loudness_lufs, master, peak_level_dbfs, room_reverb
from .midi import read_midi, write_midi
from .mix import MixResult, Stem, mix_parts
from .plot import plot_score, plot_waveform
from .soundfont import SAMPLE_RATE, find_soundfont, preload, synthesize, synthesize_parts
from .writers import atomic_path, write_audio, write_json

__all__ = [
    "SAMPLE_RATE",
    "MixResult",
    "Stem",
    "arrange",
    "atomic_path",
    "die_away",
    "find_soundfont",
    "loudness_lufs",
    "master",
    "mix_parts",
    "peak_level_dbfs",
    "planned_tracks",
    "plot_score",
    "plot_waveform",
    "preload",
    "read_midi",
    "room_reverb",
    "synthesize",
    "synthesize_parts",
    "write_audio",
    "write_json",
    "write_midi",
]

"""plot_score / plot_waveform write readable PNGs, also for edge cases (drums only, silence, mono)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from vmb import VmbError
from vmb.render import plot_score, plot_waveform
from vmb.types import Note, Score, Section, TempoChange, Track


def _png_size(path) -> tuple[int, int]:
    with Image.open(path) as img:
        assert img.format == "PNG"
        return img.size


def test_plot_score_with_tracks_drums_and_sections(tmp_path):
    score = Score(
        [
            Track("melody", 73, [Note(72 + i % 5, float(i), 1.0, 60 + 10 * (i % 5)) for i in range(16)], instrument="flute"),
            Track("bass", 33, [Note(36, 4.0 * i, 4.0) for i in range(4)]),
            Track("kit", 0, [Note([36, 38, 42][i % 3], 0.5 * i, 0.25) for i in range(32)], is_drum=True),
        ],
        [TempoChange(0.0, 100.0), TempoChange(8.0, 140.0)],
        sections=[Section("intro", 0, 8), Section("A", 8, 16)],
        length_beats=16.0,
    )
    width, height = _png_size(plot_score(score, tmp_path / "roll.png"))
    assert width > 800 and height > 400
    assert os.listdir(tmp_path) == ["roll.png"]


def test_plot_score_edge_cases(tmp_path):
    drums_only = Score([Track("kit", 0, [Note(36, 0, 0.5), Note(49, 1, 0.5)], is_drum=True)])
    plot_score(drums_only, tmp_path / "drums.png")
    plot_score(Score([Track("empty", 0)]), tmp_path / "empty.png")
    assert _png_size(tmp_path / "drums.png")[0] > 0 and _png_size(tmp_path / "empty.png")[0] > 0


def test_plot_waveform_stereo_mono_and_silence(tmp_path):
    sr = 8000
    t = np.arange(3 * sr) / sr
    stereo = np.stack([0.5 * np.sin(2 * np.pi * 220 * t) * (t / 3), 0.3 * np.sin(2 * np.pi * 330 * t)], axis=1)
    assert _png_size(plot_waveform(stereo, sr, tmp_path / "wave.png"))[0] > 800
    plot_waveform(stereo[:, 0], sr, tmp_path / "mono.png")
    plot_waveform(np.zeros(100), sr, tmp_path / "silent.png")
    assert sorted(os.listdir(tmp_path)) == ["mono.png", "silent.png", "wave.png"]


def test_plot_to_missing_folder_is_a_vmb_error(tmp_path):
    with pytest.raises(VmbError, match="missing"):
        plot_waveform(np.zeros(100), 8000, tmp_path / "missing" / "w.png")

"""Long-form planning: any number of bars as overlapping 4-bar windows with a section plan.

Windows start every ``BARS_PER_SEGMENT - OVERLAP_BARS`` = 3 bars and share one bar with
their neighbour; the sampler averages each shared bar after every step (and keeps known bars
painted in), so the windows denoise jointly into one continuous line (outpainting in
parallel rather than window after window: one batch, the same cost per step for any length).
Each window takes the role and energy of the section under its middle bar; the last window
is the closing phrase.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from vmb.generate.ecmg.conditioning import role_of_section
from vmb.generate.ecmg.layout import BARS_PER_SEGMENT, SEGMENT_STEPS, STEPS_PER_BAR
from vmb.types import Section

OVERLAP_BARS = 1
HOP_BARS = BARS_PER_SEGMENT - OVERLAP_BARS


@dataclass
class Window:
    first_bar: int  # first bar of the window in the piece
    section: str  # name of the section under its middle bar
    group: int  # index of the section's letter among the distinct letters (theme memory)
    role: str  # conditioning role (see conditioning.ROLES)
    energy: float  # 0..1


def n_windows(n_bars: int) -> int:
    return max(1, math.ceil((n_bars - OVERLAP_BARS) / HOP_BARS))


def default_sections(n_bars: int, bar_beats: float, energy: float = 0.5) -> list[Section]:
    """A simple form in 4-bar phrases: A A B A, repeated; B a little more intense."""
    pattern = "AABA"
    names = [pattern[i % len(pattern)] for i in range(math.ceil(n_bars / 4))]
    sections: list[Section] = []
    for i, name in enumerate(names):
        start, end = i * 4 * bar_beats, min(n_bars, (i + 1) * 4) * bar_beats
        level = float(np.clip(energy + (0.15 if name == "B" else 0.0), 0.0, 1.0))
        if sections and sections[-1].name == name:
            sections[-1].end = end
        else:
            sections.append(Section(name=name, start=start, end=end, energy=level))
    return sections


def plan_windows(n_bars: int, sections: list[Section], bar_beats: float) -> list[Window]:
    """One :class:`Window` per 3-bar hop covering ``n_bars``."""
    letters: list[str] = []
    windows = []
    count = n_windows(n_bars)
    for k in range(count):
        first = k * HOP_BARS
        middle_beat = (first + BARS_PER_SEGMENT / 2) * bar_beats
        sec = next((s for s in sections if s.start <= middle_beat < s.end), sections[-1] if sections else None)
        name = sec.name if sec else "A"
        key = name.upper()[:1] if len(name) == 1 else name.lower()
        if key not in letters:
            letters.append(key)
        role = role_of_section(name, last=(k == count - 1 and count > 1))
        windows.append(Window(first, name, letters.index(key), role, float(sec.energy if sec else 0.5)))
    return windows


def overlap_callback(known: torch.Tensor | None = None, known_mask: torch.Tensor | None = None,
                     noise: torch.Tensor | None = None):
    """A sampler step callback for a batch of consecutive windows (W, S, C).

    Known rows (``known_mask`` (W, S) True, values ``known`` (W, S, C) clean) are repainted at
    the current noise level with their starting ``noise``; then each shared bar is set to the
    mean of its two copies (a known copy wins).
    """
    ov = OVERLAP_BARS * STEPS_PER_BAR

    def callback(x: torch.Tensor, t: float) -> torch.Tensor:
        if known is not None:
            painted = (1 - t) * known + t * noise
            x = torch.where(known_mask.unsqueeze(-1), painted, x)
        for k in range(1, x.shape[0]):
            a, b = x[k - 1, SEGMENT_STEPS - ov:], x[k, :ov]
            if known_mask is not None and bool(known_mask[k - 1, SEGMENT_STEPS - ov:].all()):
                shared = a
            elif known_mask is not None and bool(known_mask[k, :ov].all()):
                shared = b
            else:
                shared = 0.5 * (a + b)
            x[k - 1, SEGMENT_STEPS - ov:] = shared
            x[k, :ov] = shared
        return x

    return callback


def stitch(rolls: np.ndarray, n_bars: int) -> np.ndarray:
    """(W, S, C) window rolls -> (n_bars * 16, C) piece (shared bars taken once)."""
    ov = OVERLAP_BARS * STEPS_PER_BAR
    parts = [rolls[0]] + [r[ov:] for r in rolls[1:]]
    return np.concatenate(parts)[: n_bars * STEPS_PER_BAR]

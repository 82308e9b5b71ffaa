"""Edits of a roll: a window cut out of it, its mode changed, its melody made busier or calmer.

ECMG fits a reference's window to the request with these before the ControlFormer sees it.
"""

from __future__ import annotations

import numpy as np

from vmb.generate.ecmg.layout import LAYOUT, MELODY_LOW, MELODY_PITCHES, SEGMENT_STEPS, STEPS_PER_BAR, STEPS_PER_BEAT
from vmb.generate.ecmg.roll import melody_runs
from vmb.vocab import SCALES


def crop_segment(roll: np.ndarray, first_bar: int) -> np.ndarray:
    """(SEGMENT_STEPS, C) window of ``roll`` from ``first_bar``, padded with silence (-1)."""
    a = first_bar * STEPS_PER_BAR
    out = np.full((SEGMENT_STEPS, roll.shape[1]), -1.0, dtype=np.float32)
    piece = roll[a: a + SEGMENT_STEPS]
    out[: len(piece)] = piece
    return out


# Parallel-mode mapping in key-relative pitch classes (tonic = 0): the 3rd, 6th and 7th move.
_TO_MINOR = {4: 3, 9: 8, 11: 10}
_TO_MAJOR = {v: k for k, v in _TO_MINOR.items()}


def to_mode(roll: np.ndarray, src: str, dst: str) -> np.ndarray:
    """A roll in ``src`` mode rewritten in the parallel ``dst`` mode (modal interchange):
    melody notes, chord chroma and bass on the 3rd, 6th and 7th degrees move a semitone."""
    if src == dst or {src, dst} != {"major", "minor"}:
        return roll
    mapping = _TO_MINOR if dst == "minor" else _TO_MAJOR
    out = roll.copy()
    mel = roll[:, LAYOUT.mel]
    new_mel = np.full_like(mel, -1.0)
    for i in range(MELODY_PITCHES):
        pc = (i + MELODY_LOW) % 12
        j = min(max(i + mapping.get(pc, pc) - pc, 0), MELODY_PITCHES - 1)
        new_mel[:, j] = np.maximum(new_mel[:, j], mel[:, i])
    out[:, LAYOUT.mel] = new_mel
    for block in (LAYOUT.harm, LAYOUT.bass):
        cols = roll[:, block]
        new = np.full_like(cols, -1.0)
        for pc in range(12):
            q = mapping.get(pc, pc)
            new[:, q] = np.maximum(new[:, q], cols[:, pc])
        out[:, block] = new
    return out


def fit_density(roll: np.ndarray, mask: np.ndarray, low: float, high: float, mode: str = "major") -> np.ndarray:
    """A roll whose melody has ``low`` <= onsets per beat < ``high``: the shortest notes merge
    into the note before them (a rhythmic reduction), or the longest split in two (an
    elaboration), one at a time, until the count fits. A split's second half is a passing tone
    one scale step (of ``mode``) towards the next note, or an upper neighbour before a repeat
    or a rest: repeated notes would make a busier melody but not a livelier one."""
    out = roll.copy()
    beats = mask.sum() / STEPS_PER_BEAT
    if beats <= 0:
        return out
    for _ in range(4 * SEGMENT_STEPS):
        runs = melody_runs(out, mask)
        density = len(runs) / beats
        if low <= density < high or not runs:
            break
        lengths = [b - a + 1 for _, a, b in runs]
        if density >= high:
            # merge the shortest note that directly follows another (no rest between them)
            joinable = [k for k in range(1, len(runs)) if runs[k][1] == _next_real(mask, runs[k - 1][2])]
            if not joinable:
                break
            k = min(joinable, key=lambda k: lengths[k])
            idx_prev = runs[k - 1][0]
            rows = np.arange(runs[k][1], runs[k][2] + 1)
            out[rows, LAYOUT.mel] = -1.0
            out[rows, LAYOUT.mel.start + idx_prev] = 1.0
            out[rows, LAYOUT.mel_onset] = -1.0
        else:
            k = int(np.argmax(lengths))
            if lengths[k] < 2:
                break
            idx, a, b = runs[k]
            real = np.nonzero(mask[a: b + 1])[0] + a
            half = real[len(real) // 2:]
            following = runs[k + 1][0] if k + 1 < len(runs) and runs[k + 1][1] == _next_real(mask, b) else None
            direction = -1 if following is not None and following < idx else 1
            moved = _scale_step(idx, direction, mode)
            out[half, LAYOUT.mel] = -1.0
            out[half, LAYOUT.mel.start + moved] = 1.0
            out[half[0], LAYOUT.mel_onset] = 1.0
    return out


def _scale_step(index: int, direction: int, mode: str) -> int:
    """The melody index one step of ``mode``'s scale above (+1) or below (-1) ``index``."""
    scale = SCALES.get(mode, SCALES["major"])
    for k in range(1, 12):
        j = index + direction * k
        if 0 <= j < MELODY_PITCHES and (j + MELODY_LOW) % 12 in scale:
            return j
    return index


def _next_real(mask: np.ndarray, step: int) -> int:
    following = np.nonzero(mask[step + 1:])[0]
    return int(step + 1 + following[0]) if len(following) else -1

"""Training data for ECMG: lead sheets -> compact rolls -> conditioned, augmented batches.

Sources (:func:`load_entries`): a ``.jsonl`` / ``.jsonl.gz`` file of
:class:`vmb.types.LibraryEntry` lines (the shipped ``vmb/data/tunes.jsonl.gz`` by default;
a ``{"schema_version": ..}`` header line is skipped), or a folder of such files. Training reads
library entries only: score files (MIDI, MusicXML, ABC) become entries through the library's
own reader (``vmb.pipeline.training_entries``, what ``vmb train --data folder/`` uses), so a
file gives the same lead sheet for training as for retrieval.

A training example is a 4-bar window of a tune (:data:`SEGMENT_STEPS` rows) with
- its broad reference: another window of the same tune (a related, different phrase), or
  (20%) a varied copy of the window itself (transposed, some notes re-pitched or merged),
- its targeted reference: a window of another tune with the same mode and meter,
- the text bridge: the MiniLM embedding of the tune's description,
- attributes: mode, tempo class, meter, note-density bin, register bin, section role;
augmented by tempo (notation x2 / x0.5 with the BPM scaled to match) and register (octave).
All randomness comes from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import gzip
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vmb import VmbError
from vmb.generate.ecmg.compact import CompactRoll, densify, empty_compact, encode_compact
from vmb.generate.ecmg.conditioning import attribute_ids, density_bin, register_bin, role_of_section
from vmb.generate.ecmg.layout import BARS_PER_SEGMENT, MELODY_LOW, STEPS_PER_BAR, bar_steps, step_mask
from vmb.types import LibraryEntry
from vmb.vocab import SCALES, TEMPO_CLASSES, tempo_class_of


def default_tunes_path() -> Path:
    """The shipped tune corpus, ``vmb/data/tunes.jsonl.gz``."""
    return Path(__file__).resolve().parents[2] / "data" / "tunes.jsonl.gz"


def read_jsonl(path: Path) -> list[LibraryEntry]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
    except UnicodeDecodeError:
        raise VmbError(f"training data {path}: not UTF-8 JSON lines (a binary file?)") from None
    except (OSError, json.JSONDecodeError, EOFError) as exc:
        raise VmbError(f"training data {path}: cannot read JSON lines ({exc})") from None
    return [LibraryEntry.from_row(r) for r in rows if "id" in r and r.get("lead_sheet")]


def load_entries(source: str | os.PathLike | None = None) -> list[LibraryEntry]:
    """Library entries with lead sheets from a JSONL file, a folder of them, or the shipped corpus."""
    path = Path(source) if source is not None else default_tunes_path()
    if not path.exists():
        raise VmbError(f"training data {path}: no such file or folder")
    if path.is_file():
        return read_jsonl(path)
    entries: list[LibraryEntry] = []
    for item in sorted(path.rglob("*")):
        if item.name.endswith((".jsonl", ".jsonl.gz")):
            entries.extend(read_jsonl(item))
    if not entries:
        raise VmbError(f"training data {path}: no lead sheets or symbolic scores found")
    return entries


def text_embeddings(entries: list[LibraryEntry], source: str | os.PathLike | None = None, *,
                    cache: str | os.PathLike | None = None, rows: list[int] | None = None) -> np.ndarray:
    """(n, 384) float32 description embeddings of ``entries`` (or of the ``rows`` picked from
    them): the shipped ``tunes_embeddings.npy`` when it matches the default corpus, else
    computed with :func:`vmb.embed.encode_texts` (each distinct description once) and kept in
    ``cache`` (an .npy path) for the next run."""
    if source is None:
        shipped = default_tunes_path().with_name("tunes_embeddings.npy")
        if shipped.exists():
            emb = np.load(shipped)
            if emb.shape[0] == len(entries):
                return emb[rows if rows is not None else slice(None)].astype(np.float32)
    if rows is not None:
        entries = [entries[i] for i in rows]
    texts = [e.description or e.title or "music" for e in entries]
    if cache is not None and Path(cache).exists():
        emb = np.load(cache)
        if emb.shape[0] == len(entries):
            return emb.astype(np.float32)
    from vmb.embed import encode_texts

    unique = sorted(set(texts))
    vectors = encode_texts(unique).astype(np.float32)
    row = {t: i for i, t in enumerate(unique)}
    emb = vectors[[row[t] for t in texts]]
    if cache is not None:
        tmp = Path(cache).with_suffix(".tmp.npy")
        np.save(tmp, emb)
        os.replace(tmp, cache)
    return emb


@dataclass
class Tune:
    """One training tune: its compact roll and the facts attributes are made from."""

    roll: CompactRoll
    meter: str
    mode: str
    bpm: float
    n_bars: int
    roles: list[str]  # role of each bar (from the lead sheet's sections)
    text: int  # row in the text embedding matrix


def build_tunes(entries: list[LibraryEntry]) -> list[Tune]:
    """Encode every entry with a usable lead sheet (>= 2 bars, supported meter)."""
    tunes = []
    for i, e in enumerate(entries):
        sheet = e.lead_sheet
        try:
            steps = bar_steps(sheet.meter)
        except ValueError:
            continue
        roll = encode_compact(sheet)
        n_bars = len(roll) // STEPS_PER_BAR
        if n_bars < 2 or not (roll.mel >= 0).any():
            continue
        per_bar = steps / 4
        roles = ["A"] * n_bars
        for s in sheet.sections:
            for bar in range(int(s.start // per_bar), min(n_bars, int(math.ceil(s.end / per_bar)))):
                roles[bar] = role_of_section(s.name)
        roles[-1] = "end"
        bpm = e.bpm or TEMPO_CLASSES[e.tempo_class or "medium"][2]
        tunes.append(Tune(roll, sheet.meter, sheet.mode, float(bpm), n_bars, roles, i))
    return tunes


def stretch(roll: CompactRoll, factor: float, meter: str, n_bars: int) -> CompactRoll:
    """Re-notate a window: factor 2 doubles every duration (each real step twice), 0.5 halves
    it (every second step, onsets kept). Bars are re-cut at the meter's length."""
    real = np.nonzero(roll.mask)[0]
    if factor == 2:
        idx = np.repeat(real, 2)
        first = np.tile([True, False], len(real))
    elif factor == 0.5:
        idx = real[::2]
        first = np.ones(len(idx), bool)
    else:
        idx, first = real, np.ones(len(real), bool)
    per_bar = bar_steps(meter)
    out = empty_compact(n_bars * STEPS_PER_BAR)
    n = min(len(idx), n_bars * per_bar)
    rows = (np.arange(n) // per_bar) * STEPS_PER_BAR + np.arange(n) % per_bar
    src = idx[:n]
    out.mel[rows], out.bass[rows], out.chroma[rows] = roll.mel[src], roll.bass[src], roll.chroma[src]
    out.mel_on[rows] = roll.mel_on[src] & first[:n]
    out.bass_on[rows] = roll.bass_on[src] & first[:n]
    if factor == 0.5:  # an onset on the skipped odd step moves onto the kept one
        odd = np.minimum(src + 1, len(roll) - 1)
        out.mel_on[rows] |= roll.mel_on[odd] & (roll.mel[odd] >= 0)
    out.mask[:] = step_mask(meter, n_bars)
    return out


def window(tune: Tune, first_bar: int, factor: float = 1.0) -> CompactRoll:
    """A BARS_PER_SEGMENT-bar window starting at ``first_bar`` (in source bars), re-notated."""
    src_bars = int(round(BARS_PER_SEGMENT / factor))
    piece = tune.roll.slice(first_bar * STEPS_PER_BAR, (first_bar + src_bars) * STEPS_PER_BAR)
    piece.mask[:] = step_mask(tune.meter, src_bars)
    if factor == 1.0:
        return piece
    return stretch(piece, factor, tune.meter, BARS_PER_SEGMENT)


def segment_attributes(seg: CompactRoll, *, mode: str, bpm: float, meter: str, role: str) -> list[int]:
    """Attribute ids that describe a window (what the model is asked for at generation)."""
    beats = seg.mask.sum() / 4
    onsets = int(seg.mel_on.sum())
    notes = seg.mel[seg.mel >= 0]
    mean_above = float(notes.mean()) + MELODY_LOW - 60 if len(notes) else 0.0
    return attribute_ids(mode=mode, tempo_class=tempo_class_of(bpm), meter=meter,
                         density=density_bin(onsets / max(beats, 1.0)), register=register_bin(mean_above),
                         role=role)


def vary(seg: CompactRoll, rng: np.random.Generator, mode: str = "major") -> CompactRoll:
    """A related but different version of a window (a broad reference that is not a copy).

    The melody keeps its contour but not all its notes: half the time it moves 1-2 steps along
    the ``mode``'s scale (interval sizes change, unlike a transposition), 30% of the notes move
    one or two more scale steps, and the rhythm changes both ways: some notes merge into their
    predecessor, some long ones split in two. (With every note moved, the one-hot pitch loss
    gained nothing from a reference whose offset it cannot know, and the ControlFormer learned
    rhythm and harmony only: contour similarity stayed at chance.)
    """
    out = seg.slice(0, len(seg))
    mel = out.mel.astype(int)
    on = out.mel_on.copy()
    scale = np.array(SCALES.get(mode, SCALES["major"]))

    def step(index: int, steps: int) -> int:
        """Melody index ``index`` moved by ``steps`` scale steps (off-scale notes snap first)."""
        octave, pc = divmod(index + MELODY_LOW, 12)  # the roll is key-relative: tonic = pc 0
        pos = 7 * octave + int(np.abs(scale - pc).argmin()) + steps
        return int(12 * (pos // 7) + scale[pos % 7]) - MELODY_LOW

    shift = int(rng.choice([0, -1, 1, -2, 2], p=[0.5, 0.15, 0.15, 0.1, 0.1]))
    merge, split = float(rng.uniform(0.0, 0.25)), float(rng.uniform(0.0, 0.6))
    starts = np.nonzero(on & (mel >= 0))[0]
    ends = list(starts[1:]) + [len(mel)]
    prev_pitch = None
    for a, b in zip(starts, ends):
        run = slice(a, b)
        sounding = mel[run] >= 0
        pitch = step(mel[a], shift + (int(rng.choice([-2, -1, 1, 2])) if rng.random() < 0.3 else 0))
        if prev_pitch is not None and rng.random() < merge:  # merge into the previous note
            pitch, on[a] = prev_pitch, False
        pitch = int(np.clip(pitch, 0, 47))
        mel[run] = np.where(sounding, pitch, -1)
        length = int(sounding.sum())
        if length >= 4 and rng.random() < split:  # split: the second half a scale step away
            half = a + length // 2
            mel[half:a + length] = int(np.clip(step(pitch, int(rng.choice([-1, 1]))), 0, 47))
            on[half] = True
        prev_pitch = pitch
    out.mel, out.mel_on = mel.astype(np.int8), on
    return out


def shift_register(seg: CompactRoll, semitones: int) -> CompactRoll:
    """Move the melody by ``semitones`` (an octave) when it stays inside the window."""
    notes = seg.mel[seg.mel >= 0].astype(int)
    if len(notes) and 0 <= notes.min() + semitones and notes.max() + semitones < 48:
        seg.mel = np.where(seg.mel >= 0, seg.mel + semitones, -1).astype(np.int8)
    return seg


@dataclass
class DropRates:
    """Per-sample probabilities of dropping each condition (classifier-free guidance)."""

    text: float = 0.15
    targeted: float = 0.2
    broad: float = 0.2
    attrs: float = 0.1  # each attribute on its own
    everything: float = 0.1


@dataclass
class Batch:
    """NumPy arrays of one batch (B = batch size, S = 64 rows, C = 74 channels)."""

    x0: np.ndarray  # (B, S, C) float32 target rolls
    text: np.ndarray  # (B, 384) float32
    text_on: np.ndarray  # (B,) bool
    targeted: np.ndarray  # (B, S, C)
    targeted_on: np.ndarray
    broad: np.ndarray  # (B, S, C)
    broad_on: np.ndarray
    attrs: np.ndarray  # (B, 6) int64
    step_mask: np.ndarray  # (B, S) bool


# Share of broad references that are a varied version of the target window itself (the rest
# are other phrases of the same tune): teaches the ControlFormer to follow contour and rhythm
# without teaching it to copy notes.
VARIED_SELF = 0.5


class TrainingSet:
    """Draws conditioned, augmented 4-bar examples from a list of tunes."""

    def __init__(self, tunes: list[Tune], text: np.ndarray, *, augment: bool = True):
        if not tunes:
            raise VmbError("training data has no usable tunes (need >= 2 bars in 4/4, 3/4, 6/8 or 2/4)")
        self.tunes, self.text, self.augment = tunes, text, augment
        self.groups: dict[tuple[str, str], list[int]] = {}
        for i, t in enumerate(tunes):
            self.groups.setdefault((t.mode, t.meter), []).append(i)

    def __len__(self) -> int:
        return len(self.tunes)

    def _factor(self, rng: np.random.Generator, tune: Tune) -> float:
        if not self.augment:
            return 1.0
        f = float(rng.choice([1.0, 2.0, 0.5], p=[0.7, 0.15, 0.15]))
        fits = 50.0 <= tune.bpm * f <= 180.0 and tune.n_bars >= BARS_PER_SEGMENT / f
        return f if fits else 1.0

    def example(self, rng: np.random.Generator,
                i: int) -> tuple[np.ndarray, np.ndarray, int, list[int], np.ndarray | None]:
        """(target roll, targeted roll, text row, attribute ids, broad roll or None) for tune i."""
        tune = self.tunes[i]
        f = self._factor(rng, tune)
        src = int(round(BARS_PER_SEGMENT / f))
        last_start = max(0, tune.n_bars - src)
        first = int(rng.integers(0, last_start + 1))
        seg = window(tune, first, f)
        if self.augment and rng.random() < 0.2:
            seg = shift_register(seg, int(rng.choice([-12, 12])))
        role = "end" if first + src >= tune.n_bars else tune.roles[first]
        attrs = segment_attributes(seg, mode=tune.mode, bpm=tune.bpm * f, meter=tune.meter, role=role)
        # Broad reference: another phrase of the same tune, at least 2 bars away, same role first.
        starts = [b for b in range(last_start + 1) if abs(b - first) >= 2]
        same = [b for b in starts if tune.roles[b] == tune.roles[first]]
        broad = None
        if self.augment and rng.random() < VARIED_SELF:
            broad = densify(vary(window(tune, first, f), rng, tune.mode))
        elif starts:
            b = int(rng.choice(same if same and rng.random() < 0.7 else starts))
            broad = densify(window(tune, b, f))
        # Targeted reference: a window of another tune with the same mode and meter.
        group = self.groups[(tune.mode, tune.meter)]
        j = int(rng.choice(group)) if len(group) > 1 else i
        other = self.tunes[j]
        tb = int(rng.integers(0, max(0, other.n_bars - BARS_PER_SEGMENT) + 1))
        targeted = densify(window(other, tb))
        return densify(seg), targeted, tune.text, attrs, broad

    def batch(self, rng: np.random.Generator, size: int, drop: DropRates | None = None,
              indices: list[int] | None = None) -> Batch:
        """``size`` examples of random tunes (or of ``indices``), conditions dropped per ``drop``."""
        drop = drop or DropRates()
        idx = indices if indices is not None else rng.integers(0, len(self.tunes), size).tolist()
        rows = [self.example(rng, int(i)) for i in idx]
        n = len(rows)
        x0 = np.stack([r[0] for r in rows])
        silent = np.full_like(x0[0], -1.0)
        everything = rng.random(n) < drop.everything
        attrs = np.array([r[3] for r in rows], dtype=np.int64)
        attrs[(rng.random(attrs.shape) < drop.attrs) | everything[:, None]] = 0
        broad_ok = np.array([r[4] is not None for r in rows])
        return Batch(
            x0=x0,
            text=self.text[[r[2] for r in rows]].astype(np.float32),
            text_on=~everything & (rng.random(n) >= drop.text),
            targeted=np.stack([r[1] for r in rows]),
            targeted_on=~everything & (rng.random(n) >= drop.targeted),
            broad=np.stack([r[4] if r[4] is not None else silent for r in rows]),
            broad_on=broad_ok & ~everything & (rng.random(n) >= drop.broad),
            attrs=attrs,
            step_mask=np.stack([step_mask(self.tunes[int(i)].meter, BARS_PER_SEGMENT) for i in idx]),
        )


"""The symbolic music bridge: lead sheets <-> multi-track piano-roll arrays the DiT denoises.

Layout (one row per 16th-note step, ``STEPS_PER_BAR`` = 16 rows per bar whatever the meter;
3/4 and 6/8 bars use 12 rows and 2/4 bars 8, the rest is padding marked by a step mask):

=============  =========  =====================================================================
channels       count      meaning (+1 = on, -1 = off)
=============  =========  =====================================================================
melody pitch   48         one-hot pitch while a melody note sounds, relative to the key: index
                          ``pitch - tonic_pc - MELODY_LOW`` (so the model works in scale-degree
                          space and the key is applied when decoding)
melody onset   1          a melody note starts on this step
harmony        12         chroma of the sounding chord, relative to the tonic
bass           12         pitch class of the chord's bass note (root or slash bass), relative
bass onset     1          the bass note starts on this step
=============  =========  =====================================================================

Values are in [-1, 1] so the same arrays are diffusion targets; :meth:`PianoRoll.decode`
reads noisy model output back by argmax / threshold at 0. A representation is an object with
``channels``, ``steps_per_beat``, ``encode`` and ``decode``, so an audio-latent variant can
replace this one without touching the model or the sampler.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vmb.theory import bar_beats
from vmb.types import Chord, LeadSheet, Note, Section
from vmb.vocab import CHORD_QUALITIES, KEY_NAMES, SCALES, key_pitch_class

STEPS_PER_BEAT = 4  # 16th notes
STEPS_PER_BAR = 16  # fixed row count per bar; shorter meters are padded
BARS_PER_SEGMENT = 4
SEGMENT_STEPS = BARS_PER_SEGMENT * STEPS_PER_BAR  # 64
MELODY_PITCHES = 48
MELODY_LOW = 43  # window = tonic_pc + 43 .. tonic_pc + 90 (G2..F#6 in C); octave-folded outside

# Chord qualities the decoder names (a subset of vocab.CHORD_QUALITIES: the ones lead sheets use).
DECODE_QUALITIES = ("maj", "min", "dim", "aug", "sus4", "7", "maj7", "min7", "m7b5", "dim7")


class LAYOUT:
    """Channel offsets of the roll (see the module table)."""

    mel = slice(0, 48)
    mel_onset = 48
    harm = slice(49, 61)
    bass = slice(61, 73)
    bass_onset = 73
    channels = 74


def bar_steps(meter: str) -> int:
    """Real 16th steps in one bar of ``meter`` ('4/4' -> 16, '3/4' and '6/8' -> 12, '2/4' -> 8)."""
    steps = round(bar_beats(meter) * STEPS_PER_BEAT)
    if not 1 <= steps <= STEPS_PER_BAR:
        raise ValueError(f"meter {meter!r} does not fit {STEPS_PER_BAR} steps per bar")
    return steps


def step_mask(meter: str, n_bars: int) -> np.ndarray:
    """(n_bars * 16,) bool: True on the steps a bar of ``meter`` really has."""
    one = np.arange(STEPS_PER_BAR) < bar_steps(meter)
    return np.tile(one, n_bars)


def beat_to_step(beat: float, meter: str) -> int:
    """Musical time (beats) -> padded row index (rounded to the nearest 16th)."""
    per_bar = bar_beats(meter)
    bar = math.floor(beat / per_bar + 1e-9)
    within = round((beat - bar * per_bar) * STEPS_PER_BEAT)
    if within >= bar_steps(meter):  # rounds onto the next bar line
        bar, within = bar + 1, 0
    return bar * STEPS_PER_BAR + within


def step_to_beat(step: int, meter: str) -> float:
    bar, within = divmod(step, STEPS_PER_BAR)
    return bar * bar_beats(meter) + within / STEPS_PER_BEAT


def _melody_index(pitch: int, tonic: int) -> int:
    idx = pitch - tonic - MELODY_LOW
    while idx < 0:
        idx += 12
    while idx >= MELODY_PITCHES:
        idx -= 12
    return idx


@dataclass
class PianoRoll:
    """The piano-roll representation (stateless; an instance so it can be swapped)."""

    name: str = "pianoroll-v1"
    channels: int = LAYOUT.channels
    steps_per_beat: int = STEPS_PER_BEAT

    # ------------------------------------------------------------------ encode

    def encode(self, sheet: LeadSheet, n_bars: int | None = None) -> np.ndarray:
        """A lead sheet -> (n_bars * 16, 74) float32 roll in {-1, 1}, in key-relative space.

        ``n_bars`` defaults to the sheet's length (``length_beats``, else its last note/chord).
        Padding rows of short meters stay -1 (silence).
        """
        return densify(encode_compact(sheet, n_bars))

    # ------------------------------------------------------------------ decode

    def decode(
        self,
        roll: np.ndarray,
        *,
        key: str = "C",
        mode: str = "major",
        meter: str = "4/4",
        sections: list[Section] | None = None,
        length_beats: float | None = None,
        title: str = "",
        source: str = "vmb:ecmg",
    ) -> LeadSheet:
        """A (n_steps, 74) roll (any real values; 0 is the on/off threshold) -> LeadSheet.

        Melody: a note sounds where the best pitch channel is > 0; a new note starts on an
        onset, a pitch change, or after silence. Chords: one per beat, named by matching the
        beat's mean chroma against chord templates, merged when equal; the bass channel gives
        slash chords.
        """
        roll = np.asarray(roll, dtype=np.float32)
        tonic = key_pitch_class(key)
        n_bars = math.ceil(roll.shape[0] / STEPS_PER_BAR)
        mask = step_mask(meter, n_bars)[: roll.shape[0]]
        length = length_beats if length_beats is not None else n_bars * bar_beats(meter)
        melody = self._decode_melody(roll, mask, tonic, meter, length)
        chords = self._decode_chords(roll, mask, tonic, meter, length)
        return LeadSheet(
            melody=melody, chords=chords, sections=list(sections or []), key=KEY_NAMES[tonic],
            mode=mode, meter=meter, length_beats=float(length), title=title, source=source,
        )

    @staticmethod
    def _decode_melody(roll, mask, tonic, meter, length) -> list[Note]:
        notes = [_note([idx, a, b], tonic, meter) for idx, a, b in melody_runs(roll, mask)]
        return [n for n in notes if n.start < length - 1e-9]

    @staticmethod
    def _decode_chords(roll, mask, tonic, meter, length) -> list[Chord]:
        chords: list[Chord] = []
        harm = (roll[:, LAYOUT.harm] + 1.0) / 2.0  # [-1, 1] -> [0, 1] evidence per pitch class
        bass = roll[:, LAYOUT.bass]
        unit = 6 if meter == "6/8" else STEPS_PER_BEAT  # chords change per (dotted) beat
        per_bar = bar_steps(meter)
        for first in range(0, roll.shape[0], STEPS_PER_BAR):
            for u in range(0, per_bar, unit):
                a = first + u
                beat = step_to_beat(a, meter)
                if beat >= length - 1e-9:
                    break
                rows = list(range(a, min(a + unit, first + per_bar, roll.shape[0])))
                end = min(length, beat + len(rows) / STEPS_PER_BEAT)
                PianoRoll._add_chord(chords, harm, bass, rows, beat, end, tonic)
        if chords and chords[0].start > 0:
            chords[0].duration += chords[0].start
            chords[0].start = 0.0
        return chords

    @staticmethod
    def _add_chord(chords: list[Chord], harm, bass, rows, beat: float, end: float, tonic: int) -> None:
        """Name the chord of ``rows`` and append it (or extend the previous equal one)."""
        if not rows or harm[rows].max() <= 0.5:
            if chords:  # no chord sounding: the previous one rings on
                chords[-1].duration = end - chords[-1].start
            return
        chroma = harm[rows].mean(axis=0)
        bass_rel = int(bass[rows].mean(axis=0).argmax())
        root_rel, quality = match_chord(chroma, bass_rel)
        root = (root_rel + tonic) % 12
        bass_pc = (bass_rel + tonic) % 12
        slash = bass_pc if bass_pc != root and bass[rows].max() > 0 else None
        prev = chords[-1] if chords else None
        if prev and (prev.root, prev.quality, prev.bass) == (root, quality, slash):
            prev.duration = end - prev.start
        else:
            chords.append(Chord(start=float(beat), duration=end - beat, root=root, quality=quality, bass=slash))


@dataclass
class CompactRoll:
    """The roll as small integer arrays (about 6 bytes a step instead of 296), for data sets.

    mel: (n,) int8 melody window index, -1 = rest; mel_on: (n,) bool onsets;
    chroma: (n, 12) bool chord tones relative to the tonic; bass: (n,) int8 bass degree
    (0..11, -1 = none); bass_on: (n,) bool; mask: (n,) bool real steps of the meter.
    """

    mel: np.ndarray
    mel_on: np.ndarray
    chroma: np.ndarray
    bass: np.ndarray
    bass_on: np.ndarray
    mask: np.ndarray

    def __len__(self) -> int:
        return len(self.mel)

    def slice(self, a: int, b: int) -> "CompactRoll":
        """Rows a..b (padded with silence past the end)."""
        n = b - a
        out = empty_compact(n)
        piece = slice(a, min(b, len(self)))
        m = piece.stop - piece.start
        for name in ("mel", "mel_on", "chroma", "bass", "bass_on", "mask"):
            getattr(out, name)[:m] = getattr(self, name)[piece]
        return out


def empty_compact(n: int) -> CompactRoll:
    return CompactRoll(
        mel=np.full(n, -1, np.int8), mel_on=np.zeros(n, bool), chroma=np.zeros((n, 12), bool),
        bass=np.full(n, -1, np.int8), bass_on=np.zeros(n, bool), mask=np.zeros(n, bool),
    )


def encode_compact(sheet: LeadSheet, n_bars: int | None = None) -> CompactRoll:
    """A lead sheet -> :class:`CompactRoll` (see :meth:`PianoRoll.encode`)."""
    meter = sheet.meter
    tonic = key_pitch_class(sheet.key)
    per_bar = bar_beats(meter)
    if n_bars is None:
        end = max([sheet.length_beats] + [n.start + n.duration for n in sheet.melody]
                  + [c.start + c.duration for c in sheet.chords])
        n_bars = max(1, math.ceil(end / per_bar - 1e-6))
    total = n_bars * STEPS_PER_BAR
    out = empty_compact(total)
    out.mask[:] = step_mask(meter, n_bars)

    def span(start: float, duration: float) -> np.ndarray:
        a = beat_to_step(start, meter)
        b = max(a + 1, beat_to_step(start + duration, meter))
        steps = np.arange(a, min(b, total))
        return steps[out.mask[steps]] if len(steps) else steps

    for note in sorted(sheet.melody, key=lambda n: n.start):
        steps = span(note.start, note.duration)
        if len(steps):  # monophonic: a later note replaces an overlap
            out.mel[steps] = _melody_index(note.pitch, tonic)
            out.mel_on[steps[0]] = True
    for chord in sorted(sheet.chords, key=lambda c: c.start):
        steps = span(chord.start, chord.duration)
        if not len(steps):
            continue
        out.chroma[steps] = False
        for pc in chord.pitch_classes():
            out.chroma[steps, (pc - tonic) % 12] = True
        bass_pc = chord.bass if chord.bass is not None else chord.root
        out.bass[steps] = (bass_pc - tonic) % 12
        # The bass restrikes on the chord change and on every downbeat it holds through.
        out.bass_on[steps[0]] = True
        out.bass_on[steps[steps % STEPS_PER_BAR == 0]] = True
    return out


def densify(c: CompactRoll) -> np.ndarray:
    """:class:`CompactRoll` -> (n, 74) float32 roll in {-1, 1}."""
    n = len(c)
    roll = np.full((n, LAYOUT.channels), -1.0, dtype=np.float32)
    rows = np.nonzero(c.mel >= 0)[0]
    roll[rows, LAYOUT.mel.start + c.mel[rows].astype(np.int64)] = 1.0
    roll[c.mel_on, LAYOUT.mel_onset] = 1.0
    roll[:, LAYOUT.harm][c.chroma] = 1.0  # basic slice = a view: writes into roll
    rows = np.nonzero(c.bass >= 0)[0]
    roll[rows, LAYOUT.bass.start + c.bass[rows].astype(np.int64)] = 1.0
    roll[c.bass_on, LAYOUT.bass_onset] = 1.0
    return roll


# A pitch change without an onset flag starts a new note only when both pitches last at least
# this many steps (a beat): sampled rolls flicker between neighbouring pitches for an 8th inside a held
# note, and reading each flicker as a note inflated the melody's density by ~30%.
MIN_UNFLAGGED_RUN = 4


def melody_runs(roll: np.ndarray, mask: np.ndarray) -> list[tuple[int, int, int]]:
    """Melody notes of a (n, 74) roll as (pitch index, first step, last step), steps of ``mask``.

    A note sounds where the best pitch channel is > 0. Notes start after silence, on an
    onset flag, or on a lasting pitch change (see ``MIN_UNFLAGGED_RUN``); each note takes the
    pitch with the most summed evidence over its steps. Padding rows never end a note.
    """
    mel = roll[:, LAYOUT.mel]
    real = np.nonzero(mask)[0]
    active = mel[real].max(axis=1) > 0
    pitch = mel[real].argmax(axis=1)
    onset = roll[real, LAYOUT.mel_onset] > 0
    # runs of one pitch among the sounding steps (breaks at silence too)
    starts = [i for i in range(len(real)) if active[i] and (i == 0 or not active[i - 1] or pitch[i] != pitch[i - 1])]
    run_len = {a: next((j for j in range(a, len(real)) if not active[j] or pitch[j] != pitch[a]), len(real)) - a
               for a in starts}
    notes: list[list[int]] = []  # [first i, last i]
    prev_start = None
    for i in range(len(real)):
        if not active[i]:
            prev_start = None
            continue
        new_pitch = i in run_len
        lasting = new_pitch and run_len[i] >= MIN_UNFLAGGED_RUN and prev_start is not None \
            and run_len.get(prev_start, 0) >= MIN_UNFLAGGED_RUN
        if prev_start is None or onset[i] or lasting:
            notes.append([i, i])
        else:
            notes[-1][1] = i
        if new_pitch:
            prev_start = i
    out = []
    for a, b in notes:
        idx = int(mel[real[a: b + 1]].sum(axis=0).argmax())
        out.append((idx, int(real[a]), int(real[b])))
    return out


def _note(current: list[int], tonic: int, meter: str) -> Note:
    idx, first, last = current
    start = step_to_beat(first, meter)
    end = step_to_beat(last, meter) + 1.0 / STEPS_PER_BEAT
    return Note(pitch=tonic + MELODY_LOW + idx, start=start, duration=end - start)


def _templates() -> tuple[np.ndarray, list[tuple[int, str]]]:
    rows, names = [], []
    for quality in DECODE_QUALITIES:
        for root in range(12):
            t = np.zeros(12)
            t[[(root + iv) % 12 for iv in CHORD_QUALITIES[quality]]] = 1.0
            rows.append(t)
            names.append((root, quality))
    return np.array(rows), names


_TEMPLATES, _TEMPLATE_NAMES = _templates()


def match_chord(chroma: np.ndarray, bass_pc: int | None = None) -> tuple[int, str]:
    """(root pc, quality) whose template best fits a 12-d chroma of evidence in [0, 1].

    Score = matched evidence - 0.5 * unmatched template tones - 0.5 * evidence outside the
    template; ties go to the chord whose root is the bass, then to simpler qualities (triads
    come first in ``DECODE_QUALITIES``).
    """
    chroma = np.clip(np.asarray(chroma, dtype=np.float64), 0.0, 1.0)
    hit = _TEMPLATES @ chroma
    miss = _TEMPLATES.sum(axis=1) - hit
    extra = chroma.sum() - hit
    score = hit - 0.5 * miss - 0.5 * extra
    if bass_pc is not None:
        score = score + 0.01 * np.array([r == bass_pc for r, _q in _TEMPLATE_NAMES])
    return _TEMPLATE_NAMES[int(np.argmax(score))]


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

"""Synthetic music files and library entries for the library tests (nothing downloaded).

MIDI files are written with mido; audio with numpy + soundfile (additive tones, 22,050 Hz).
"""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import soundfile as sf

from vmb.types import Chord, LeadSheet, LibraryEntry, Note

SR = 22050
# A D-minor tune (3/4) and its chords (one per bar), as MIDI pitches.
TUNE_D_MINOR = [62, 65, 69, 67, 65, 64, 62, 61, 62, 64, 65, 67, 69, 70, 69, 67, 65, 64, 62, 62, 61, 62, 64, 62]
CHORDS_D_MINOR = [[50, 53, 57], [50, 53, 57], [45, 49, 52], [50, 53, 57], [46, 50, 53], [45, 49, 52],
                  [50, 53, 57], [50, 53, 57]]


def write_midi(path: Path, *, melody=TUNE_D_MINOR, chords=CHORDS_D_MINOR, bpm: float = 70.0,
               meter: tuple[int, int] = (3, 4), melody_program: int = 40, chord_program: int = 48,
               drums: bool = False, transpose: int = 0) -> Path:
    """A type-1 MIDI file: tempo + meter, a melody (one beat per note), sustained chords
    (one per bar) and optionally a drum track on channel 10."""
    mid = mido.MidiFile(ticks_per_beat=480)
    meta = mido.MidiTrack()
    meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))
    meta.append(mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1]))
    mid.tracks.append(meta)
    bar = int(480 * meter[0] * 4 / meter[1])
    for channel, program, events in ((0, melody_program, [[p] for p in melody]), (1, chord_program, chords)):
        track = mido.MidiTrack()
        track.append(mido.Message("program_change", program=program, channel=channel))
        length = 480 if channel == 0 else bar
        for pitches in events:
            for p in pitches:
                track.append(mido.Message("note_on", note=p + transpose, velocity=80, channel=channel, time=0))
            for i, p in enumerate(pitches):
                track.append(mido.Message("note_off", note=p + transpose, velocity=0, channel=channel,
                                          time=length if i == 0 else 0))
        mid.tracks.append(track)
    if drums:
        track = mido.MidiTrack()
        for beat in range(len(melody)):
            note = 36 if beat % 2 == 0 else 38
            track.append(mido.Message("note_on", note=note, velocity=100, channel=9, time=0 if beat == 0 else 360))
            track.append(mido.Message("note_off", note=note, velocity=0, channel=9, time=120))
        mid.tracks.append(track)
    mid.save(str(path))
    return path


def _tone(freq: float, seconds: float, harmonics: int = 3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    env = np.minimum(1.0, t / 0.01) * np.exp(-t * 1.5)
    return sum(np.sin(2 * np.pi * freq * k * t) / k ** 2 for k in range(1, harmonics + 1)) * env


def _hz(midi: int) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def write_click_track(path: Path, *, bpm: float = 120.0, seconds: float = 8.0) -> Path:
    """Short 1 kHz clicks on every beat."""
    y = np.zeros(int(seconds * SR), np.float32)
    n = int(0.02 * SR)
    click = np.sin(2 * np.pi * 1000 * np.arange(n) / SR) * np.exp(-np.arange(n) / (0.004 * SR))
    for t in np.arange(0.0, seconds - 0.05, 60.0 / bpm):
        i = int(t * SR)
        y[i:i + n] += click
    sf.write(str(path), 0.8 * y, SR)
    return path


def write_cadence(path: Path, *, tonic: int = 57, minor: bool = True, seconds_per_chord: float = 2.0) -> Path:
    """i-iv-V-i (or I-IV-V-I) in the key of ``tonic`` with a stepwise melody on top."""
    third = 3 if minor else 4
    chords = [[0, third, 7], [5, 5 + third, 12], [7, 11, 14], [0, third, 7]]
    melody = [[12, 11, 12, 14], [14, 12, 11, 12], [11, 7, 11, 14], [12, 11, 12, 12]]
    y = np.zeros(int(seconds_per_chord * (len(chords) + 0.5) * SR))
    for i, (chord, line) in enumerate(zip(chords, melody)):
        start = int(i * seconds_per_chord * SR)
        block = sum(_tone(_hz(tonic + iv), seconds_per_chord) for iv in chord) * 0.2
        y[start:start + len(block)] += block
        for j, iv in enumerate(line):
            s = start + int(j * seconds_per_chord / 4 * SR)
            note = _tone(_hz(tonic + 12 + iv), seconds_per_chord / 4) * 0.3
            y[s:s + len(note)] += note
    sf.write(str(path), (0.8 * y / np.abs(y).max()).astype(np.float32), SR)
    return path


def write_corrupt(path: Path, seed: int = 0, size: int = 1500) -> Path:
    """Random bytes under a music file's name."""
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


def make_entry(i: int, **fields) -> LibraryEntry:
    """A small entry with a lead sheet; ``fields`` override the attributes."""
    sheet = LeadSheet(melody=[Note(60 + i % 12, 0.0, 1.0), Note(62, 1.0, 0.5, 70)],
                      chords=[Chord(0.0, 4.0, i % 12, "min", bass=(i + 3) % 12)], key="D", mode="minor",
                      meter="3/4", length_beats=4.0, title=f"Tune {i}", source=f"test:{i}")
    base = dict(id=f"tune-{i:04d}", title=f"Tune {i}", source=f"/music/tune{i}.mid", content_hash=f"h{i:04d}",
                duration_s=30.0 + i, genres=["folk"], moods=["calm"], instruments=["violin"], bpm=90.0,
                tempo_class="medium", key="D", mode="minor", meter="3/4", description=f"tune number {i}",
                lead_sheet=sheet)
    base.update(fields)
    return LibraryEntry(**base)


def unit_vectors(n: int, seed: int = 0, dim: int = 384) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)

"""Symbolic score files (MIDI, MusicXML, ABC, Humdrum) -> library entries, through music21.

Used by :func:`vmb.generate.data.load_entries` for folders of scores; music21 is an optional
dependency, imported only here. The lead sheet is the top line of all parts (the highest
note at each onset, cut where the next starts, on the 16th grid) and one chord per beat
named from all sounding pitches; key from music21's key analysis; a pickup measure is
right-aligned in a padded bar 0 so bar lines fall on the grid.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from vmb import VmbError
from vmb.generate.representation import match_chord
from vmb.types import Chord, LeadSheet, LibraryEntry, Note
from vmb.vocab import KEY_NAMES, METERS


def entry_from_score(path: Path) -> LibraryEntry:
    """A MIDI/MusicXML/ABC file -> entry whose lead sheet is its top line + per-beat chords."""
    try:
        import music21
    except ImportError:  # pragma: no cover - optional dependency
        raise VmbError(f"{path}: reading scores needs music21 (pip install music21)") from None
    try:
        score = music21.converter.parse(str(path))
        k = score.analyze("key")
        sigs = list(score.recurse().getElementsByClass(music21.meter.TimeSignature))
    except Exception as exc:  # noqa: BLE001 - music21 raises many kinds
        raise VmbError(f"{path}: music21 cannot parse it ({exc})") from None
    meter = sigs[0].ratioString if sigs else "4/4"
    if meter not in METERS:
        raise VmbError(f"{path}: meter {meter} is not supported")
    flat = score.flatten().notes
    # A pickup measure is right-aligned in a padded bar 0, so bar lines fall on the grid.
    bar = sigs[0].barDuration.quarterLength if sigs else 4.0
    parts = score.parts if hasattr(score, "parts") and len(score.parts) else [score]
    first = parts[0].getElementsByClass("Measure").first()
    d = float(first.duration.quarterLength) if first is not None else bar
    shift = bar - d if 0 < d < bar - 1e-6 else 0.0
    melody: dict[float, Note] = {}
    for n in flat:
        top = max(p.midi for p in n.pitches)
        start = round((float(n.offset) + shift) * 4) / 4
        if start not in melody or top > melody[start].pitch:
            melody[start] = Note(top, start, max(0.25, round(float(n.quarterLength) * 4) / 4))
    notes = [melody[s] for s in sorted(melody)]
    for a, b in zip(notes, notes[1:]):
        a.duration = min(a.duration, b.start - a.start)
    length = float(score.highestTime) + shift
    chords: list[Chord] = []
    for beat in range(int(math.ceil(length))):
        chroma = np.zeros(12)
        window = flat.getElementsByOffset(beat - shift, beat + 1 - shift, includeEndBoundary=False,
                                          mustBeginInSpan=False)
        for n in window:
            for p in n.pitches:
                chroma[p.pitchClass] = 1.0
        if chroma.any():
            root, quality = match_chord(chroma)
            if chords and (chords[-1].root, chords[-1].quality) == (root, quality):
                chords[-1].duration += 1.0
            else:
                chords.append(Chord(float(beat), 1.0, root, quality))
    sheet = LeadSheet(melody=notes, chords=chords, key=KEY_NAMES[k.tonic.pitchClass],
                      mode="minor" if k.mode == "minor" else "major", meter=meter, length_beats=length,
                      title=path.stem, source=str(path))
    return LibraryEntry(id=str(path), title=path.stem, source=str(path), key=sheet.key, mode=sheet.mode,
                        meter=meter, description=f"{sheet.mode} piece in {meter}", lead_sheet=sheet)

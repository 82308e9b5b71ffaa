"""Analysis of symbolic files: MIDI (mido) and MusicXML / ABC / Humdrum (music21, lazily).

Each file gives one or more (:class:`~vmb.retrieve.autotag.Analysis`, :class:`~vmb.types.LeadSheet`)
pairs (an ABC tune book gives one per tune). Measured: key (Krumhansl-Schmuckler with the key
signature as a hint), tempo, meter, note density, pitch range, instrumentation (GM programs
mapped to vocab instruments), and a lead sheet: the melody is the skyline of the most
melody-like part, chords come from all voices (or from the harmoniser for a lone melody).

Conventions: times in beats (quarter notes) on a 1/48 grid, bar 0 at the file's start;
lead sheets keep at most :data:`MAX_BARS` bars.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from vmb import VmbError
from vmb.retrieve.autotag import Analysis
from vmb.retrieve.corpus import make_sections, skyline, snap
from vmb.retrieve.harmony import find_key, harmonic_unit, harmonise, name_chord
from vmb.theory import bar_beats
from vmb.types import Chord, LeadSheet, Note
from vmb.vocab import INSTRUMENTS, KEY_NAMES, PITCH_CLASS

MIDI_SUFFIXES = (".mid", ".midi", ".kar")
SCORE_SUFFIXES = (".musicxml", ".xml", ".mxl", ".abc", ".krn")
MAX_BARS = 128
# music21/MIDI meters that have the same beat grid as one of vocab.METERS (bars split evenly).
METER_MAP = {"4/4": "4/4", "2/2": "4/4", "3/4": "3/4", "2/4": "2/4", "6/8": "6/8", "12/8": "6/8",
             "3/8": "6/8", "6/4": "3/4", "4/2": "4/4", "3/2": "3/4"}
# GM blocks (program // 8) with no vocab instrument of their own.
_BLOCK_FALLBACK = {12: "synth pad", 15: "synthesizer"}


def instrument_for_program(program: int) -> str:
    """The vocab instrument for a General MIDI program 0..127 (same program, else the nearest
    one in its GM block of 8, else the block's fallback)."""
    pitched = [i for i in INSTRUMENTS.values() if not i.is_drum]
    same = [i.name for i in pitched if i.program == program]
    if same:
        return same[0]
    block = [i for i in pitched if i.program // 8 == program // 8]
    if block:
        return min(block, key=lambda i: abs(i.program - program)).name
    return _BLOCK_FALLBACK.get(program // 8, "piano")


def map_meter(ratio: str | None) -> tuple[str, str]:
    """(meter in vocab.METERS, "file" | "assumed") for a time-signature ratio like "12/8"."""
    if ratio in METER_MAP:
        return METER_MAP[ratio], "file"
    return "4/4", "assumed"


# --------------------------------------------------------------------------- notes -> lead sheet


def _melody_part(parts: list[list[Note]]) -> list[Note]:
    """The part most likely to carry the tune: high, mostly one note at a time, not too sparse."""
    def score(notes: list[Note]) -> float:
        onsets = Counter(n.start for n in notes)
        mono = sum(1 for c in onsets.values() if c == 1) / max(1, len(onsets))
        return float(np.mean([n.pitch for n in notes])) + 12.0 * mono + min(len(notes), 64) / 16.0
    candidates = [p for p in parts if len(p) >= 8] or parts
    return max(candidates, key=score)


def chords_from_notes(notes: list[Note], meter: str, length: float) -> list[Chord]:
    """One named chord per harmonic unit from all sounding ``notes`` (duration-weighted pitch
    classes, lowest note as bass), equal neighbours merged; tiles [0, length]."""
    unit = harmonic_unit(meter)
    n_units = max(1, int(math.ceil(length / unit - 1e-9)))
    weights = np.zeros((n_units, 12))
    lowest = np.full(n_units, 999)
    for n in notes:
        lo, hi = n.start, n.start + n.duration
        for u in range(max(0, int(lo // unit)), min(n_units, int(math.ceil(hi / unit)))):
            overlap = min(hi, (u + 1) * unit) - max(lo, u * unit)
            if overlap > 0:
                weights[u, n.pitch % 12] += overlap
                lowest[u] = min(lowest[u], n.pitch)
    chords: list[Chord] = []
    for u in range(n_units):
        start, end = u * unit, min(length, (u + 1) * unit)
        if weights[u].sum() == 0 or end <= start:
            if chords:
                chords[-1].duration = end - chords[-1].start
            continue
        root, quality, bass = name_chord(weights[u], int(lowest[u]) % 12)
        prev = chords[-1] if chords else None
        if prev and (prev.root, prev.quality, prev.bass) == (root, quality, bass):
            prev.duration = end - prev.start
        else:
            chords.append(Chord(start=start, duration=end - start, root=root, quality=quality, bass=bass))
    if chords and chords[0].start > 0:
        chords[0].duration += chords[0].start
        chords[0].start = 0.0
    return chords


def lead_sheet_from_notes(parts: list[list[Note]], meter: str, *, title: str, source: str,
                          key: tuple[int, str] | None = None, signature_tonic: int | None = None
                          ) -> LeadSheet:
    """A lead sheet from pitched ``parts`` (notes in beats): melody = skyline of the melody
    part, chords from all parts (harmoniser if there is only the melody), key by Krumhansl
    unless ``key`` = (tonic pc, mode) is given. Raises VmbError with fewer than 8 notes."""
    bar = bar_beats(meter)
    parts = [[Note(n.pitch, snap(n.start), max(snap(n.duration), 1 / 48), n.velocity) for n in p
              if n.start < MAX_BARS * bar] for p in parts]
    parts = [p for p in parts if p]
    everything = [n for p in parts for n in p]
    if len(everything) < 8:
        raise VmbError(f"{source}: too few notes to analyse ({len(everything)})")
    melody = skyline([Note(n.pitch, n.start, n.duration, n.velocity) for n in _melody_part(parts)])
    end = max(n.start + n.duration for n in everything)
    length = max(bar, math.ceil(end / bar - 1e-6) * bar)
    for n in melody:
        n.duration = snap(min(n.duration, length - n.start))
    tonic, mode = key or find_key(everything, meter, signature_tonic=signature_tonic)
    sections = make_sections(melody, [], length, meter)
    accompaniment = len(everything) - len(melody)
    if accompaniment >= 0.25 * len(everything):
        chords = chords_from_notes(everything, meter, length)
    else:
        chords = harmonise(melody, tonic=tonic, mode=mode, meter=meter, length_beats=length,
                           phrase_ends=[s.end for s in sections])
    return LeadSheet(melody=melody, chords=chords, sections=sections, key=KEY_NAMES[tonic], mode=mode,
                     meter=meter, length_beats=length, title=title, source=source)


def describe_notes(analysis: Analysis, parts: list[list[Note]], length_beats: float) -> None:
    """Fill ``analysis`` note statistics (count, density, range, mean pitch) from pitched parts."""
    pitches = [n.pitch for p in parts for n in p]
    analysis.note_count = len(pitches)
    analysis.density = round(len(pitches) / max(1.0, length_beats), 3)
    if pitches:
        analysis.pitch_low, analysis.pitch_high = int(min(pitches)), int(max(pitches))
        analysis.pitch_mean = round(float(np.mean(pitches)), 2)


# --------------------------------------------------------------------------- MIDI


def _signature_tonic(key_name: str | None) -> int | None:
    """The major tonic pitch class a MIDI key signature ("Em", "Bb") implies."""
    if not key_name:
        return None
    minor = key_name.endswith("m")
    pc = PITCH_CLASS.get(key_name.rstrip("m").upper())
    return None if pc is None else (pc + 3) % 12 if minor else pc


def analyze_midi(path: str | Path) -> list[tuple[Analysis, LeadSheet]]:
    """Analyse a Standard MIDI File (one piece). Raises VmbError for unreadable files."""
    import mido

    path = Path(path)
    try:
        mid = mido.MidiFile(str(path))
        duration_s = float(mid.length)
    except Exception as exc:  # noqa: BLE001 - mido raises OSError, EOFError, ValueError, KeyError ...
        raise VmbError(f"{path}: not a readable MIDI file ({type(exc).__name__}: {exc})") from None
    tpb = mid.ticks_per_beat or 480
    programs = [0] * 16
    open_notes: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    parts: dict[tuple[int, int], list[Note]] = defaultdict(list)  # (channel, program) -> notes
    drums = 0
    tempos, ratio, sig = [], None, None
    tick = 0
    for msg in mido.merge_tracks(mid.tracks):
        tick += msg.time
        if msg.type == "set_tempo":
            tempos.append((tick, mido.tempo2bpm(msg.tempo)))
        elif msg.type == "time_signature" and ratio is None:
            ratio = f"{msg.numerator}/{msg.denominator}"
        elif msg.type == "key_signature" and sig is None:
            sig = msg.key
        elif msg.type == "program_change":
            programs[msg.channel] = msg.program
        elif msg.type == "note_on" and msg.velocity > 0:
            open_notes[(msg.channel, msg.note)].append((tick, msg.velocity))
        elif msg.type in ("note_off", "note_on") and open_notes.get((msg.channel, msg.note)):
            start, velocity = open_notes[(msg.channel, msg.note)].pop(0)
            if msg.channel == 9:
                drums += 1
                continue
            parts[(msg.channel, programs[msg.channel])].append(
                Note(msg.note, start / tpb, max(tick - start, 1) / tpb, velocity))
    pitched = [sorted(p, key=lambda n: (n.start, -n.pitch)) for _, p in sorted(parts.items())]
    if sum(len(p) for p in pitched) < 8:
        raise VmbError(f"{path}: too few pitched notes to analyse")
    meter, meter_source = map_meter(ratio)
    sheet = lead_sheet_from_notes(pitched, meter, title=path.stem, source=str(path),
                                  signature_tonic=_signature_tonic(sig))
    by_count = sorted(parts.items(), key=lambda kv: -len(kv[1]))
    analysis = Analysis(kind="midi", title=path.stem, duration_s=round(duration_s, 2),
                        meter=meter, meter_source=meter_source, key=sheet.key, mode=sheet.mode,
                        has_drums=drums >= 8)
    if tempos:
        # the tempo that lasts longest (files often start with a count-in or end with a ritardando)
        spans = Counter()
        ends = [t for t, _ in tempos[1:]] + [max(tick, tempos[-1][0] + 1)]
        for (t, bpm), end in zip(tempos, ends):
            spans[round(bpm, 1)] += end - t
        analysis.bpm, analysis.bpm_source = float(spans.most_common(1)[0][0]), "file"
    analysis.programs = list(dict.fromkeys(prog for (_ch, prog), _ in by_count))
    analysis.instruments = list(dict.fromkeys(instrument_for_program(p) for p in analysis.programs))
    describe_notes(analysis, pitched, sheet.length_beats)
    return [(analysis, sheet)]


# --------------------------------------------------------------------------- music21 formats


def _music21_tempo(score) -> float | None:
    from music21 import tempo

    for mark in score.recurse().getElementsByClass(tempo.MetronomeMark):
        bpm = mark.getQuarterBPM()
        if bpm:
            return float(bpm)
    return None


_VOICE_WORDS = {"soprano", "alto", "tenor", "bass", "baritone", "voice", "vocals", "canto", "cantus",
                "altus", "bassus", "s", "a", "t", "b"}


def _music21_instruments(score) -> list[str]:
    from music21 import instrument

    from vmb.vocab import VocabError, normalize_instrument

    names = []
    for part in getattr(score, "parts", [])[:16]:
        inst = part.getInstrument(returnDefault=False)
        label = str(part.partName or (inst.partName if inst else "") or "").strip().lower().rstrip(".")
        if isinstance(inst, instrument.Vocalist) or label.split(" ")[0] in _VOICE_WORDS:
            names.append("choir")  # SATB parts: "Bass" is a singer, not a bass guitar
            continue
        if inst is None:
            continue
        name = None
        for text in (inst.instrumentName, inst.partName, part.partName):
            try:
                name = normalize_instrument(text) if text else None
            except VocabError:
                name = None
            if name:
                break
        if name is None and inst.midiProgram is not None:
            name = instrument_for_program(int(inst.midiProgram))
        if name:
            names.append(name)
    return list(dict.fromkeys(names))


def _score_parts_notes(score) -> list[list[Note]]:
    parts = list(getattr(score, "parts", [])) or [score]
    out = []
    for part in parts:
        notes = []
        for el in part.stripTies().flatten().notes:
            if el.duration.isGrace or el.duration.quarterLength <= 0:
                continue
            for p in el.pitches:
                notes.append(Note(int(p.midi), float(el.offset), float(el.duration.quarterLength)))
        if notes:
            out.append(notes)
    return out


def _analyze_music21(score, *, title: str, source: str, kind_info=None) -> tuple[Analysis, LeadSheet]:
    """One parsed music21 score -> (analysis, lead sheet). ``kind_info`` is the ABC header
    (a tagging.TuneInfo) used to name the tune type and suggest a tempo."""
    from music21 import meter as m21meter

    from vmb.retrieve.corpus import lead_sheet_from_part
    from vmb.retrieve.tagging import suggest_bpm, tune_type

    parts = list(getattr(score, "parts", [])) or [score]
    sheet = None
    try:
        sheet = lead_sheet_from_part(parts[0], title=title, source=source,
                                     score=score if len(parts) >= 3 else None)
    except Exception:  # noqa: BLE001 - odd layouts: fall back to the generic path below
        sheet = None
    notes = _score_parts_notes(score)
    ratios = [ts.ratioString for ts in score.recurse().getElementsByClass(m21meter.TimeSignature)]
    meter, meter_source = map_meter(ratios[0] if ratios else None)
    if sheet is None:  # unsupported meter, changing meters, several voices in one part ...
        sheet = lead_sheet_from_notes(notes, meter, title=title, source=source)
    else:
        meter_source = "file"
    analysis = Analysis(kind="score", title=title, meter=sheet.meter, meter_source=meter_source,
                        key=sheet.key, mode=sheet.mode, instruments=_music21_instruments(score))
    if kind_info is not None:  # ABC: the corpus tagger reads Q:, tempo words and the tune type
        analysis.tune_type = tune_type(kind_info, sheet)
        analysis.bpm = suggest_bpm(kind_info, sheet, analysis.tune_type)
        analysis.bpm_source = "file" if kind_info.tempo else "suggested"
    elif (bpm := _music21_tempo(score)) is not None:
        analysis.bpm, analysis.bpm_source = round(bpm, 1), "file"
    analysis.duration_s = round(sheet.length_beats * 60.0 / (analysis.bpm or 100.0), 2)
    describe_notes(analysis, notes, sheet.length_beats)
    return analysis, sheet


def analyze_score(path: str | Path) -> list[tuple[Analysis, LeadSheet]]:
    """Analyse a MusicXML (.musicxml/.xml/.mxl), ABC (every tune of a tune book) or Humdrum
    (.krn) file with music21. Raises VmbError if music21 is missing or nothing parses."""
    try:
        from music21 import converter
    except ImportError as exc:
        raise VmbError(f"{path}: reading MusicXML/ABC/Humdrum needs music21: pip install music21") from exc
    from vmb.retrieve.corpus import split_abc
    from vmb.retrieve.tagging import TuneInfo

    path = Path(path)
    results, errors = [], []
    if path.suffix.lower() == ".abc":
        tunes = split_abc(path.read_text(encoding="latin-1"))
        if not tunes:
            raise VmbError(f"{path}: no ABC tunes (no X: lines)")
        for tune in tunes:
            title = " ".join(tune.first("T").split()).strip(".") or f"{path.stem} {tune.index + 1}"
            title = title.title() if title.isupper() else title
            info = TuneInfo(collection="user", title=title, rhythm=tune.first("R"),
                            notes=" ".join(tune.fields.get("N", [])), origin=tune.first("O"),
                            tempo=tune.first("Q"))
            try:
                score = converter.parse(tune.text, format="abc")
                results.append(_analyze_music21(score, title=title, source=f"{path}#{tune.index}",
                                                kind_info=info))
            except Exception as exc:  # noqa: BLE001 - one bad tune must not sink the book
                errors.append(f"tune {tune.index}: {exc}")
    else:
        try:
            score = converter.parse(str(path))
        except Exception as exc:  # noqa: BLE001 - music21 raises many kinds
            raise VmbError(f"{path}: music21 cannot parse it ({type(exc).__name__}: {exc})") from None
        title = (score.metadata.title if getattr(score, "metadata", None) and score.metadata.title
                 else "") or path.stem
        results.append(_analyze_music21(score, title=title, source=str(path)))
    if not results:
        raise VmbError(f"{path}: no tune could be analysed ({'; '.join(errors)[:200]})")
    return results


def analyze_symbolic(path: str | Path) -> list[tuple[Analysis, LeadSheet]]:
    """Dispatch on the suffix: MIDI -> :func:`analyze_midi`, else :func:`analyze_score`."""
    suffix = Path(path).suffix.lower()
    if suffix in MIDI_SUFFIXES:
        return analyze_midi(path)
    if suffix in SCORE_SUFFIXES:
        return analyze_score(path)
    raise VmbError(f"{path}: not a symbolic music file (expected {', '.join(MIDI_SUFFIXES + SCORE_SUFFIXES)})")

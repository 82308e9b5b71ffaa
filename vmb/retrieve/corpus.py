"""Turn tunes of the music21 corpus into lead sheets (melody, chords, sections, key, meter).

Only the tune builder (``scripts/build_tunes.py``) and its tests import this module: it needs
music21, imported lazily. Run time code loads the shipped result through :mod:`vmb.retrieve.tunes`.

Conventions: times in beats (quarter notes) from the start of the lead sheet, rounded to 1/48.
A tune that starts with a pickup keeps it at the end of a padded bar 0, so bar lines fall on
multiples of the bar length; its sections then start at the first full bar and the notes
before ``sections[0].start`` are the pickup. Repeats are not expanded; of first/second endings
only the last is kept, so each strain is played once.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field

import numpy as np

from vmb.retrieve.harmony import find_key, harmonise, name_chord
from vmb.retrieve.tagging import TuneInfo, tag_tune
from vmb.theory import bar_beats, quarter_notes_per_pulse
from vmb.types import Chord, LeadSheet, LibraryEntry, Note, Section
from vmb.vocab import KEY_NAMES, METERS

GRID = 48  # time resolution: 1/48 beat (covers 16ths, 32nds and triplets)
_METER_ALIASES = {"2/2": "4/4", "C|": "4/4", "C": "4/4"}  # cut time has the same 4-beat bars
_MINOR_MODES = {"minor", "dorian", "phrygian", "aeolian", "locrian"}
MAX_PHRASE_BARS = 8


def snap(x: float) -> float:
    """``x`` rounded to the 1/48-beat grid."""
    return round(x * GRID) / GRID


@dataclass
class AbcTune:
    """One tune's text from a multi-tune ABC file and the header fields vmb reads."""

    index: int  # position in its file, 0-based
    text: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # "T" -> ["title", ...]

    def first(self, key: str, default: str = "") -> str:
        values = self.fields.get(key) or [default]
        return values[0].strip()


def split_abc(text: str) -> list[AbcTune]:
    """Split an ABC file into its tunes (each starts with an ``X:`` line)."""
    chunks = re.split(r"(?m)^(?=X:)", text)
    tunes = []
    for chunk in chunks:
        if not chunk.startswith("X:"):
            continue
        fields: dict[str, list[str]] = {}
        for line in chunk.splitlines():
            m = re.match(r"^([A-Za-z]):\s*(.*)$", line)
            if m and m.group(1) in "TRNOQMKLBS":
                fields.setdefault(m.group(1), []).append(m.group(2).strip())
            if line.startswith("K:"):
                break  # the body follows; later letter-colon lines are inline fields
        tunes.append(AbcTune(index=len(tunes), text=chunk, fields=fields))
    return tunes


# --------------------------------------------------------------------------- music21 -> notes


def _meter_of(part) -> str | None:
    """The part's single meter mapped into vocab.METERS, or None (several or unsupported)."""
    from music21 import meter as m21meter

    found = {ts.ratioString for ts in part.recurse().getElementsByClass(m21meter.TimeSignature)}
    found = {_METER_ALIASES.get(r, r) for r in found}
    if len(found) != 1:
        return None
    (ratio,) = found
    return ratio if ratio in METERS else None


def _skipped_measures(part) -> set[int]:
    """ids of measures under a first-ending bracket that has a later ending."""
    from music21 import spanner

    brackets = list(part.spannerBundle.getByClass(spanner.RepeatBracket))
    numbers = [{int(x) for x in re.findall(r"\d+", str(b.number or ""))} for b in brackets]
    skip: set[int] = set()
    for b, nums in zip(brackets, numbers):
        later = any(other and min(other) > max(nums) for other in numbers if other)
        if nums and later:
            skip.update(id(m) for m in b.getSpannedElements())
    return skip


def _is_boundary(barline, start: bool) -> bool:
    from music21 import bar

    if barline is None:
        return False
    if isinstance(barline, bar.Repeat):
        return barline.direction == ("start" if start else "end")
    return not start and barline.type in ("double", "light-light", "final", "light-heavy")


def layout_part(part, meter: str, *, top_voice: bool = True) -> tuple[list[Note], list[float], float]:
    """Lay a part's measures on a bar grid: (notes, section starts from repeats, length).

    Short measures are packed together (an end bar plus the next strain's pickup fill one bar);
    a lonely short measure is padded. ``top_voice`` reduces chords and voices to the top line.
    Grace notes are dropped, ties merged.
    """
    from music21 import stream

    bar = bar_beats(meter)
    part = part.stripTies()
    skip = _skipped_measures(part)
    notes: list[Note] = []
    boundaries: list[float] = []
    measures = [m for m in part.getElementsByClass(stream.Measure)
                if id(m) not in skip and m.duration.quarterLength > 0]
    pos, placed, prev_right = 0.0, 0, None
    for i, m in enumerate(measures):
        d = float(m.duration.quarterLength)
        next_full = i + 1 < len(measures) and measures[i + 1].duration.quarterLength >= bar - 1e-6
        aligned = abs(pos / bar - round(pos / bar)) < 1e-6
        if d >= bar - 1e-6:
            start = math.ceil(pos / bar - 1e-6) * bar
        elif placed == 0:
            start = bar - d  # opening pickup, right-aligned in a padded bar 0
        elif aligned and next_full:
            # A pickup after a complete bar: players cut the held end of that bar short, so
            # overlap it when no note starts there; otherwise give the pickup a padded bar.
            busy = any(pos - d - 1e-6 <= n.start < pos for n in notes)
            start = pos + bar - d if busy else pos - d
        elif (pos % bar) + d > bar + 1e-6:
            start = math.ceil(pos / bar - 1e-6) * bar
        else:
            start = pos
        if placed and (_is_boundary(m.leftBarline, True) or _is_boundary(prev_right, False)):
            boundaries.append(math.ceil(start / bar - 1e-6) * bar)
        for n in m.flatten().notes:
            if n.duration.isGrace or n.duration.quarterLength <= 0:
                continue
            pitches = [p.midi for p in n.pitches]
            chosen = [max(pitches)] if top_voice else pitches
            for p in chosen:
                notes.append(Note(pitch=int(p), start=snap(start + float(n.offset)),
                                  duration=snap(float(n.duration.quarterLength))))
        pos, placed, prev_right = start + d, placed + 1, m.rightBarline
    length = math.ceil(pos / bar - 1e-6) * bar
    if top_voice:
        notes = skyline(notes)
    notes = [n for n in notes if n.duration > 0 and n.start < length]
    for n in notes:
        n.duration = snap(min(n.duration, length - n.start))
    return notes, sorted(set(boundaries)), length


def skyline(notes: list[Note]) -> list[Note]:
    """Monophonic top line: the highest note at each onset, cut where the next one starts."""
    by_start: dict[float, Note] = {}
    for n in notes:
        if n.start not in by_start or n.pitch > by_start[n.start].pitch:
            by_start[n.start] = n
    line = [by_start[s] for s in sorted(by_start)]
    for a, b in zip(line, line[1:]):
        a.duration = snap(min(a.duration, b.start - a.start))
    return [n for n in line if n.duration > 0]


# --------------------------------------------------------------------------- sections


def make_sections(notes: list[Note], boundaries: list[float], length: float, meter: str) -> list[Section]:
    """Phrases from repeat/fermata boundaries, split to <= 8 bars (4 when no boundaries),
    merged when shorter than 2 bars, and lettered by melodic similarity (A, B, A ...)."""
    bar = bar_beats(meter)
    first = min((n.start for n in notes), default=0.0)
    start = 0.0 if first < 1e-6 or first % bar < 1e-6 else math.ceil(first / bar) * bar
    if start >= length:
        start = 0.0
    cuts = [start] + [b for b in boundaries if start < b < length] + [length]
    phrase = MAX_PHRASE_BARS if len(cuts) > 2 else 4
    spans: list[tuple[float, float]] = []
    for lo, hi in zip(cuts, cuts[1:]):
        n_bars = round((hi - lo) / bar)
        pieces = max(1, math.ceil(n_bars / phrase))
        size = math.ceil(n_bars / pieces) if n_bars else 0
        edges = [lo + i * size * bar for i in range(pieces)] + [hi]
        spans.extend((a, b) for a, b in zip(edges, edges[1:]) if b > a)
    merged: list[list[float]] = []
    for a, b in spans:
        if merged and (b - a < 2 * bar - 1e-6 or merged[-1][1] - merged[-1][0] < 2 * bar - 1e-6):
            merged[-1][1] = b
        else:
            merged.append([a, b])
    # Letter each phrase: same letter as an earlier phrase with mostly the same notes.
    contents = [
        {(n.pitch, snap(n.start - a)) for n in notes if a <= n.start < b} for a, b in merged
    ]
    letters: list[str] = []
    for i, c in enumerate(contents):
        letter = None
        for j in range(i):
            union = len(c | contents[j])
            if union and len(c & contents[j]) / union >= 0.6:
                letter = letters[j]
                break
        letters.append(letter or chr(ord("A") + min(25, len(set(letters)))))
    return [Section(name=letter, start=a, end=b) for letter, (a, b) in zip(letters, merged)]


# --------------------------------------------------------------------------- key and chords


def key_of(part, notes: list[Note], meter: str) -> tuple[int, str]:
    """(tonic pc, mode): an explicit non-major mode in the source wins; otherwise the key
    signature plus Krumhansl-Schmuckler analysis with a final-note bonus decide."""
    from music21 import key as m21key

    sigs = list(part.recurse().getElementsByClass(m21key.KeySignature))
    sig = sigs[0] if sigs else None
    if isinstance(sig, m21key.Key) and sig.mode not in (None, "major", "ionian"):
        mode = "minor" if sig.mode in _MINOR_MODES else "major"
        return sig.tonic.pitchClass, mode
    signature_tonic = (7 * sig.sharps) % 12 if sig is not None else None
    return find_key(notes, meter, signature_tonic=signature_tonic)


def chords_from_voices(score, meter: str, length: float, shift: float) -> list[Chord]:
    """One named chord per beat from all sounding voices (music21 chordify), merged when equal.

    ``shift`` moves score offsets into lead-sheet time (the pickup padding).
    """
    slices = score.chordify().flatten().getElementsByClass("Chord")
    n_beats = int(math.ceil(length - 1e-9))
    weights = np.zeros((n_beats, 12))
    bass = [None] * n_beats
    for ch in slices:
        lo = float(ch.offset) + shift
        hi = lo + float(ch.duration.quarterLength)
        low_pc = min(p.midi for p in ch.pitches) % 12 if ch.pitches else None
        for beat in range(max(0, int(lo)), min(n_beats, int(math.ceil(hi)))):
            overlap = min(hi, beat + 1) - max(lo, beat)
            if overlap <= 0:
                continue
            for p in ch.pitches:
                weights[beat, p.midi % 12] += overlap
            if bass[beat] is None or abs(lo - beat) < 1e-6:
                bass[beat] = low_pc
    chords: list[Chord] = []
    for beat in range(n_beats):
        end = min(length, beat + 1.0)
        if weights[beat].sum() == 0:
            if chords:
                chords[-1].duration = end - chords[-1].start
            continue
        root, quality, slash = name_chord(weights[beat], bass[beat])
        prev = chords[-1] if chords else None
        if prev and (prev.root, prev.quality, prev.bass) == (root, quality, slash):
            prev.duration = end - prev.start
        else:
            chords.append(Chord(start=float(beat), duration=end - beat, root=root, quality=quality, bass=slash))
    if chords and chords[0].start > 0:  # silent start: let the first chord cover it
        chords[0].duration += chords[0].start
        chords[0].start = 0.0
    return chords


def lead_sheet_from_part(part, *, title: str, source: str, score=None) -> LeadSheet | None:
    """A lead sheet from a music21 part (its melody); with ``score`` the chords come from all
    its voices (chorales), else from the harmoniser. None if the meter is unsupported or
    the tune is too short."""
    meter = _meter_of(part)
    if meter is None:
        return None
    notes, boundaries, length = layout_part(part, meter)
    bar = bar_beats(meter)
    if len(notes) < 8 or length < 4 * bar:
        return None
    if score is not None:
        from music21 import expressions

        boundaries = sorted(set(boundaries) | set(_fermata_ends(part, notes, expressions, bar)))
    sections = make_sections(notes, boundaries, length, meter)
    tonic, mode = key_of(score if score is not None else part, notes, meter)
    if score is not None:
        shift = _pickup_shift(part, bar)
        chords = chords_from_voices(score, meter, length, shift)
    else:
        chords = harmonise(notes, tonic=tonic, mode=mode, meter=meter, length_beats=length,
                           phrase_ends=[s.end for s in sections])
    return LeadSheet(melody=notes, chords=chords, sections=sections, key=KEY_NAMES[tonic],
                     mode=mode, meter=meter, length_beats=length, title=title, source=source)


def _pickup_shift(part, bar: float) -> float:
    from music21 import stream

    first = part.getElementsByClass(stream.Measure).first()
    d = float(first.duration.quarterLength) if first is not None else bar
    return bar - d if 0 < d < bar - 1e-6 else 0.0


def _fermata_ends(part, notes: list[Note], expressions, bar: float) -> list[float]:
    """Bar lines after each fermata of the melody (chorale phrase ends), in lead-sheet time."""
    shift = _pickup_shift(part, bar)
    ends = []
    for n in part.stripTies().flatten().notes:
        if any(isinstance(e, expressions.Fermata) for e in n.expressions):
            end = float(n.offset) + shift + float(n.duration.quarterLength)
            ends.append(math.ceil(end / bar - 1e-6) * bar)
    return ends


# --------------------------------------------------------------------------- library entries


def corpus_root() -> str:
    """The folder of music21's bundled corpus (paths in sources are relative to it)."""
    from music21 import corpus

    first = str(corpus.getPaths()[0])
    return first[: first.index("/corpus/") + len("/corpus/")]


def melody_hash(sheet: LeadSheet) -> str:
    """Content hash of the melody (pitch, onset, duration), for deduplicating tune books."""
    text = ";".join(f"{n.pitch},{n.start:g},{n.duration:g}" for n in sheet.melody)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def make_entry(sheet: LeadSheet, info: TuneInfo, entry_id: str) -> LibraryEntry:
    """Wrap a lead sheet with its derived tags as a library entry."""
    tags = tag_tune(entry_id, info, sheet)
    return LibraryEntry(
        id=entry_id, title=sheet.title, source=sheet.source, content_hash=melody_hash(sheet),
        duration_s=round(sheet.length_beats / quarter_notes_per_pulse(sheet.meter) * 60.0 / tags.bpm, 2),
        genres=tags.genres, moods=tags.moods, instruments=tags.instruments, bpm=tags.bpm, tempo_class=tags.tempo_class,
        key=sheet.key, mode=sheet.mode, meter=sheet.meter, description=tags.description,
        lead_sheet=sheet,
    )


def clean_title(text: str) -> str:
    """'BAG OF MEAL, THE' -> 'The Bag Of Meal'; 'Acacia -- Reel' -> 'Acacia Reel'."""
    title = re.sub(r"\s+", " ", text.replace(" -- ", " ")).strip().strip(".")
    if title.isupper():
        title = title.title()
    m = re.match(r"^(.*), (The|A|An)$", title, flags=re.IGNORECASE)
    return f"{m.group(2).capitalize()} {m.group(1)}" if m else title


Parsed = tuple[str, LeadSheet, TuneInfo]  # (entry id, lead sheet, what the source says)


def sheets_from_abc(rel_path: str, *, limit: int | None = None) -> list[Parsed]:
    """Lead sheets of the tunes of one ABC file of the corpus (``rel_path`` like
    "essenFolksong/han1.abc"); tunes that fail to parse or do not fit are skipped."""
    from music21 import converter

    with open(corpus_root() + rel_path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # older tune books are Latin-1
        text = raw.decode("latin-1")
    collection = rel_path.split("/")[0]
    stem = rel_path.split("/")[-1].rsplit(".", 1)[0]
    out = []
    for tune in split_abc(text)[:limit]:
        title = clean_title(tune.first("T")) or f"{stem} {tune.index + 1}"
        try:
            score = converter.parse(tune.text, format="abc")
            part = score.parts[0] if score.parts else score
            sheet = lead_sheet_from_part(part, title=title, source=f"music21:{rel_path}#{tune.index}")
        except Exception:  # noqa: BLE001 - malformed tunes exist in every tune book; skip them
            continue
        if sheet is None:
            continue
        info = TuneInfo(collection=collection, title=title, rhythm=tune.first("R"),
                        notes=" ".join(tune.fields.get("N", [])), origin=tune.first("O"),
                        tempo=tune.first("Q"))
        out.append((f"{collection}/{stem}#{tune.index}", sheet, info))
    return out


def sheet_from_chorale(rel_path: str) -> Parsed | None:
    """One Bach chorale: melody from the soprano, chords from all voices (None if unusable)."""
    from music21 import converter

    score = converter.parse(corpus_root() + rel_path)
    parts = list(score.parts)
    if len(parts) < 3:
        return None
    soprano = next((p for p in parts if "sopran" in (p.partName or "").lower()), parts[0])
    stem = rel_path.split("/")[-1].rsplit(".", 1)[0]
    title = (score.metadata.title if score.metadata and score.metadata.title else "") or stem
    title = f"Chorale {stem.upper()}" if title.endswith((".mxl", ".xml")) or title == stem else title
    sheet = lead_sheet_from_part(soprano, title=title, source=f"music21:{rel_path}#0", score=score)
    return None if sheet is None else (f"bach/{stem}#0", sheet, TuneInfo(collection="bach", title=title))


def entries_from_abc(rel_path: str, *, limit: int | None = None) -> list[LibraryEntry]:
    """Tagged library entries for the tunes of one ABC file (see :func:`sheets_from_abc`)."""
    return [make_entry(sheet, info, entry_id) for entry_id, sheet, info in sheets_from_abc(rel_path, limit=limit)]


def entry_from_chorale(rel_path: str) -> LibraryEntry | None:
    """The tagged library entry for one Bach chorale (see :func:`sheet_from_chorale`)."""
    parsed = sheet_from_chorale(rel_path)
    return None if parsed is None else make_entry(parsed[1], parsed[2], parsed[0])

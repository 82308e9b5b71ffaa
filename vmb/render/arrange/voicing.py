"""Harmony look-up and chord voicing for the arranger.

Pitches are MIDI note numbers, pitch classes 0..11 (C = 0), times in beats.
The arranger never adds a note outside the key except what the lead sheet's own
chords hold: sevenths and ninths are taken from the scale, and approach notes step
along the scale, so a key estimator still finds the lead sheet's key.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from itertools import product

from vmb import VmbError
from vmb.types import Chord
from vmb.vocab import CHORD_QUALITIES, SCALES


@dataclass(frozen=True)
class ChordSpan:
    """One chord of the harmony with its chord tones in stacking order (root, 3rd, 5th, 7th)."""

    root: int
    tones: tuple[int, ...]  # pitch classes, root first
    bass: int  # pitch class the bass plays (slash bass or root)
    start: float
    end: float

    @property
    def third(self) -> int | None:
        return self.tones[1] if len(self.tones) > 1 and self.tones[1] != self.tones[0] else None

    @property
    def fifth(self) -> int:
        return next((t for t in self.tones if (t - self.root) % 12 in (6, 7, 8)), self.root)


def scale_pcs(tonic: int, mode: str) -> list[int]:
    return [(tonic + s) % 12 for s in SCALES[mode]]


class Harmony:
    """The lead sheet's chords as a timeline, coloured as the style asks (``colour``: one of
    :data:`vmb.knowledge.CHORD_COLOURS`)."""

    def __init__(self, chords: list[Chord], tonic: int, mode: str, length: float, *, colour: str = "triad"):
        self.tonic, self.mode, self.length = tonic, mode, length
        self.scale = scale_pcs(tonic, mode)
        spans: list[ChordSpan] = []
        ordered = sorted(chords, key=lambda c: c.start)
        if not ordered or ordered[0].start > 0:  # no chord yet: the tonic triad
            first = ordered[0].start if ordered else length
            spans.append(self._span(Chord(0.0, first, tonic, "maj" if mode == "major" else "min"), colour))
        for i, chord in enumerate(ordered):
            if chord.quality not in CHORD_QUALITIES:
                raise VmbError(f"lead sheet chord at beat {chord.start:g} has unknown quality {chord.quality!r}")
            end = ordered[i + 1].start if i + 1 < len(ordered) else max(length, chord.start + chord.duration)
            if end > chord.start:
                spans.append(self._span(Chord(chord.start, end - chord.start, chord.root % 12,
                                              chord.quality, chord.bass), colour))
        self.spans = spans
        self._starts = [s.start for s in spans]

    def _span(self, chord: Chord, colour: str) -> ChordSpan:
        tones = [(chord.root + iv) % 12 for iv in CHORD_QUALITIES[chord.quality]]
        tones = list(dict.fromkeys(tones))
        root = chord.root % 12
        major = len(tones) == 3 and (tones[1] - root) % 12 == 4
        dominant = root == (self.tonic + 7) % 12 and major
        sevenths = colour in ("seventh", "ninth")
        if len(tones) == 3 and colour == "dominant" and (tones[2] - root) % 12 == 7:
            tones.append((root + 10) % 12)  # the blues: a flat seventh on every major and minor chord
        elif sevenths and len(tones) == 3 and root == self.tonic:
            if self.mode == "major" and major:
                tones.append((root + 9) % 12)  # a tonic six chord: no leading tone on I
        elif (sevenths or dominant) and len(tones) == 3:  # V is always a V7: its 7th is the key's 4th
            seventh = self.diatonic_above(root, 10 if major and tones[1] not in self.scale else None)
            if seventh is not None and seventh not in tones:
                tones.append(seventh)
        if colour in ("ninth", "add9") and 3 <= len(tones) <= 4 and root in self.scale:
            ninth = self.scale[(self.scale.index(root) + 1) % 7]
            if ninth not in tones and (ninth - root) % 12 == 2:  # a major ninth only (no b9 on iii, vii)
                tones.append(ninth)
        bass = chord.bass % 12 if chord.bass is not None else root
        return ChordSpan(root, tuple(tones), bass, chord.start, chord.start + chord.duration)

    def diatonic_above(self, root: int, forced: int | None = None) -> int | None:
        """The scale's seventh above ``root`` (the 4th degree for a raised-leading-tone V in minor)."""
        if forced is not None:
            return (root + forced) % 12
        if root not in self.scale:
            return None
        return self.scale[(self.scale.index(root) + 6) % 7]

    def at(self, beat: float) -> ChordSpan:
        i = max(0, bisect_right(self._starts, beat + 1e-6) - 1)
        return self.spans[i]

    def after(self, beat: float) -> ChordSpan:
        """The chord following the one sounding at ``beat`` (the last chord returns itself)."""
        i = max(0, bisect_right(self._starts, beat + 1e-6) - 1)
        return self.spans[min(i + 1, len(self.spans) - 1)]

    def tonic_span(self, start: float, end: float) -> ChordSpan:
        quality = "maj" if self.mode == "major" else "min"
        return self._span(Chord(start, end - start, self.tonic, quality), "triad")

    def in_scale(self, pc: int) -> bool:
        return pc % 12 in self.scale

    def step(self, pitch: int, direction: int) -> int:
        """The nearest scale pitch strictly above (direction 1) or below (-1) ``pitch``."""
        p = pitch + direction
        while p % 12 not in self.scale:
            p += direction
        return p


def place(pc: int, target: float, low: int, high: int) -> int:
    """The pitch of class ``pc`` nearest ``target`` inside [low, high] (nearest overall if none fits)."""
    base = int(round(target)) - 6
    candidates = [p for p in range(base, base + 12) if p % 12 == pc % 12]
    best = candidates[0]
    for p in (best - 24, best - 12, best, best + 12, best + 24):
        if low <= p <= high and (not low <= best <= high or abs(p - target) < abs(best - target)):
            best = p
    return fold(best, low, high)


def fold(pitch: int, low: int, high: int) -> int:
    """Move ``pitch`` by octaves into [low, high] (to the nearer edge if the range is narrower)."""
    while pitch < low:
        pitch += 12
    while pitch > high and pitch - 12 >= low:
        pitch -= 12
    return pitch


def _stack(pcs: list[int], bottom: int) -> list[int]:
    """Stack pitch classes upward in the given order, starting at pitch ``bottom``."""
    out = [bottom]
    for pc in pcs[1:]:
        p = out[-1] + 1
        while p % 12 != pc:
            p += 1
        out.append(p)
    return out


def _pick(candidates: list[list[int]], prev: list[int] | None, center: float) -> list[int]:
    """The candidate that moves least from ``prev`` (common tones stay) and sits near ``center``."""
    def cost(v: list[int]) -> float:
        c = abs(sum(v) / len(v) - center) * 0.3
        if prev:
            if len(prev) == len(v):
                c += sum(abs(a - b) for a, b in zip(sorted(prev), v))
            else:
                c += sum(min(abs(a - b) for b in prev) for a in v)
        return c
    return min(candidates, key=lambda v: (cost(v), v))


def chord_tones_for(span: ChordSpan, kind: str, harmony: Harmony, n: int) -> list[int]:
    """The pitch classes a voicing of ``kind`` uses: rootless/shell drop the root (except the
    key's tonic, which anchors the key), triads drop 7ths."""
    tones = list(span.tones)
    if kind == "triad":
        tones = tones[:3]
    elif kind in ("shell", "rootless") and len(tones) >= 3 and span.root != harmony.tonic:
        upper = [t for t in tones if t != span.root]
        if kind == "shell":
            upper = [t for t in upper if t != span.fifth] or upper
        ninth = harmony.scale[(harmony.scale.index(span.root) + 1) % 7] if span.root in harmony.scale else None
        if kind == "rootless" and len(upper) < n and ninth is not None and ninth not in upper:
            upper.append(ninth)
        tones = upper
    if len(tones) > n and span.fifth in tones[1:]:  # too many tones: the fifth goes first
        tones.remove(span.fifth)
    # Double the key's tonic first when the chord holds it: it steadies the key.
    base = sorted(tones, key=lambda t: t != harmony.tonic)
    while len(tones) < n:
        tones.append(base[len(tones) % len(base)])
    return tones[:n] if kind != "triad" else tones[: max(3, min(n, len(tones)))]


def voice(span: ChordSpan, kind: str, harmony: Harmony, prev: list[int] | None,
          center: float, low: int, high: int, n: int = 4) -> list[int]:
    """Voice ``span`` as sorted MIDI pitches within [low, high].

    kinds: "close"/"triad"/"shell"/"rootless" (close position, the inversion chosen by voice
    leading from ``prev``), "power" (root, fifth, octave; the tonic chord adds its third),
    "spread" (root, fifth, tenth: a piano left hand), "guitar" (open strummed shape), "octave"
    (close triad with the lowest voice doubled on top, as in a montuno), "drone" (the key's
    tonic and fifth).
    """
    if kind == "drone":  # the key's tonic and fifth, whatever the chord
        t = place(harmony.tonic, center - 3, low, high - 7)
        return [t, t + 7]
    root, fifth = span.root, span.fifth
    third = span.third if span.third is not None else fifth
    if kind == "power":
        r = place(root, center - 5, low, high - 12)
        shape = [r, r + (fifth - root) % 12, r + 12]
        if root == harmony.tonic and span.third is not None and r + 12 + (third - root) % 12 <= high:
            shape.append(r + 12 + (third - root) % 12)  # the tonic chord sounds its mode
        return shape
    if kind == "spread":
        r = place(span.bass, center - 7, low, high - 16)
        return [r, r + (fifth - span.bass) % 12 or 7, _stack([span.bass, third], r + 12)[1]]
    if kind == "guitar":
        r = place(span.bass, center - 9, low, high - 19)
        upper = span.tones[3] if len(span.tones) >= 4 else root  # a seventh (or sixth) replaces the doubled root
        order = [span.bass, fifth, upper, third, fifth]
        return [p for p in _stack(order, r) if p <= high]
    tones = chord_tones_for(span, "triad" if kind == "octave" else kind, harmony, 3 if kind == "octave" else n)
    uniq = list(dict.fromkeys(tones))
    doubled = tones[len(uniq):]  # stacked on top, an octave above their first appearance
    candidates: list[list[int]] = []
    for rot, base in product(range(len(uniq)), range(low, high + 1)):
        order = uniq[rot:] + uniq[:rot]
        if base % 12 != order[0]:
            continue
        stacked = _stack(order + doubled, base)
        if stacked[-1] <= high:
            candidates.append(stacked)
    if not candidates:  # range too narrow for a stack: fold each tone
        candidates = [sorted(place(t, center, low, high) for t in uniq)]
    chosen = _pick(candidates, prev, center)
    if kind == "octave" and chosen[0] + 12 <= high:
        chosen = chosen + [chosen[0] + 12]
    return chosen


def bass_note(symbol: str, span: ChordSpan, nxt: ChordSpan, harmony: Harmony, prev: int | None,
              center: float, low: int, high: int) -> int:
    """One bass pitch for a grid symbol.

    R root (or slash bass), 5 fifth, 3 third, 7 seventh (the scale's), 6 sixth (the scale's),
    8 root an octave up, N the next chord's root (anticipation), A a scale step leading
    into the next chord's root from the side nearer the previous note.
    """
    target = prev if prev is not None else center
    if symbol == "5" and span.root == harmony.tonic and span.bass == span.root:
        symbol = "8"
    if symbol == "A":
        goal = place(nxt.bass, target, low, high)
        up, down = harmony.step(goal, -1), harmony.step(goal, 1)
        pick = up if abs(up - target) <= abs(down - target) else down
        return fold(pick, low, high)
    if symbol == "N":
        return place(nxt.bass, target, low, high)
    root = place(span.bass, center if symbol != "8" else center - 6, low, high)
    if symbol == "8":
        return root + 12 if root + 12 <= high else root
    if symbol in "R":
        return place(span.bass, target if prev is not None and abs(target - center) < 7 else center, low, high)
    if symbol == "5":
        pc = span.fifth
    elif symbol == "3":
        pc = span.third if span.third is not None else span.fifth
    elif symbol in "67":
        degree = 5 if symbol == "6" else 6
        pc = harmony.scale[(harmony.scale.index(span.root) + degree) % 7] if span.root in harmony.scale else span.fifth
    else:
        raise ValueError(f"unknown bass symbol {symbol!r}")
    above = root + (pc - root) % 12
    return above if above <= high else fold(above - 12, low, high)

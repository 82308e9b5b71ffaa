"""Drum grooves and fills for the arranger, written as step grids.

A groove is one bar per meter and energy level ("light", "main", "full"), each drum
a string of steps spread evenly over the bar: ``X`` accent, ``x`` hit, ``o`` ghost,
``.`` rest. ``"x...x...x...x..."`` in 4/4 is four quarter notes (16 steps = 16ths).
A grid may hold several bars separated by ``|`` (a two-bar clave); bar ``i`` of the
piece plays part ``i % n``. Drum names are keys of :data:`vmb.vocab.DRUM_NOTES`.

Meters without their own grid are derived: 2/4 takes the first half of the 4/4 bar;
3/4 and 6/8 use the generic grids below with the groove's own kick/back/time voices,
so a swing groove keeps its ride and a folk groove its tambourine in every meter.
Offsets are in beats (quarter notes) from the bar start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vmb import theory
from vmb.vocab import DRUM_NOTES

ACCENTS = {"X": 1.15, "x": 1.0, "o": 0.55}
# Drums that keep time are quieter than the kick and backbeat in a real mix.
DRUM_GAIN = {
    "hihat_closed": 0.78, "hihat_open": 0.8, "hihat_pedal": 0.7, "ride": 0.8, "ride_bell": 0.8,
    "shaker": 0.62, "cabasa": 0.62, "tambourine": 0.68, "cowbell": 0.7, "clave": 0.8,
    "side_stick": 0.85, "crash": 0.9,
}

Grids = dict[str, str]  # drum name (or generic slot kick/back/time) -> step grid


@dataclass(frozen=True)
class Groove:
    """One drum style. ``grids[meter][level]`` maps drum names to step grids."""

    grids: dict[str, dict[str, Grids]]
    back: str = "snare"  # backbeat voice for derived meters
    time: str = "hihat_closed"  # time-keeping voice for derived meters
    fill: tuple[str, ...] = ("snare", "tom_high", "tom_mid", "tom_low")
    crash: str | None = "crash"  # struck on section downbeats and the final chord
    extra: Grids = field(default_factory=dict)  # added in every meter (a shaker, a clave)


def level_of(energy: float) -> str:
    """Energy 0..1 -> density level: sparse below 0.35, busiest from 0.7."""
    return "light" if energy < 0.35 else "main" if energy < 0.7 else "full"


def _g(light: Grids, main: Grids, full: Grids) -> dict[str, Grids]:
    return {"light": light, "main": main, "full": full}


# Generic bars for the meters a groove does not spell out (16th steps; 6/8 pulses at 0 and 1.5).
GENERIC: dict[str, dict[str, Grids]] = {
    "3/4": _g(
        {"kick": "x...........", "back": "........o...", "time": "x...x...x..."},
        {"kick": "x...........", "back": "....x...x...", "time": "x.x.x.x.x.x."},
        {"kick": "x.......x...", "back": "....X...X...", "time": "xoxoxoxoxoxo"},
    ),
    # 6/8 keeps its eighths even and the dotted-quarter accents soft, so a beat tracker
    # hears the quarter-note tempo (or the eighths) rather than only the dotted quarter.
    "6/8": _g(
        {"kick": "x...........", "back": "......o.....", "time": "x.x.x.x.x.x."},
        {"kick": "x...........", "back": "......o.....", "time": "x.x.x.x.x.x."},
        {"kick": "x...........", "back": "......x.....", "time": "x.x.x.x.x.x."},
    ),
}

_HATS8 = "x.x.x.x.x.x.x.x."
_BACK = "....x.......x..."

GROOVES: dict[str, Groove] = {
    "pop": Groove({"4/4": _g(
        {"kick": "x.......x.......", "snare": "....o.......o...", "hihat_closed": _HATS8},
        {"kick": "x.....x.x.......", "snare": "....X.......X...", "hihat_closed": _HATS8},
        {"kick": "x.....x.x.x.....", "snare": "....X.......X...", "hihat_closed": "xoxoxoxoxoxoxoxo",
         "hihat_open": "..............x."},
    )}),
    "rock": Groove({"4/4": _g(
        {"kick": "x.......x.......", "snare": "....x.......x...", "hihat_closed": _HATS8},
        {"kick": "x.......x.x.....", "snare": "....X.......X...", "hihat_closed": "X.x.X.x.X.x.X.x."},
        {"kick": "x.x.....x.x.....", "snare": "....X.......X...", "ride": "X.x.X.x.X.x.X.x.",
         "crash": "x..............."},
    )}, time="hihat_closed"),
    "four_floor": Groove({"4/4": _g(
        {"kick": "X...x...X...x...", "hihat_closed": "..x...x...x...x."},
        {"kick": "X...x...X...x...", "clap": "....x.......x...", "hihat_open": "..x...x...x...x.",
         "hihat_closed": "o.o.o.o.o.o.o.o."},
        {"kick": "X...x...X...x...", "clap": "....X.......X...", "hihat_open": "..x...x...x...x.",
         "hihat_closed": "xoxoxoxoxoxoxoxo"},
    )}, back="clap", fill=("snare",)),
    "boom_bap": Groove({"4/4": _g(
        {"kick": "X.........x.....", "snare": "....x.......x...", "hihat_closed": _HATS8},
        {"kick": "X......x..x.....", "snare": "....X.......X...", "hihat_closed": _HATS8},
        {"kick": "X......x..x..x..", "snare": "....X.......X...", "hihat_closed": "x.x.x.xxx.x.x.xx"},
    )}),
    "lofi": Groove({"4/4": _g(
        {"kick": "x.........x.....", "side_stick": "....x.......x...", "hihat_closed": "x.o.x.o.x.o.x.o."},
        {"kick": "x......x..x.....", "snare": "....x.......x...", "hihat_closed": "x.o.x.o.x.o.x.o."},
        {"kick": "x......x..x..x..", "snare": "....X.......X..o", "hihat_closed": _HATS8},
    )}, back="side_stick", fill=("snare", "tom_mid", "tom_low")),
    "swing": Groove({"4/4": _g(
        {"ride": "x...x...x...x...", "hihat_pedal": _BACK, "kick": "o...o...o...o..."},
        {"ride": "x...x.x.x...x.x.", "hihat_pedal": _BACK, "kick": "o...o...o...o...",
         "snare": "..........o....."},
        {"ride": "X...x.x.X...x.x.", "hihat_pedal": _BACK, "kick": "x...o...x...o...",
         "snare": "......o...o...o."},
    )}, back="hihat_pedal", time="ride", fill=("snare", "tom_mid", "tom_low"), crash="ride_bell"),
    "shuffle": Groove({"4/4": _g(
        {"kick": "x.......x.......", "snare": "....o.......o...", "hihat_closed": _HATS8},
        {"kick": "x.......x.......", "snare": "....X.......X...", "hihat_closed": "X.x.X.x.X.x.X.x."},
        {"kick": "x.....x.x.....x.", "snare": "....X.......X...", "ride": "X.x.X.x.X.x.X.x."},
    )}),
    "cinematic": Groove({"4/4": _g(
        {"kick": "x.......x......."},
        {"kick": "X...x...X...x...", "tom_low": "......x.......x."},
        {"kick": "X...x...X...x...", "tom_low": "..x...x...x.x.x.", "tom_mid": "....x.......x...",
         "snare": "o.o.o.o.o.o.o.o."},
    )}, back="tom_low", time="kick", fill=("tom_high", "tom_mid", "tom_low")),
    "ambient_pulse": Groove({"4/4": _g(
        {"shaker": "x.o.x.o.x.o.x.o.", "kick": "o..............."},
        {"shaker": "x.o.x.o.x.o.x.o.", "kick": "o.......o......."},
        {"shaker": "xoxoxoxoxoxoxoxo", "kick": "o.......o.......", "side_stick": "....o.......o..."},
    )}, back="side_stick", time="shaker", fill=("shaker",), crash=None),
    "folk": Groove({"4/4": _g(
        {"kick": "x.......x.......", "shaker": "x.o.x.o.x.o.x.o."},
        {"kick": "x.......x.......", "side_stick": _BACK, "shaker": "x.o.x.o.x.o.x.o."},
        {"kick": "x.....x.x.......", "snare": "....X.......X...", "tambourine": _HATS8},
    )}, back="side_stick", time="shaker", fill=("snare", "tom_mid", "tom_low")),
    "train": Groove({"4/4": _g(
        {"kick": "x.......x.......", "snare": "o.o.x.o.o.o.x.o."},
        {"kick": "x.......x.......", "snare": "o.o.X.o.o.o.X.o.", "hihat_pedal": _BACK},
        {"kick": "x.....x.x.......", "snare": "ooooXoooooooXooo", "hihat_closed": _HATS8},
    )}, time="snare"),
    "latin_kit": Groove({"4/4": _g(
        {"kick": "x.......x.......", "side_stick": "x.x..x.x.x..x.x.|x.x..x.x.x..x.x."},
        {"kick": "x.....x.x.....x.", "side_stick": "x.x..x.x.x..x.x.|x.x..x.x.x..x.x.",
         "cowbell": "x...x...x...x..."},
        {"kick": "x.....x.x.....x.", "timbale": "........x.....x.", "cowbell": "X.x.X.x.X.x.X.x."},
    )}, back="side_stick", time="cowbell", fill=("timbale", "tom_high", "tom_mid", "tom_low")),
    "latin_perc": Groove({"4/4": _g(
        {"clave": "x.....x.....x...|....x...x.......", "shaker": "x.o.x.o.x.o.x.o."},
        {"clave": "x.....x.....x...|....x...x.......", "shaker": "x.o.x.o.x.o.x.o.",
         "conga_high": "o...X.o.o...o...", "conga_low": "............x.x."},
        {"clave": "x.....x.....x...|....x...x.......", "cabasa": "xoxoxoxoxoxoxoxo",
         "conga_high": "o...X.o.o...X.o.", "conga_low": "......x.....x.x.", "bongo_high": "x.o.x.o.x.o.x.o."},
    )}, back="conga_high", time="shaker", fill=("conga_high", "conga_low"), crash=None),
    "one_drop": Groove({"4/4": _g(
        {"side_stick": "........x.......", "kick": "........x.......", "hihat_closed": _HATS8},
        {"side_stick": "........X.......", "kick": "........X.......", "hihat_closed": "x.x.x.x.x.x.x.x.",
         "hihat_open": "..............x."},
        {"snare": "........X.......", "kick": "x...x...x...x...", "hihat_closed": "xoxoxoxoxoxoxoxo"},
    )}, back="side_stick", fill=("snare", "tom_high", "tom_low")),
    "funk": Groove({"4/4": _g(
        {"kick": "x.........x.....", "snare": "....x.......x...", "hihat_closed": _HATS8},
        {"kick": "x.x.......x..x..", "snare": "....X..o.o..X..o", "hihat_closed": "xoxoxoxoxoxoxoxo",
         "clap": "....x.......x..."},
        {"kick": "x.x....x..x..x..", "snare": "....X..o.o..X..o", "hihat_closed": "xoxoxoxoxoxoxo.o",
         "hihat_open": "..............x.", "clap": "....x.......x..."},
    )}),  # the clap doubling the backbeat: MSD funk 0.16 -> 0.22 (4 seeds; see benchmarks/mma_grooves.py)
    "children": Groove({"4/4": _g(
        {"kick": "x.......x.......", "snare": "....o.......o...", "hihat_closed": "x...x...x...x..."},
        {"kick": "x.......x.......", "snare": _BACK, "hihat_closed": "x...x...x...x...",
         "tambourine": "..x...x...x...x."},
        {"kick": "x.......x.x.....", "snare": "....X.......X...", "tambourine": _HATS8,
         "hihat_closed": "x...x...x...x..."},
    )}, time="hihat_closed"),
    "world": Groove({"4/4": _g(
        {"conga_low": "x.......x.......", "shaker": "x.o.x.o.x.o.x.o."},
        {"conga_low": "x.....x...x.....", "conga_high": "....x.......x.x.", "shaker": "x.o.x.o.x.o.x.o."},
        {"conga_low": "x.....x...x.....", "conga_high": "..o.x..o....x.x.", "bongo_high": "x.o.x.o.x.o.x.o.",
         "tambourine": _BACK},
    )}, back="conga_high", time="shaker", fill=("bongo_high", "conga_high", "conga_low"), crash=None),
    "brushes": Groove({"4/4": _g(
        {"side_stick": _BACK, "hihat_closed": "x...x...x...x..."},
        {"kick": "x.......x.......", "side_stick": _BACK, "hihat_closed": _HATS8},
        {"kick": "x.......x.......", "snare": _BACK, "hihat_closed": _HATS8},
    )}, back="side_stick", fill=("snare", "tom_mid", "tom_low")),
}


def _bar_grids(groove: Groove, meter: str, level: str) -> tuple[Grids, float]:
    """The drum -> grid map for one bar and the bar length in beats."""
    bar_beats = theory.bar_beats(meter)
    if meter in groove.grids:
        return groove.grids[meter][level], bar_beats
    if meter == "2/4" and "4/4" in groove.grids:
        halves = {d: "|".join(b[: len(b) // 2] for b in g.split("|"))
                  for d, g in groove.grids["4/4"][level].items()}
        return halves, bar_beats
    generic = GENERIC.get(meter, GENERIC["3/4"])[level]
    voices = {"kick": "kick", "back": groove.back, "time": groove.time}
    grids: Grids = {}
    for slot, grid in generic.items():
        grids[voices[slot]] = grid
    return grids, bar_beats


def groove_hits(name: str, meter: str, energy: float, bar_index: int) -> list[tuple[int, float, float]]:
    """Hits of groove ``name`` for one bar: (GM drum note, offset in beats, accent 0.5..1.2)."""
    groove = GROOVES[name]
    grids, bar_beats = _bar_grids(groove, meter, level_of(energy))
    hits: list[tuple[int, float, float]] = []
    for drum, grid in {**grids, **groove.extra}.items():
        bars = grid.split("|")
        steps = bars[bar_index % len(bars)]
        step = bar_beats / len(steps)
        for i, ch in enumerate(steps):
            if ch in ACCENTS:
                hits.append((DRUM_NOTES[drum], i * step, ACCENTS[ch] * DRUM_GAIN.get(drum, 1.0)))
    return sorted(hits, key=lambda h: (h[1], h[0]))


def fill_hits(name: str, length: float, energy: float, meter: str) -> list[tuple[int, float, float]]:
    """A fill lasting ``length`` beats (offsets from its start): 16ths when energetic, else 8ths.

    The voices run from the groove's first fill drum down to its last, with a crescendo,
    and a kick under the first step so the pulse stays clear.
    """
    groove = GROOVES[name]
    step = 0.25 if energy >= 0.45 and meter != "6/8" else 0.5
    n = max(1, int(round(length / step)))
    voices = groove.fill
    hits = [(DRUM_NOTES["kick"], 0.0, 0.9)]
    for i in range(n):
        drum = voices[min(len(voices) - 1, i * len(voices) // n)]
        accent = 0.7 + 0.45 * (i / max(1, n - 1))
        hits.append((DRUM_NOTES[drum], i * step, accent * DRUM_GAIN.get(drum, 1.0)))
    return hits


def crash_of(name: str) -> int | None:
    """The GM note struck on section downbeats and the final chord, or None (hand percussion)."""
    crash = GROOVES[name].crash
    return DRUM_NOTES[crash] if crash else None

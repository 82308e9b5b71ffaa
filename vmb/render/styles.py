"""Arrangement styles: which parts play what, written as data.

A :class:`Style` is a band: a list of :class:`PartSpec` (role, vocab instrument, pattern,
the section energy from which the part joins in). Pitched patterns are step grids like
the drum grooves in :mod:`vmb.render.grooves`, one bar per meter and energy level
(light, main, full), each character one step:

- bass grids: ``R`` root (slash bass), ``5`` fifth, ``3`` third, ``6``/``7`` the scale's
  sixth/seventh, ``8`` octave, ``N`` next downbeat's root (anticipation), ``A`` a scale
  step into it;
- chord grids: ``c`` the whole voicing, ``o`` the voicing soft, ``u`` all but the lowest
  note, ``h`` lowest note doubled an octave up, ``1``-``5`` one voice (1 = lowest), ``b``/``f``
  a bass root/fifth under the voicing;
- arp and line grids: ``x`` the next note of the arpeggio or counter-line;
- ``-`` holds the previous step, ``.`` rests.

A grid of one step (``"c"``) is one note per bar. 3/4 and 2/4 bars without their own grid
take the first 3/4 or 1/2 of the 4/4 grid; 6/8 falls back to :data:`GENERIC_68` by kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vmb import VmbError
from vmb.types import Attributes
from vmb.vocab import GENRES, INSTRUMENTS, MOODS, normalize_genre, normalize_mood


@dataclass(frozen=True)
class Pattern:
    """How one pitched part plays. ``grids[meter] = (light, main, full)``; "" reuses main."""

    kind: str  # "bass" | "walk" | "chord" | "arp" | "line" | "melody"
    grids: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    voicing: str = "close"  # see vmb.render.voicing.voice; "drone" holds tonic and fifth
    voices: int = 4
    center: int = 60  # MIDI pitch the part's register centres on
    strum: float = 0.0  # beats between successive notes of a strummed chord
    staccato: float = 1.0  # fraction of the written length that sounds
    legato: bool = False  # a note rings until the next onset, across rests
    tie: bool = False  # repeated equal notes merge into one held note (pads)
    order: str = "up"  # arpeggio order: up | updown | walk | roll
    steady: bool = False  # its main grid marks every beat (it can carry the pulse without drums)


@dataclass(frozen=True)
class PartSpec:
    role: str  # drums | perc | bass | comp | pad | melody | counter | arp | timpani
    instrument: str  # vocab instrument name
    pattern: str  # key of PATTERNS, or of grooves.GROOVES for drums/perc
    threshold: float = 0.0  # plays in bars whose energy reaches this (requested parts always play)
    volume: float = 0.8  # mix gain 0..1
    pan: float = 0.0  # -1 left .. 1 right


@dataclass(frozen=True)
class Style:
    name: str
    description: str
    parts: tuple[PartSpec, ...]
    energy: float = 0.5  # default energy when the attributes give none
    swing: float = 0.5  # share of a swung pair the first note takes (0.5 straight, 0.667 triplet)
    swing_unit: float = 0.5  # beats: 0.5 swings 8ths, 0.25 swings 16ths
    sevenths: bool = False  # add the scale's seventh to triads
    loudness: float = 1.0  # velocity scale
    fallback_drums: str = "brushes"  # groove used when drums are asked for but the style has none


def _p(kind: str, g44: tuple[str, str, str] | None = None, **kw) -> Pattern:
    grids = kw.pop("grids", {})
    if g44:
        grids = {"4/4": g44, **grids}
    return Pattern(kind, grids, **kw)


PATTERNS: dict[str, Pattern] = {
    # bass
    "root8": _p("bass", ("R-------5-------", "R-R-R-R-R-R-R-A-", "R-R-R-R-8-R-5-A-"), center=40),
    "root4": _p("bass", ("R-------5-------", "R---5---R---5---", "R---5---8---5---"), center=40),
    "pump": _p("bass", ("R---------------", "..R-..R-..R-..R-", "R.R-..R-R.R-..R-"), center=36),
    "boom": _p("bass", ("R---------------", "R------R--R-----", "R------R--R--5--"), center=38),
    "lofi_bass": _p("bass", ("R-------5-------", "R------R--5-----", "R-----R---5---A-"), center=40),
    "boogie": _p("bass", ("R---5---R---5---", "R-3-5-6-8-6-5-3-", ""), center=40),
    "two_feel": _p("bass", ("R-------5-------", "R-------5-------", "R---5---R---A---"), center=40),
    "tumbao": _p("bass", ("R-------....N---", "......5-....N---", "R.....5-..5-N---"), center=40),
    "reggae_bass": _p("bass", ("R-------........", "R---..R-5-....A-", "R-.R..R-5-.5..A-"), center=38),
    "funk_bass": _p("bass", ("R-------R---5---", "R..R..8.R.5..RA.", "R.8R..8.R.5.8RA."), center=38),
    "long": _p("bass", ("R", "R", "R"), center=38, tie=True),
    "ostinato": _p("bass", ("R-..R-..R-..R-..", "R.R.R.R.R.R.R.R.", "R.RRR.RRR.RRR.RR"), center=45),
    "piano_ostinato": _p("bass", ("R.5.8.5.R.5.8.5.", "", "R.5.8.5.R.5.8.5."), center=52, steady=True),
    "classical_bass": _p("bass", ("R-------R-------", "R---R---R---R---", "R---5---R---5---"), center=45),
    "timpani": _p("bass", ("R...............", "R.......5.......", "R.......5...R.R."), center=45),
    "walking": _p("walk", ("R-------5-------", "", ""), center=40),
    # chords
    "block": _p("chord", ("c-------c-------", "c---c---c---c-c-", "c-c-c-c-c-c-c-c-"), center=62, steady=True),
    "power8": _p("chord", ("c-------c-------", "c-c-c-c-c-c-c-c-", ""), voicing="power", center=52, steady=True),
    "ep_sparse": _p("chord", ("c---------------", "c------...c-----", "c-----c-...c----"),
                    voicing="rootless", center=62),
    "lofi_ep": _p("chord", ("c---------------", "c-----c---------", "c-----c-----c---"),
                  voicing="rootless", center=62),
    "charleston": _p("chord", ("c---------------", "c-----c-........", "c-....c-..c-...."),
                     voicing="rootless", center=60),
    "blues_comp": _p("chord", ("c-------c-------", "....c-......c-..", "..c-..c-..c-..c-"),
                     voicing="triad", voices=3, center=62),
    "strum": _p("chord", ("b.4.3.5.f.4.3.5.", "c---c-c---c-c-c-", "c-c-c-c-c-c-c-c-"),
                voicing="guitar", center=58, strum=0.02, legato=True, steady=True),
    "boom_chick": _p("chord", ("b---u---f---u---", "b---u-u-f---u-u-", "b-u-u-u-f-u-u-u-"),
                     voicing="guitar", center=58, strum=0.015, steady=True),
    "ukulele": _p("chord", ("c-------c-------", "c---c-c---c-c-c-", "c-c-c-c-c-c-c-c-"),
                  voicing="triad", voices=4, center=68, strum=0.015, steady=True),
    "skank": _p("chord", ("....c.......c...", "..c...c...c...c.", ""), voicing="triad", voices=3,
                center=67, staccato=0.5),
    "bubble": _p("chord", ("..c-..c-..c-..c-", "", ".cc..cc..cc..cc."), voicing="triad", voices=3,
                 center=60, staccato=0.7),
    "montuno": _p("chord", ("c-..c-..c-..c-..", "h.3.2.h.3.2.h.3.", "h.3.2h.3.2h.3.2h"),
                  voicing="octave", center=66, steady=True),
    "scratch": _p("chord", ("c.......c.......", "c.oc..c.c.oc..c.", "cooc.oc.cooc.oc."),
                  voicing="rootless", center=64, staccato=0.5),
    "stabs": _p("chord", ("....c.......c...", "......c-....c-..", "c-....c-..c-c-.."),
                voicing="triad", voices=3, center=64, staccato=0.6),
    "alberti": _p("chord", ("1---3---2---3---", "1.3.2.3.1.3.2.3.", "1323132313231323"),
                  voicing="triad", voices=3, center=62, legato=True, steady=True),
    "piano_lh": _p("chord", ("1---2---3---2---", "1.2.3.2.1.2.3.2.", "1.2.3.2.1.2.3.2."),
                   grids={"3/4": ("1---2---3---", "1.2.3.2.3.2.", ""),
                          "6/8": ("1.2.3.2.3.2.", "", "")},
                   voicing="spread", center=50, legato=True, steady=True),
    "fingerpick": _p("chord", ("b.4.3.5.f.4.3.5.", "", ""), voicing="guitar", center=58, legato=True, steady=True),
    "pad": _p("chord", ("c", "c", "c"), center=62, tie=True),
    "low_pad": _p("chord", ("c", "c", "c"), center=55, tie=True, voices=3),
    "swell": _p("chord", ("c", "c", "c-------c-------"), voicing="triad", voices=3, center=57, tie=True),
    "drone": _p("chord", ("c", "c", "c"), voicing="drone", center=50, tie=True),
    # arpeggios and bells
    "arp8": _p("arp", ("x...x...x...x...", "x.x.x.x.x.x.x.x.", ""), center=67, order="updown", legato=True,
               steady=True),
    "arp16": _p("arp", ("x.x.x.x.x.x.x.x.", "x.xxx.xxx.xxx.xx", "xxxxxxxxxxxxxxxx"), center=72, staccato=0.8,
                steady=True),
    "bells": _p("arp", ("x.......x.......", "x...x...x...x...", "x.x.x.x.x.x.x.x."), center=82,
                order="walk", legato=True, steady=True),
    "roll": _p("arp", ("x.x.x.x.x.x.x.x.", "", ""), center=64, order="roll", legato=True, steady=True),
    "harp": _p("arp", ("x.x.x.x.x.x.x.x.", "", "xxxxxxxxxxxxxxxx"), center=66, order="updown", legato=True,
               steady=True),
    "glock": _p("arp", ("x.......x.......", "x...x...x...x...", "x.x.x.x.x.x.x.x."), center=84, order="walk",
                steady=True),
    # lines
    "guide": _p("line", ("x---------------", "x-------x-------", "x---x---x---x---"), center=60, tie=True),
    "melody": _p("melody", center=72),
}

# What a chord or arpeggio part plays when no drums keep time and its own pattern is syncopated.
PULSE = {
    "chord": _p("chord", ("c---c---c---c---", "c---c---c---c---", "c-c-c-c-c-c-c-c-")),
    "arp": _p("arp", ("x...x...x...x...", "x.x.x.x.x.x.x.x.", "")),
}

# 6/8 bars (12 sixteenths, pulses on steps 0 and 6) for patterns without their own.
# Even eighths above the lightest level (see grooves.GENERIC).
GENERIC_68: dict[str, tuple[str, str, str]] = {
    "bass": ("R-----5-----", "R-R-R-5-5-5-", "R-R-R-5-5-A-"),
    "walk": ("R-----5-----", "R-R-R-5-5-5-", "R-R-R-5-5-A-"),
    "chord": ("c-----c-----", "c-c-c-c-c-c-", ""),
    "arp": ("x...x.x...x.", "x.x.x.x.x.x.", "xxxxxxxxxxxx"),
    "line": ("x-----------", "x-----x-----", ""),
}

D, P, B, C, M, K, A, L, T = "drums", "perc", "bass", "comp", "melody", "pad", "arp", "counter", "timpani"


def _s(name: str, description: str, *parts: tuple, **kw) -> Style:
    return Style(name, description, tuple(PartSpec(*p) for p in parts), **kw)


STYLES: dict[str, Style] = {s.name: s for s in [
    _s("pop", "pop band: backbeat kit, eighth-note bass, piano chords, strings and guitar arpeggios lift the chorus",
       (D, "drums", "pop", 0.0, 0.85), (B, "bass", "root8", 0.0, 0.85), (C, "piano", "block", 0.0, 0.7, -0.2),
       (K, "strings", "pad", 0.55, 0.45, 0.2), (A, "electric guitar", "arp8", 0.6, 0.45, 0.35),
       (M, "synthesizer", "melody", 0.0, 0.7), energy=0.6),
    _s("rock", "rock band: driving kit, root eighths, distorted power chords, organ in the loud parts",
       (D, "drums", "rock", 0.0, 0.9), (B, "bass", "root8", 0.0, 0.85),
       (C, "distorted guitar", "power8", 0.0, 0.6, -0.35), (K, "organ", "pad", 0.7, 0.35, 0.3),
       (M, "electric guitar", "melody", 0.0, 0.8, 0.1), energy=0.75),
    _s("electronic", "EDM: four-on-the-floor kick, offbeat synth bass, pads and a sixteenth arpeggio",
       (D, "drums", "four_floor", 0.0, 0.9), (B, "synth bass", "pump", 0.0, 0.85),
       (K, "synth pad", "pad", 0.0, 0.5), (A, "synthesizer", "arp16", 0.35, 0.35, 0.3),
       (M, "synthesizer", "melody", 0.0, 0.65, -0.1), energy=0.7),
    _s("hip hop", "boom-bap: swung sixteenth hats, syncopated kick, electric piano chords, piano melody",
       (D, "drums", "boom_bap", 0.0, 0.95), (B, "synth bass", "boom", 0.0, 0.85),
       (C, "electric piano", "ep_sparse", 0.0, 0.6, -0.2), (K, "strings", "low_pad", 0.6, 0.3, 0.2),
       (M, "piano", "melody", 0.0, 0.7), energy=0.55, swing=0.57, swing_unit=0.25),
    _s("lofi", "lo-fi: soft swung kit, mellow bass, rootless electric piano sevenths, vibraphone melody",
       (D, "drums", "lofi", 0.0, 0.8), (B, "bass", "lofi_bass", 0.0, 0.8),
       (C, "electric piano", "lofi_ep", 0.0, 0.65, -0.15), (K, "synth pad", "low_pad", 0.5, 0.3),
       (M, "vibraphone", "melody", 0.0, 0.75, 0.1), energy=0.35, swing=0.6, sevenths=True, loudness=0.85),
    _s("jazz", "jazz combo: swing ride, walking bass, rootless piano comping on the Charleston, saxophone",
       (D, "drums", "swing", 0.0, 0.75), (B, "acoustic bass", "walking", 0.0, 0.9),
       (C, "piano", "charleston", 0.0, 0.65, -0.2), (M, "saxophone", "melody", 0.0, 0.8, 0.1),
       energy=0.5, swing=0.64, sevenths=True),
    _s("blues", "blues shuffle: triplet-feel kit, boogie bass, piano stabs, organ pad, guitar lead",
       (D, "drums", "shuffle", 0.0, 0.85), (B, "bass", "boogie", 0.0, 0.85),
       (C, "piano", "blues_comp", 0.0, 0.6, -0.2), (K, "organ", "pad", 0.5, 0.35, 0.2),
       (M, "electric guitar", "melody", 0.0, 0.8), energy=0.55, swing=0.667),
    _s("classical", "chamber music: violin melody, viola inner line, Alberti piano, cello bass",
       (M, "violin", "melody", 0.0, 0.8, 0.2), (L, "viola", "guide", 0.4, 0.5, 0.1),
       (C, "piano", "alberti", 0.0, 0.6, -0.2), (B, "cello", "classical_bass", 0.0, 0.7, -0.1),
       energy=0.45),
    _s("cinematic", "film score: string pad, low cello and piano ostinato, brass swells, timpani, violin theme",
       (B, "cello", "ostinato", 0.0, 0.75, -0.2), (B, "contrabass", "long", 0.4, 0.6),
       (C, "piano", "piano_ostinato", 0.0, 0.7, -0.3),
       (K, "strings", "pad", 0.0, 0.3), (K, "brass", "swell", 0.6, 0.3, 0.2),
       (T, "timpani", "timpani", 0.0, 0.7), (D, "drums", "cinematic", 0.7, 0.6),
       (M, "violin", "melody", 0.0, 0.7, 0.1), energy=0.6),
    _s("ambient", "ambient: slow pads, long bass, sparse bells, a soft shaker pulse instead of a kit",
       (K, "synth pad", "pad", 0.0, 0.6), (B, "synth bass", "long", 0.0, 0.5),
       (A, "celesta", "bells", 0.0, 0.45, 0.3), (P, "percussion", "ambient_pulse", 0.0, 0.55),
       (M, "pan flute", "melody", 0.0, 0.6, -0.1), energy=0.25, loudness=0.8),
    _s("folk", "acoustic folk: fingerpicked then strummed guitar, two-feel bass, light kit, flute melody",
       (D, "drums", "folk", 0.0, 0.7), (B, "acoustic bass", "two_feel", 0.0, 0.8),
       (C, "acoustic guitar", "strum", 0.0, 0.75, -0.25), (K, "accordion", "low_pad", 0.65, 0.35, 0.25),
       (M, "flute", "melody", 0.0, 0.75, 0.1), energy=0.45),
    _s("country", "country: train beat, root-fifth bass, boom-chick guitar, banjo rolls, fiddle melody",
       (D, "drums", "train", 0.0, 0.8), (B, "bass", "two_feel", 0.0, 0.85),
       (C, "acoustic guitar", "boom_chick", 0.0, 0.7, -0.25), (A, "banjo", "roll", 0.45, 0.45, 0.3),
       (M, "violin", "melody", 0.0, 0.75, 0.1), energy=0.6),
    _s("latin", "son/salsa: clave and congas, tumbao bass, piano montuno, trumpet melody",
       (D, "drums", "latin_kit", 0.0, 0.7), (P, "percussion", "latin_perc", 0.0, 0.75),
       (B, "bass", "tumbao", 0.0, 0.85), (C, "piano", "montuno", 0.0, 0.65, -0.2),
       (M, "trumpet", "melody", 0.0, 0.75, 0.1), energy=0.65),
    _s("piano", "solo piano: broken-chord left hand under the right-hand melody, nothing else",
       (C, "piano", "piano_lh", 0.0, 0.75), (M, "piano", "melody", 0.0, 0.85), energy=0.4),
    _s("funk", "funk: sixteenth hats with ghost notes, syncopated bass, scratch guitar, brass stabs",
       (D, "drums", "funk", 0.0, 0.9), (B, "bass", "funk_bass", 0.0, 0.9),
       (C, "electric guitar", "scratch", 0.0, 0.55, -0.3), (K, "brass", "stabs", 0.55, 0.5, 0.25),
       (M, "saxophone", "melody", 0.0, 0.75), energy=0.7, swing=0.54, swing_unit=0.25, sevenths=True),
    _s("reggae", "reggae: one-drop kit, melodic bass, offbeat guitar skank, organ bubble, harmonica",
       (D, "drums", "one_drop", 0.0, 0.85), (B, "bass", "reggae_bass", 0.0, 0.95),
       (C, "electric guitar", "skank", 0.0, 0.6, -0.3), (K, "organ", "bubble", 0.4, 0.4, 0.3),
       (M, "harmonica", "melody", 0.0, 0.7), energy=0.5, swing=0.55),
    _s("world", "world: hand drums and shaker, drone strings, fingerpicked nylon guitar, marimba, sitar",
       (P, "percussion", "world", 0.0, 0.8), (B, "acoustic bass", "two_feel", 0.0, 0.75),
       (C, "nylon guitar", "fingerpick", 0.0, 0.65, -0.25), (K, "strings", "drone", 0.0, 0.3),
       (A, "marimba", "arp8", 0.55, 0.4, 0.3), (M, "sitar", "melody", 0.0, 0.75, 0.1), energy=0.5),
    _s("children", "children's song: simple kit, bouncy bass, ukulele strum, glockenspiel, marimba tune",
       (D, "drums", "children", 0.0, 0.75), (B, "bass", "root4", 0.0, 0.8),
       (C, "ukulele", "ukulele", 0.0, 0.65, -0.2), (A, "glockenspiel", "glock", 0.5, 0.3, 0.3),
       (M, "marimba", "melody", 0.0, 0.85), energy=0.6),
]}

# Every vocab genre names a style (the solo-piano genre is "piano").
GENRE_STYLE: dict[str, str] = {g: g for g in GENRES}

# Style for a mood when no genre is given.
MOOD_STYLE: dict[str, str] = {
    "happy": "pop", "fun": "pop", "uplifting": "pop", "hopeful": "folk", "energetic": "electronic",
    "powerful": "rock", "epic": "cinematic", "adventure": "cinematic", "heroic": "cinematic",
    "playful": "children", "romantic": "piano", "love": "folk", "calm": "ambient",
    "relaxing": "lofi", "peaceful": "ambient", "dreamy": "ambient", "nostalgic": "lofi",
    "emotional": "piano", "melancholic": "piano", "sad": "piano", "dark": "cinematic",
    "mysterious": "ambient", "suspenseful": "cinematic", "tense": "cinematic", "dramatic": "cinematic",
    "angry": "rock", "meditative": "ambient", "groovy": "funk", "cool": "jazz", "funny": "children",
}

# Roles an asked-for instrument takes, in order of preference (by name, then by family).
ROLE_BY_NAME: dict[str, tuple[str, ...]] = {
    "drums": (D,), "percussion": (P,), "timpani": (T,),
    "cello": (L, B), "contrabass": (B, L), "viola": (L, M), "strings": (K, L), "choir": (K, M),
    "organ": (K, C), "church organ": (K, C), "synth pad": (K,), "brass": (K, L),
    "french horn": (L, K, M), "trombone": (L, B), "synthesizer": (M, A, K),
    "piano": (C, M, A), "electric piano": (C, K, M), "harpsichord": (C, A), "accordion": (C, K, M),
    "vibraphone": (A, M, C), "harp": (A, C), "banjo": (A, C), "ukulele": (C, A), "sitar": (M, A),
}
ROLE_BY_FAMILY: dict[str, tuple[str, ...]] = {
    "keys": (C, K, M), "guitar": (C, M, A), "bass": (B,), "strings": (M, L), "brass": (M, L),
    "woodwind": (M, L), "synth": (M, A, K), "percussion": (A, M), "plucked": (A, C), "voice": (K, M),
    "drums": (D,),
}
# Pattern a role plays when an asked-for instrument brings it into a style that lacks it.
ROLE_PATTERN = {B: "root4", C: "block", K: "pad", M: "melody", L: "guide", A: "arp8", T: "timpani", P: "world"}
# Who stands in for an excluded instrument, by role.
SUBSTITUTES: dict[str, tuple[str, ...]] = {
    B: ("bass", "acoustic bass", "synth bass", "contrabass", "cello"),
    C: ("piano", "electric piano", "acoustic guitar", "nylon guitar", "harp", "organ", "marimba"),
    K: ("strings", "synth pad", "organ", "choir", "accordion"),
    M: ("piano", "flute", "violin", "clarinet", "vibraphone", "electric piano", "synthesizer"),
    L: ("cello", "viola", "french horn", "clarinet"),
    A: ("harp", "celesta", "marimba", "vibraphone", "music box"),
    T: ("contrabass",),
}


def roles_for(instrument: str) -> tuple[str, ...]:
    """The roles a vocab instrument can take, best first."""
    if instrument in ROLE_BY_NAME:
        return ROLE_BY_NAME[instrument]
    return ROLE_BY_FAMILY.get(INSTRUMENTS[instrument].family, (C,))


def style_for_mood(valence: float, arousal: float) -> str:
    """The style of the mood nearest (valence, arousal) on the circumplex."""
    mood = min(MOODS, key=lambda m: (MOODS[m][0] - valence) ** 2 + (MOODS[m][1] - arousal) ** 2)
    return MOOD_STYLE[mood]


def resolve_style(style: str | None, attributes: Attributes) -> Style:
    """The style to play: ``style`` (a style or genre name), else the first genre, else the moods,
    else valence/arousal or energy on the mood circumplex, else pop."""
    if style:
        key = " ".join(style.strip().lower().replace("_", " ").split())
        if key in STYLES:
            return STYLES[key]
        if key in ("solo piano", "orchestral", "edm", "boom bap", "lo-fi"):
            key = {"solo piano": "piano", "orchestral": "cinematic", "edm": "electronic",
                   "boom bap": "hip hop", "lo-fi": "lofi"}[key]
            return STYLES[key]
        try:
            return STYLES[GENRE_STYLE[normalize_genre(key)]]
        except ValueError:
            raise VmbError(f"unknown arrangement style {style!r}; use one of {', '.join(STYLES)}") from None
    if attributes.genres:
        return STYLES[GENRE_STYLE[normalize_genre(attributes.genres[0])]]
    if attributes.moods:
        return STYLES[MOOD_STYLE[normalize_mood(attributes.moods[0])]]
    if attributes.valence is not None or attributes.arousal is not None:
        return STYLES[style_for_mood(attributes.valence or 0.3, attributes.arousal or 0.0)]
    if attributes.energy is not None:
        return STYLES[style_for_mood(0.3, 2.0 * attributes.energy - 1.0)]
    return STYLES["pop"]


def base_energy(attributes: Attributes, style: Style) -> float:
    """Overall energy 0..1: the attributes' own, else the style's nudged by the moods' arousal."""
    if attributes.energy is not None:
        return float(min(1.0, max(0.05, attributes.energy)))
    arousal = attributes.arousal
    if arousal is None and attributes.moods:
        arousal = sum(MOODS[normalize_mood(m)][1] for m in attributes.moods) / len(attributes.moods)
    energy = style.energy + (0.2 * arousal if arousal is not None else 0.0)
    return float(min(1.0, max(0.05, energy)))

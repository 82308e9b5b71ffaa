"""Arrangement styles: which parts play what, written as data.

A :class:`Style` is a band: a list of :class:`StylePart` (role, vocab instrument, pattern,
the section energy from which the part joins in). Styles, their parts and the roles are
records in ``vmb/data/styles.toml`` (:mod:`vmb.knowledge`); :data:`STYLES` and the role
tables here are views of them. The patterns stay here: pitched patterns are step grids like
the drum grooves in :mod:`vmb.render.arrange.grooves`, one bar per meter and energy level
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

from vmb import VmbError, theory
from vmb.knowledge import Style, knowledge  # Style: the record type, used by parts and arrange
from vmb.types import Attributes
from vmb.vocab import INSTRUMENTS, MOODS, normalize_genre, normalize_mood


@dataclass(frozen=True)
class Pattern:
    """How one pitched part plays. ``grids[meter] = (light, main, full)``; "" reuses main."""

    kind: str  # "bass" | "walk" | "chord" | "arp" | "line" | "melody"
    grids: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    voicing: str = "close"  # see vmb.render.arrange.voicing.voice; "drone" holds tonic and fifth
    voices: int = 4
    center: int = 60  # MIDI pitch the part's register centres on
    strum: float = 0.0  # beats between successive notes of a strummed chord
    staccato: float = 1.0  # fraction of the written length that sounds
    legato: bool = False  # a note rings until the next onset, across rests
    tie: bool = False  # repeated equal notes merge into one held note (pads)
    order: str = "up"  # arpeggio order: up | updown | walk | roll
    steady: bool = False  # its main grid marks every beat (it can carry the pulse without drums)


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

# Views of vmb/data/styles.toml (vmb.knowledge), in file order: edit the records, not these.
STYLES: dict[str, Style] = dict(knowledge().styles)
STYLE_ALIASES: dict[str, str] = {a: s.name for s in STYLES.values() for a in s.aliases}
GENRE_STYLE: dict[str, str] = {g.name: g.style for g in knowledge().genres.values()}
# Style for a mood when no genre is given.
MOOD_STYLE: dict[str, str] = {m.name: m.style for m in knowledge().moods.values()}
# Roles an asked-for instrument takes, in order of preference (by name, then by family).
ROLE_BY_NAME: dict[str, tuple[str, ...]] = dict(knowledge().instrument_roles)
ROLE_BY_FAMILY: dict[str, tuple[str, ...]] = dict(knowledge().family_roles)
# Pattern a role plays when an asked-for instrument brings it into a style that lacks it.
ROLE_PATTERN: dict[str, str] = {r.name: r.pattern for r in knowledge().roles.values() if r.pattern}
# Who stands in for an excluded instrument, by role.
SUBSTITUTES: dict[str, tuple[str, ...]] = {r.name: r.substitutes for r in knowledge().roles.values()
                                           if r.substitutes}


def roles_for(instrument: str) -> tuple[str, ...]:
    """The roles a vocab instrument can take, best first."""
    if instrument in ROLE_BY_NAME:
        return ROLE_BY_NAME[instrument]
    return ROLE_BY_FAMILY.get(INSTRUMENTS[instrument].family, ("comp",))


def style_for_mood(valence: float, arousal: float) -> str:
    """The style of the mood nearest (valence, arousal) on the circumplex."""
    return MOOD_STYLE[theory.nearest_moods(valence, arousal, 1)[0]]


def resolve_style(style: str | None, attributes: Attributes) -> Style:
    """The style to play: ``style`` (a style or genre name), else the first genre, else the moods,
    else valence/arousal or energy on the mood circumplex, else pop."""
    if style:
        key = " ".join(style.strip().lower().replace("_", " ").split())
        if key in STYLES:
            return STYLES[key]
        if key in STYLE_ALIASES:
            return STYLES[STYLE_ALIASES[key]]
        try:  # a genre name or alias (vocab.GENRE_ALIASES, from the genre records)
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
    """Overall energy 0..1: the style's, moved as far as the attributes' own energy lies from the
    middle (a calm request plays a style softer, an energetic one harder), else nudged by the
    moods' arousal."""
    if attributes.energy is not None:
        return float(min(1.0, max(0.05, style.energy + attributes.energy - 0.5)))
    arousal = attributes.arousal
    if arousal is None and attributes.moods:
        arousal = sum(MOODS[normalize_mood(m)][1] for m in attributes.moods) / len(attributes.moods)
    energy = style.energy + (0.2 * arousal if arousal is not None else 0.0)
    return float(min(1.0, max(0.05, energy)))

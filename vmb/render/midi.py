"""Standard MIDI files <-> :class:`vmb.types.Score`.

Writing: a type-1 file at 480 ticks per beat. Track 0 is the conductor track (tempo map as
``set_tempo``, time and key signature, section names as markers); then one track per Score
track with its name, program change, volume (CC7), pan (CC10) and notes. Drum tracks play on
channel 10 (index 9); the other tracks take channels 1-16 in order, skipping 10.

Reading accepts any type-0/1 file: notes are grouped per (file track, channel), channel 10 is
drums, and the first tempo, time and key signature events give the Score's map and meter.
Role and instrument names written by vmb come back from a ``vmb`` text event on each track.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict, deque
from pathlib import Path

import mido

from vmb import VmbError
from vmb.types import Note, Score, Section, TempoChange, Track
from vmb.vocab import VocabError, key_pitch_class, parse_key

from .writers import atomic_path

TICKS_PER_BEAT = 480
DRUM_CHANNEL = 9
_MAJOR_KEYS = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
_MINOR_KEYS = ["Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm"]
_TAG = "vmb "  # prefix of the text event carrying role/instrument


def _key_signature(key: str, mode: str) -> str | None:
    try:
        pc = key_pitch_class(key)
    except KeyError:
        return None
    return (_MINOR_KEYS if mode == "minor" else _MAJOR_KEYS)[pc]


def _channels(tracks: list[Track]) -> list[int]:
    melodic = [c for c in range(16) if c != DRUM_CHANNEL]
    out, i = [], 0
    for track in tracks:
        if track.is_drum:
            out.append(DRUM_CHANNEL)
        else:
            out.append(melodic[i % len(melodic)])  # more than 15 melodic tracks share channels
            i += 1
    return out


def _to_track(events: list[tuple[int, int, mido.Message]], end: int) -> mido.MidiTrack:
    """Absolute (tick, order, message) events -> a track with delta times, ending at tick ``end``."""
    track = mido.MidiTrack()
    now = 0
    for tick, _order, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(skip_checks=True, time=tick - now))  # checked when built; ticks ascend
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    return track


def score_to_midi(score: Score) -> mido.MidiFile:
    """Build the type-1 :class:`mido.MidiFile` of ``score`` (see the module docstring)."""
    tick = lambda beat: max(0, int(round(beat * TICKS_PER_BEAT)))  # noqa: E731
    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    try:
        num, den = (int(x) for x in score.meter.split("/"))
    except ValueError:
        raise VmbError(f"cannot write MIDI: meter {score.meter!r} is not of the form '4/4'") from None
    last = max([score.length_beats] + [n.start + n.duration for t in score.tracks for n in t.notes])
    conductor = [
        (0, 0, mido.MetaMessage("track_name", name="vmb")),
        (0, 1, mido.MetaMessage("time_signature", numerator=num, denominator=den)),
    ]
    key_sig = _key_signature(score.key, score.mode)
    if key_sig:
        conductor.append((0, 1, mido.MetaMessage("key_signature", key=key_sig)))
    for change in score.tempo_map:
        conductor.append((tick(change.beat), 2, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(change.bpm))))
    for section in score.sections:
        conductor.append((tick(section.start), 3, mido.MetaMessage("marker", text=section.name)))
    mid.tracks.append(_to_track(conductor, tick(last)))

    for track, ch in zip(score.tracks, _channels(score.tracks)):
        info = json.dumps({"role": track.role, "instrument": track.instrument})
        volume_cc = round(127 * min(max(track.volume, 0.0), 1.0) ** 0.5)  # GM: gain = (cc/127)^2
        pan_cc = min(127, max(0, round(64 + 63 * track.pan)))
        events = [
            (0, 0, mido.MetaMessage("track_name", name=track.name)),
            (0, 0, mido.MetaMessage("text", text=_TAG + info)),
            (0, 1, mido.Message("program_change", channel=ch, program=track.program % 128)),
            (0, 1, mido.Message("control_change", channel=ch, control=7, value=volume_cc)),
            (0, 1, mido.Message("control_change", channel=ch, control=10, value=pan_cc)),
        ]
        for note in track.notes:
            on = tick(note.start)
            off = max(on + 1, tick(note.start + note.duration))
            vel = min(127, max(1, int(note.velocity)))
            pitch = min(127, max(0, int(note.pitch)))
            # At one tick, note-offs (order 2) come before note-ons (order 3): repeated notes re-strike.
            # Values are clamped above: mido's per-field checks would cost more than the rest of the file.
            events.append((on, 3, mido.Message("note_on", skip_checks=True, channel=ch, note=pitch, velocity=vel)))
            events.append((off, 2, mido.Message("note_off", skip_checks=True, channel=ch, note=pitch, velocity=0)))
        mid.tracks.append(_to_track(events, tick(last)))
    return mid


def write_midi(path: str | os.PathLike, score: Score) -> Path:
    """Write ``score`` as a type-1 Standard MIDI File (480 ticks per beat), atomically."""
    mid = score_to_midi(score)
    with atomic_path(path) as tmp:
        mid.save(tmp)
    return Path(path)


def read_midi(path: str | os.PathLike) -> Score:
    """Read a Standard MIDI File into a :class:`Score` (notes in beats, tempo map, meter, key).

    Raises :class:`VmbError` naming the file when it is missing or not a valid MIDI file.
    """
    try:
        mid = mido.MidiFile(path, clip=True)
    except FileNotFoundError:
        raise VmbError(f"cannot read MIDI file {path}: no such file") from None
    except Exception as exc:  # mido raises OSError, EOFError, ValueError, KeyError ... on bad data
        raise VmbError(f"cannot read MIDI file {path}: not a valid MIDI file ({exc})") from None
    if mid.type == 2:
        raise VmbError(f"cannot read MIDI file {path}: type-2 (multi-song) files are not supported")
    return midi_to_score(mid)


def midi_to_score(mid: mido.MidiFile) -> Score:
    """Convert a parsed :class:`mido.MidiFile` (type 0 or 1) to a :class:`Score`."""
    tpb = mid.ticks_per_beat
    tempos: dict[int, float] = {}
    meter, key, mode, end_tick = None, "C", "major", 0
    markers: list[tuple[int, str]] = []
    program = [0] * 16  # channel state is global to the file in a type-1 file
    groups: dict[tuple[int, int], dict] = {}
    names: dict[int, str] = {}
    infos: dict[int, dict] = {}

    # Merge all tracks by absolute tick so channel state (programs) is applied in time order.
    merged = []
    for ti, trk in enumerate(mid.tracks):
        now = 0
        for order, msg in enumerate(trk):
            now += msg.time
            merged.append((now, ti, order, msg))
        end_tick = max(end_tick, now)
    merged.sort(key=lambda e: (e[0], e[1], e[2]))

    for now, ti, _order, msg in merged:
        if msg.type == "set_tempo":
            tempos[now] = mido.tempo2bpm(msg.tempo)
        elif msg.type == "time_signature" and meter is None:
            meter = f"{msg.numerator}/{msg.denominator}"
        elif msg.type == "key_signature" and now == 0:
            try:
                key, parsed_mode = parse_key(msg.key)
                mode = parsed_mode or "major"
            except VocabError:
                pass
        elif msg.type == "marker":
            markers.append((now, msg.text))
        elif msg.type == "track_name":
            names.setdefault(ti, msg.name)
        elif msg.type == "text" and msg.text.startswith(_TAG):
            try:
                infos[ti] = json.loads(msg.text[len(_TAG):])
            except ValueError:
                pass
        elif msg.type == "program_change":
            program[msg.channel] = msg.program
        elif msg.type in ("note_on", "note_off", "control_change"):
            group = groups.setdefault(
                (ti, msg.channel),
                {"program": program[msg.channel], "notes": [], "open": defaultdict(deque), "cc": {}},
            )
            if msg.type == "control_change":
                group["cc"].setdefault(msg.control, msg.value)
            elif msg.type == "note_on" and msg.velocity > 0:
                if not group["notes"] and not group["open"]:
                    group["program"] = program[msg.channel]
                group["open"][msg.note].append((now, msg.velocity))
            elif group["open"][msg.note]:  # note_off, or note_on with velocity 0: first in, first out
                start, vel = group["open"][msg.note].popleft()
                group["notes"].append(Note(msg.note, start / tpb, (now - start) / tpb, vel))

    tracks = []
    for (ti, ch), group in sorted(groups.items()):
        for pitch, opened in group["open"].items():  # notes never released end with the file
            for start, vel in opened:
                group["notes"].append(Note(pitch, start / tpb, max(end_tick - start, 1) / tpb, vel))
        if not group["notes"]:
            continue
        notes = sorted(group["notes"], key=lambda n: (n.start, n.pitch))
        info = infos.get(ti, {})
        name = names.get(ti) or f"track {ti} ch {ch + 1}"
        if sum(1 for (t, _c) in groups if t == ti) > 1:
            name = f"{name} ch {ch + 1}"
        cc = group["cc"]
        tracks.append(
            Track(
                name=name,
                program=group["program"],
                notes=notes,
                is_drum=ch == DRUM_CHANNEL,
                role=info.get("role", ""),
                instrument=info.get("instrument", ""),
                volume=(cc[7] / 127) ** 2 if 7 in cc else 1.0,
                pan=max(-1.0, min(1.0, (cc[10] - 64) / 63)) if 10 in cc else 0.0,
            )
        )

    if 0 not in tempos:
        tempos[0] = 120.0  # the MIDI default before any set_tempo
    tempo_map = [TempoChange(t / tpb, bpm) for t, bpm in sorted(tempos.items())]
    length = end_tick / tpb
    sections = [
        Section(name, t / tpb, (markers[i + 1][0] / tpb) if i + 1 < len(markers) else length)
        for i, (t, name) in enumerate(markers)
    ]
    return Score(
        tracks=tracks,
        tempo_map=tempo_map,
        key=key,
        mode=mode,
        meter=meter or "4/4",
        sections=sections,
        length_beats=length,
    )

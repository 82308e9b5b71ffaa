"""Score -> sample-timed MIDI events and render lengths, shared by the SoundFont backends.

Every synthesizer backend (tinysoundfont, FluidSynth, the numpy synth) renders the same number
of samples for a score and places its notes by the same rounding, so their outputs line up.
"""

from __future__ import annotations

from vmb import VmbError
from vmb.knowledge import knowledge
from vmb.types import Score

SAMPLE_RATE = 44100  # what vmb renders, masters and writes at (Hz)
RELEASE_TAIL_S = 2.0  # rendered after the last note when the score has no fixed duration


def note_events(score: Score, tracks, sample_rate: int, n_samples: int, *, grid: int = 1) -> list[tuple]:
    """(sample, order, kind, channel, pitch, velocity) for the track indices ``tracks``, sorted.

    Channel ``i`` is the ``i``-th index of ``tracks``. Notes starting at or after ``n_samples``
    and notes without duration are left out. At one sample, note-offs (order 0) come before
    note-ons (order 1) so repeated notes re-strike.

    ``grid``: event samples are rounded to the nearest multiple of it (FluidSynth starts voices
    only at the start of its 64-sample blocks), and a note-off comes at least one grid step after
    its note-on, so that no note ends before it starts.
    """
    events = []
    for ch, ti in enumerate(tracks):
        for note in score.tracks[ti].notes:
            start = round(score.beat_to_seconds(note.start) * sample_rate)
            if start >= n_samples or note.duration <= 0:
                continue
            end = round(score.beat_to_seconds(note.start + note.duration) * sample_rate)
            if grid > 1:
                start, end = grid * round(start / grid), grid * round(end / grid)
            vel = min(127, max(1, int(note.velocity)))
            events.append((start, 1, "on", ch, note.pitch, vel))
            events.append((max(end, start + grid), 0, "off", ch, note.pitch, 0))
    events.sort()
    return events


def render_length(score: Score, sample_rate: int) -> int:
    """Samples to render: ``round(duration_s * sample_rate)`` when the score fixes its duration,
    else up to the later of the last note's end and ``length_beats``, plus a release tail."""
    if score.duration_s is not None:
        if score.duration_s <= 0:
            raise VmbError(f"score duration_s={score.duration_s} must be positive")
        return round(score.duration_s * sample_rate)
    end_beat = max([score.length_beats] + [n.start + n.duration for t in score.tracks for n in t.notes])
    return round((score.beat_to_seconds(end_beat) + RELEASE_TAIL_S) * sample_rate)


def validate_score(score: Score, sample_rate: int) -> None:
    """A one-line VmbError for a sample rate, tempo map or note that no backend can render."""
    if not 8000 <= sample_rate <= 192000:
        raise VmbError(f"sample rate {sample_rate} Hz is out of range (8000-192000)")
    if not score.tempo_map or any(c.bpm <= 0 for c in score.tempo_map):
        raise VmbError("score tempo map must be non-empty with positive BPM values")
    voices = knowledge().voices
    for track in score.tracks:
        if track.voice and track.voice not in voices:
            raise VmbError(f"track {track.name!r}: unknown synth voice {track.voice!r}; use one of {', '.join(voices)}")
        for note in track.notes:
            if not 0 <= note.pitch <= 127 or note.start < 0:
                raise VmbError(
                    f"track {track.name!r}: note pitch {note.pitch} at beat {note.start} is out of range "
                    "(pitch 0-127, start >= 0)"
                )

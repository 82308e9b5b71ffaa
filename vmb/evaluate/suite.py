"""``vmb evaluate``: score a folder of generated audio (and its sidecars) against references.

Conventions
-----------
- *Clips* are the audio files under the folder (recursively, hidden files skipped, sorted by
  path), of the suffixes in :data:`AUDIO_SUFFIXES`; a clip's *name* is its path relative to
  the folder without the suffix (``sub/take1``). Pairing with the reference folder is by name.
- A clip's *sidecar* is ``NAME.json`` (``vmb generate -o NAME.wav``) or, for a scored video,
  the cue sheet ``NAME.cues.json``; its ``attributes`` are what the clip was made to (the
  request): genres, moods, instruments, excluded instruments, tempo_bpm, key, mode. Its MIDI
  is ``NAME.mid``. A clip without them is still tagged and its tempo measured.
- A file that cannot be decoded or tagged is *skipped* with its reason (never a traceback);
  a broken sidecar or MIDI only drops the checks that need it, with a note on the clip.
- Every clip is tagged by both musicnn models (``vmb.listen``); the heard metrics and their
  definitions are in :mod:`vmb.evaluate.heard`, the attribute -> tag table in
  :mod:`vmb.evaluate.tagmap`, the control checks in :mod:`vmb.evaluate.controls`, the
  melody scores in :mod:`vmb.evaluate.symbolic` and the cut sync in :mod:`vmb.evaluate.sync`.
- Times in seconds, tempi in BPM, probabilities in [0, 1], deltas in points (100 x).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vmb import VmbError
from vmb.evaluate import heard
from vmb.evaluate.tagmap import ATTRIBUTES

__all__ = ["AUDIO_SUFFIXES", "OPTIONAL_BACKENDS", "ClipScores", "EvaluationReport", "evaluate_folder",
           "find_audio", "load_clip_audio", "optional_backends"]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif", ".m4a", ".aac", ".webm")
FFMPEG_SUFFIXES = (".m4a", ".aac", ".webm")  # libsndfile cannot read these: PyAV's FFmpeg decodes them
MODELS = ("MTT_musicnn", "MSD_musicnn")
SIDECAR_FIELDS = {"genre": "genres", "mood": "moods", "instrument": "instruments"}

# The paper's metrics that need a pretrained model: (metric, importable modules). vmb only
# checks whether they are installed; none installs with local weights offline.
OPTIONAL_BACKENDS = (
    ("KL_passt", ("hear21passt",)),
    ("FD_openl3", ("openl3",)),
    ("CLAPScore", ("laion_clap", "msclap")),
    ("ImageBind score", ("imagebind",)),
)


@dataclass
class ClipScores:
    """What one clip measured; ``None`` where the sidecar or MIDI needed for it is missing."""

    name: str
    path: str
    duration_s: float
    sidecar: str | None = None
    requested: dict = field(default_factory=dict)  # genres, moods, instruments, excluded_instruments, tempo_bpm, key, mode
    tags: dict[str, dict[str, float]] = field(default_factory=dict)  # model -> {tag: clip-level probability}
    tempo: dict | None = None  # requested, measured, ok
    key: dict | None = None  # requested, found (from the MIDI), ok
    instruments: dict | None = None  # requested, present, missing, excluded_present
    symbolic: dict | None = None  # the melody's scores (vmb.evaluate.symbolic.evaluate_melody)
    sync: dict | None = None  # cut sync on the audio's onsets, for a video cue sheet
    notes: list[str] = field(default_factory=list)

    def top(self, model: str, k: int = 3) -> list[tuple[str, float]]:
        return sorted(self.tags.get(model, {}).items(), key=lambda kv: -kv[1])[:k]


@dataclass
class EvaluationReport:
    """Every score of one ``vmb evaluate`` run by name; :meth:`to_dict` is the ``--json`` output."""

    generated: str
    reference: str | None
    clips: list[ClipScores]
    skipped: list[tuple[str, str]]
    reference_clips: int = 0
    kl: dict[str, dict] = field(default_factory=dict)  # model -> heard.kl_musicnn
    fd: dict[str, dict] = field(default_factory=dict)  # model -> FD, floor, sizes, note
    attributes: dict[str, dict] = field(default_factory=dict)  # genre/mood/instrument -> heard.evaluate_attribute
    controls: dict = field(default_factory=dict)
    symbolic: dict[str, float] = field(default_factory=dict)
    sync: dict[str, float] = field(default_factory=dict)
    backends: list[dict] = field(default_factory=list)
    columns: list[tuple[str, str]] = field(default_factory=list)  # of ``probs``: (model, tag)
    probs: np.ndarray | None = None  # (N, C) clip-level tag probabilities, rows = clips

    def to_dict(self) -> dict:
        return _jsonable({
            "generated": self.generated, "reference": self.reference,
            "clips": len(self.clips), "reference_clips": self.reference_clips,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "KL_musicnn": self.kl, "FD_musicnn": self.fd, "fd_caveat": heard.FD_CAVEAT,
            "attributes": self.attributes, "controls": self.controls, "symbolic": self.symbolic,
            "sync": self.sync, "optional_backends": self.backends,
            "per_clip": [c.__dict__ for c in self.clips],
        })


def _jsonable(x):
    """NaN/inf -> None, numpy scalars -> Python, tuples -> lists (strict JSON)."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def optional_backends() -> list[dict]:
    """Whether each of the paper's model-based metrics could run: ``find_spec`` of its modules."""
    out = []
    for metric, modules in OPTIONAL_BACKENDS:
        found = [m for m in modules if importlib.util.find_spec(m) is not None]
        out.append({"metric": metric, "modules": list(modules), "installed": found})
    return out


# --------------------------------------------------------------------------- files


def find_audio(folder: str | os.PathLike) -> list[Path]:
    """The audio files under ``folder`` (see the module conventions); VmbError if it is not a folder."""
    root = Path(folder)
    if not root.is_dir():
        raise VmbError(f"{folder}: {'no such folder' if not root.exists() else 'not a folder'}")
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or path.suffix.lower() not in AUDIO_SUFFIXES:
            continue
        if path.is_file():
            found.append(path)
    return found


def load_clip_audio(path: Path) -> tuple[np.ndarray, int]:
    """(float32 samples (n, channels), sample rate) of an audio file; ValueError with the reason."""
    import soundfile as sf

    if path.suffix.lower() in FFMPEG_SUFFIXES:
        audio, rate = _decode_av(path)
    else:
        try:
            audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            raise ValueError(f"cannot decode ({str(exc).removeprefix('Error opening ' + repr(str(path)) + ': ')})") from None
    if audio.size == 0:
        raise ValueError("no audio samples")
    if not np.isfinite(audio).all():
        raise ValueError("audio contains NaN or inf")
    return audio, int(rate)


def _decode_av(path: Path) -> tuple[np.ndarray, int]:
    """What libsndfile cannot read (AAC in .m4a, WebM): decode with PyAV's bundled FFmpeg."""
    try:
        import av
    except ImportError:
        raise ValueError(f"cannot decode {path.suffix} files without PyAV (pip install av)") from None
    try:
        with av.open(str(path)) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise ValueError("no audio stream")
            rate = stream.rate
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate)
            parts = [f.to_ndarray() for frame in container.decode(stream) for f in resampler.resample(frame)]
            parts += [f.to_ndarray() for f in resampler.resample(None)]
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - PyAV raises its own error types for damaged files
        raise ValueError(f"cannot decode ({type(exc).__name__}: {str(exc)[:120]})") from None
    if not parts:
        raise ValueError("no audio samples")
    return np.concatenate(parts, axis=1).T.astype(np.float32), int(rate)


def _read_sidecar(audio_path: Path) -> tuple[dict | None, Path | None, str | None]:
    """(sidecar dict, its path, a note if it exists but is broken)."""
    for path in (audio_path.with_suffix(".json"), audio_path.with_suffix(".cues.json")):
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return None, path, f"sidecar {path.name} unreadable ({str(exc)[:80]}); scored without its request"
        if not isinstance(data, dict) or not isinstance(data.get("attributes"), dict):
            return None, path, f"sidecar {path.name} has no attributes; scored without its request"
        return data, path, None
    return None, None, None


# --------------------------------------------------------------------------- per clip


def _requested(sidecar: dict) -> dict:
    a = sidecar["attributes"]

    def names(key: str) -> list[str]:
        v = a.get(key) or []
        return [str(x) for x in v] if isinstance(v, list) else []

    bpm = a.get("tempo_bpm")
    return {"genres": names("genres"), "moods": names("moods"), "instruments": names("instruments"),
            "excluded_instruments": names("excluded_instruments"),
            "tempo_bpm": float(bpm) if isinstance(bpm, (int, float)) and bpm > 0 else None,
            "key": a.get("key") if isinstance(a.get("key"), str) else None,
            "mode": a.get("mode") if a.get("mode") in ("major", "minor") else None}


def _symbolic_checks(clip: ClipScores, midi_path: Path) -> None:
    """Key and instruments from the clip's MIDI, and its melody's scores."""
    from vmb.evaluate.controls import estimate_key, instruments_in
    from vmb.evaluate.symbolic import evaluate_melody
    from vmb.render.midi import read_midi
    from vmb.vocab import key_pitch_class

    if not midi_path.is_file():
        clip.notes.append(f"no {midi_path.name}: key, instruments and melody not checked")
        return
    try:
        score = read_midi(midi_path)
    except VmbError as exc:
        clip.notes.append(f"{exc}; key, instruments and melody not checked")
        return
    tonic, mode, _r = estimate_key(score)
    req = clip.requested
    if req.get("key") and req.get("mode"):
        try:
            ok = key_pitch_class(tonic) == key_pitch_class(req["key"]) and mode == req["mode"]
        except (KeyError, ValueError):
            ok = False
        clip.key = {"requested": f"{req['key']} {req['mode']}", "found": f"{tonic} {mode}", "ok": ok}
    present = instruments_in(score)
    wanted = req.get("instruments", [])
    clip.instruments = {"requested": wanted, "present": sorted(present),
                        "missing": [i for i in wanted if i not in present],
                        "excluded_present": [i for i in req.get("excluded_instruments", []) if i in present]}
    melody = next((t for t in score.tracks if t.role == "melody" and t.notes), None)
    melody = melody or next((t for t in score.tracks if not t.is_drum and t.notes), None)
    if melody is not None:
        clip.symbolic = evaluate_melody(melody.notes, length_beats=score.length_beats or
                                        max(n.start + n.duration for n in melody.notes),
                                        beats_per_bar=score.beats_per_bar)


def _sync(clip: ClipScores, sidecar: dict, audio: np.ndarray, rate: int) -> None:
    from vmb.evaluate.sync import evaluate_heard_sync, video_events
    from vmb.types import VideoTiming

    try:
        events = video_events(VideoTiming.from_dict(sidecar["video_timing"]))
    except (KeyError, TypeError, ValueError):
        events = [float(t) for t in sidecar.get("cuts_s") or []]
    if not events:
        clip.notes.append("the cue sheet has no cuts: sync not scored")
        return
    clip.sync = evaluate_heard_sync(events, audio, rate, duration_s=clip.duration_s)


def _score_clip(path: Path, root: Path, taggers) -> tuple[ClipScores, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Decode and tag one generated clip, then every check its sidecar allows. ValueError = skip."""
    from vmb.evaluate.controls import measure_tempo, tempo_matches
    from vmb.listen import tag_all

    audio, rate = load_clip_audio(path)
    results = tag_all(taggers, audio, rate)
    name = str(path.relative_to(root).with_suffix(""))
    clip = ClipScores(name=name, path=str(path), duration_s=round(len(audio) / rate, 3))
    clip.tags = {m: {t: round(float(p), 5) for t, p in zip(r.tag_names, r.tags)} for m, r in results.items()}
    logits = {m: r.logits for m, r in results.items()}
    embeddings = {m: r.penultimate.mean(axis=0) for m, r in results.items()}
    sidecar, sidecar_path, note = _read_sidecar(path)
    if note:
        clip.notes.append(note)
    measured = measure_tempo(audio, rate)
    clip.tempo = {"requested": None, "measured": round(measured, 2), "ok": None}
    if sidecar is None:
        return clip, logits, embeddings
    clip.sidecar = str(sidecar_path)
    clip.requested = _requested(sidecar)
    if clip.requested["tempo_bpm"]:
        clip.tempo = {"requested": clip.requested["tempo_bpm"], "measured": round(measured, 2),
                      "ok": tempo_matches(measured, clip.requested["tempo_bpm"])}
    for check in (lambda: _symbolic_checks(clip, path.with_suffix(".mid")),
                  lambda: sidecar_path.name.endswith(".cues.json") and _sync(clip, sidecar, audio, rate)):
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - a damaged MIDI or cue sheet drops its checks, not the clip
            clip.notes.append(f"check failed ({type(exc).__name__}: {str(exc)[:120]})")
    return clip, logits, embeddings


# --------------------------------------------------------------------------- the run

Skip = Callable[[str, str], None]


@dataclass
class _Tagged:
    name: str
    logits: dict[str, np.ndarray]  # model -> (P, K)
    embedding: dict[str, np.ndarray]  # model -> (200,) clip-level penultimate


def _tag_folder(folder: Path, taggers, *, generated: bool, on_skip: Skip | None, progress):
    """(clip scores, tagged entries, skipped files, files found) for the audio under ``folder``."""
    from vmb.listen import tag_all

    clips, tagged, skipped = [], [], []
    files = find_audio(folder)
    for i, path in enumerate(files):
        if progress:
            progress(f"{'tagging' if generated else 'tagging reference'} {i + 1}/{len(files)} {path.name}")
        try:
            if generated:
                clip, logits, emb = _score_clip(path, folder, taggers)
                clips.append(clip)
            else:
                audio, rate = load_clip_audio(path)
                res = tag_all(taggers, audio, rate)
                logits = {m: r.logits for m, r in res.items()}
                emb = {m: r.penultimate.mean(axis=0) for m, r in res.items()}
        except Exception as exc:  # noqa: BLE001 - one broken file is skipped by name, never a traceback
            reason = (str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}")[:200]
            skipped.append((str(path), reason))
            if on_skip:
                on_skip(str(path), reason)
            continue
        tagged.append(_Tagged(str(path.relative_to(folder).with_suffix("")), logits, emb))
    return clips, tagged, skipped, len(files)


def evaluate_folder(generated: str | os.PathLike, reference: str | os.PathLike | None = None, *,
                    on_skip: Skip | None = None, progress: Callable[[str], None] | None = None) -> EvaluationReport:
    """Score every clip under ``generated`` (and against ``reference``): see the module docstring.

    ``on_skip(path, reason)`` is called for each file skipped; ``progress(line)`` per file.
    VmbError when a folder is missing or no clip under ``generated`` can be read.
    """
    from vmb.listen import load_tagger

    gen_root = Path(generated)
    ref_root = Path(reference) if reference is not None else None
    find_audio(gen_root)  # a missing folder fails before the taggers load
    if ref_root is not None:
        find_audio(ref_root)
    taggers = [load_tagger(m) for m in MODELS]
    clips, gen, skipped, n_files = _tag_folder(gen_root, taggers, generated=True, on_skip=on_skip, progress=progress)
    if not clips:
        what = f"none of the {n_files} audio file(s) could be read" if n_files else "no audio files"
        raise VmbError(f"{generated}: {what} ({', '.join(AUDIO_SUFFIXES)})")
    report = EvaluationReport(generated=str(gen_root), reference=str(ref_root) if ref_root else None,
                              clips=clips, skipped=skipped, backends=optional_backends())
    report.columns = [(t.name, tag) for t in taggers for tag in t.tag_names]
    report.probs = np.array([[c.tags[m][tag] for m, tag in report.columns] for c in clips])
    if ref_root is not None:
        _, ref, ref_skipped, _ = _tag_folder(ref_root, taggers, generated=False, on_skip=on_skip, progress=progress)
        report.skipped += ref_skipped
        report.reference_clips = len(ref)
        _reference_scores(report, gen, ref)
    for attribute in ATTRIBUTES:
        requested = [c.requested.get(SIDECAR_FIELDS[attribute], []) for c in clips]
        if any(requested):
            report.attributes[attribute] = heard.evaluate_attribute(attribute, report.probs, report.columns, requested)
    report.controls, report.symbolic, report.sync = _summaries(clips)
    return report


def _reference_scores(report: EvaluationReport, gen: list[_Tagged], ref: list[_Tagged]) -> None:
    """KL_musicnn (paired by name) and FD_musicnn with its floor, per model."""
    dup = next((n for names in ([t.name for t in gen], [t.name for t in ref])
                for n in names if names.count(n) > 1), None)
    for model in MODELS:
        if dup is not None:
            report.kl[model] = {"KL": None, "pairs": 0, "paired": False, "per_clip": {},
                                "note": f"unpaired: more than one audio file is named {dup!r}"}
        else:
            report.kl[model] = heard.kl_musicnn({t.name: t.logits[model] for t in gen},
                                                {t.name: t.logits[model] for t in ref})
        g = np.array([t.embedding[model] for t in gen])
        r = np.array([t.embedding[model] for t in ref])
        entry = {"FD": None, "floor": None, "n_generated": len(g), "n_reference": len(r), "note": ""}
        if len(g) >= 2 and len(r) >= 2:
            entry["FD"] = heard.fd_musicnn(g, r)
        else:
            entry["note"] = "FD needs at least 2 clips in each set"
        if len(r) >= heard.MIN_FLOOR_CLIPS:
            entry["floor"] = heard.fd_split_half(r)
        elif not entry["note"]:
            entry["note"] = f"no real-vs-real floor: it needs at least {heard.MIN_FLOOR_CLIPS} reference clips"
        report.fd[model] = entry


def _share(flags: list[bool]) -> dict:
    return {"n": len(flags), "ok": int(sum(flags)), "share": float(np.mean(flags)) if flags else float("nan")}


def _summaries(clips: list[ClipScores]) -> tuple[dict, dict, dict]:
    tempo = [c.tempo["ok"] for c in clips if c.tempo and c.tempo["ok"] is not None]
    key = [c.key["ok"] for c in clips if c.key]
    asked = [i not in c.instruments["missing"] for c in clips if c.instruments for i in c.instruments["requested"]]
    excluded = [not c.instruments["excluded_present"] for c in clips
                if c.instruments and c.requested.get("excluded_instruments")]
    controls = {"tempo": _share(tempo), "key": _share(key), "instruments": _share(asked),
                "excluded_instruments": _share(excluded)}
    melodies = [c.symbolic for c in clips if c.symbolic]
    symbolic = {k: float(np.mean([m[k] for m in melodies])) for k in melodies[0]} if melodies else {}
    if melodies:
        symbolic["n"] = len(melodies)
    syncs = [c.sync for c in clips if c.sync]
    sync = {k: float(np.mean([s[k] for s in syncs])) for k in syncs[0]} if syncs else {}
    if syncs:
        sync["n"] = len(syncs)
    return controls, symbolic, sync

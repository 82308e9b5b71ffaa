"""Atomic file writers: audio (WAV/FLAC), JSON, and a context manager for any other file.

Every writer goes through :func:`atomic_path`: the data lands in a temporary file in the
target's own folder and is renamed over the target only once it is complete, so a crash or
an error never leaves a half-written file behind. A path that cannot be written raises
:class:`vmb.VmbError` naming it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from vmb import VmbError

AUDIO_FORMATS = {".wav": "WAV", ".flac": "FLAC"}

def new_temp_file(path: str | os.PathLike, suffix: str = ".tmp") -> str:
    """Create an empty, uniquely named hidden file beside ``path``; return its name.

    Its mode is 0666 less the umask (0644 under umask 022), the mode any output gets:
    ``tempfile.mkstemp`` makes 0600, and the ``os.replace`` that turns the temporary file into
    the output keeps that mode.
    """
    path = Path(path)
    for _ in range(100):
        name = str(path.parent / f".{path.stem}.{secrets.token_hex(4)}{suffix}")
        try:
            os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # the umask applies
        except FileExistsError:
            continue
        return name
    raise VmbError(f"{path}: could not create a temporary file in {path.parent}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically.

    The caller writes the temporary file by name. If the body raises, the temporary file is
    removed and the exception propagates (an ``OSError`` becomes a :class:`VmbError` naming
    ``path``). The parent folder must exist: it is not created.
    """
    target = Path(path)
    folder = target.parent
    try:
        tmp = Path(new_temp_file(target, ".tmp"))  # mode 0666 less the umask, as any output
    except OSError as exc:
        reason = "folder does not exist" if not folder.is_dir() else exc.strerror or str(exc)
        raise VmbError(f"cannot write {target}: {reason}") from None
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise VmbError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def audio_format(path: str | os.PathLike) -> str:
    """The soundfile format name ("WAV" or "FLAC") for ``path``'s suffix; VmbError otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in AUDIO_FORMATS:
        raise VmbError(
            f"cannot write audio to {path}: unsupported suffix {suffix or '(none)'!r}, "
            f"use one of {', '.join(AUDIO_FORMATS)}"
        )
    return AUDIO_FORMATS[suffix]


def write_audio(path: str | os.PathLike, audio: np.ndarray, sample_rate: int) -> Path:
    """Write float audio in [-1, 1], shape (n_samples,) or (n_samples, channels), as 16-bit PCM.

    The format follows the suffix: ``.wav`` (PCM 16-bit) or ``.flac`` (16-bit). Samples beyond
    full scale are clipped. Returns the path written.
    """
    import soundfile as sf

    fmt = audio_format(path)
    data = np.asarray(audio, dtype=np.float32)
    if data.ndim not in (1, 2) or data.shape[0] == 0:
        raise VmbError(f"cannot write audio to {path}: expected (n_samples, channels), got {data.shape}")
    if not np.all(np.isfinite(data)):
        raise VmbError(f"cannot write audio to {path}: the audio contains NaN or infinite samples")
    if sample_rate <= 0:
        raise VmbError(f"cannot write audio to {path}: sample rate {sample_rate} must be positive")
    data = np.clip(data, -1.0, 1.0)
    with atomic_path(path) as tmp:
        try:
            sf.write(tmp, data, int(sample_rate), format=fmt, subtype="PCM_16")
        except sf.SoundFileError as exc:  # libsndfile says only "System error." for a full disk
            raise OSError(write_failure_reason(tmp, data.nbytes // 2, exc)) from None
    return Path(path)


def write_failure_reason(path: str | os.PathLike, expected_bytes: int, exc: BaseException) -> str:
    """Why writing about ``expected_bytes`` to ``path`` failed, in words (a full disk is named)."""
    try:
        free = shutil.disk_usage(Path(path).parent).free
    except OSError:
        free = None
    if free is not None and free < expected_bytes + (1 << 16):
        return f"no space left on device ({free / 1e6:.1f} MB free, about {expected_bytes / 1e6:.1f} MB needed)"
    return str(exc).strip() or type(exc).__name__


def _json_default(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def write_json(path: str | os.PathLike, data: Any, *, indent: int = 2) -> Path:
    """Write ``data`` as UTF-8 JSON (dataclasses with ``to_dict``, numpy values and paths allowed).

    NaN and infinity are refused (they are not JSON). Returns the path written.
    """
    try:
        text = json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise VmbError(f"cannot write {path}: data is not JSON serialisable ({exc})") from None
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    return Path(path)

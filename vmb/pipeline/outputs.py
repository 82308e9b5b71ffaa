"""Which files a request writes, decided once, and the guard that no output is an input.

:func:`output_files` is the one place that names the files beside an output (the MIDI, the
JSON sidecar, the cue sheet, the plots); the writers use it, and the CLI calls it *before any
work* so :func:`check_no_clobber` can refuse a request that would overwrite one of its own
inputs (``--reference song.mid -o song.wav`` would otherwise replace ``song.mid``). Files are
compared by real path and, where both exist, by device and inode, so symlinks and hard links
are caught.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from vmb import VmbError

AUDIO_SUFFIXES = (".wav", ".flac")
VIDEO_SUFFIX = ".mp4"


def output_files(out_path: str | os.PathLike, *, video: bool = False, midi: bool = True, sidecar: bool = True,
                 plot: bool = False, stems: bool = False) -> dict[str, Path]:
    """Every file one generation writes, by kind, for the output ``out_path``.

    Audio output (``.wav``/``.flac``): the audio, ``.mid``, ``.json`` sidecar, ``.png`` piano-roll,
    and with ``stems`` one ``NAME.STEM.wav`` per stem that may be written (kind ``stem:STEM``).
    A scored video (``video`` and a ``.mp4`` output): the MP4, the music as ``.wav``, ``.mid``,
    the ``.cues.json`` cue sheet (it holds the sidecar), the ``.timing.png`` beat map and the stems.
    """
    out = Path(out_path)
    if video and out.suffix.lower() == VIDEO_SUFFIX:
        files = {"mp4": out, "wav": out.with_suffix(".wav")}
        if midi:
            files["midi"] = out.with_suffix(".mid")
        files["cues"] = out.with_suffix(".cues.json")
        if plot:
            files["plot"] = out.with_suffix(".timing.png")
        return files | (stem_files(files["wav"]) if stems else {})
    files = {out.suffix.lower().lstrip("."): out}
    if midi:
        files["midi"] = out.with_suffix(".mid")
    if sidecar:
        files["json"] = out.with_suffix(".json")
    if plot:
        files["plot"] = out.with_suffix(".png")
    return files | (stem_files(out) if stems else {})


def stem_files(audio_path: Path) -> dict[str, Path]:
    """``stem:NAME`` -> the file beside ``audio_path`` one stem goes to (``song.drums.wav``)."""
    from vmb.render.mix import STEM_NAMES

    return {f"stem:{name}": audio_path.with_name(f"{audio_path.stem}.{name}{audio_path.suffix}")
            for name in STEM_NAMES}


def check_output_path(path: str | os.PathLike, suffixes: tuple[str, ...] = AUDIO_SUFFIXES) -> Path:
    """Fail early (before any work) on an output path we could not write."""
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise VmbError(f"output {str(out)!r}: use one of {', '.join(suffixes)}")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise VmbError(f"output {str(out)!r}: folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise VmbError(f"output {str(out)!r}: folder {str(parent)!r} is not writable")
    if out.is_dir():
        raise VmbError(f"output {str(out)!r} is a folder")
    return out


def _identity(path: Path) -> tuple[str, tuple[int, int] | None]:
    """(real path, (device, inode) if the file exists): what makes two names the same file."""
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError:
        return real, None
    return real, (st.st_dev, st.st_ino)


def same_file(a: Path, b: Path) -> bool:
    real_a, id_a = _identity(a)
    real_b, id_b = _identity(b)
    return real_a == real_b or (id_a is not None and id_a == id_b)


def _inside(path: Path, folder: Path) -> bool:
    real, folder_real = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([real, folder_real]) == folder_real


def check_no_clobber(outputs: dict[str, Path] | Iterable[Path], inputs: Iterable[tuple[str, str | os.PathLike]] = (),
                     *, library: str | os.PathLike | None = None) -> None:
    """Refuse (VmbError, one line) if an output is an input, another output, or inside the library.

    ``inputs``: (what, path) pairs such as ("reference", "song.mid"); missing inputs are ignored
    (their own checks name them). Outputs that exist and are not inputs may be replaced.
    """
    outs = list(outputs.values()) if isinstance(outputs, dict) else [Path(p) for p in outputs]
    for i, out in enumerate(outs):
        if out.is_dir():
            raise VmbError(f"output {str(out)!r} is a folder")
        for other in outs[:i]:
            if same_file(out, other):
                raise VmbError(f"outputs {str(other)!r} and {str(out)!r} are the same file; choose another output name")
        for what, path in inputs:
            if path is not None and Path(path).exists() and same_file(out, Path(path)):
                raise VmbError(f"output {str(out)!r} is the input {what} {str(path)!r}; vmb never overwrites "
                               f"its inputs: choose another output name")
        if library is not None and Path(library).is_dir() and _inside(out, Path(library)):
            raise VmbError(f"output {str(out)!r} is inside the music library {str(library)!r}; "
                           f"write it somewhere else")

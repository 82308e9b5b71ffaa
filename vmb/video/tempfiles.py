"""Temporary files for all-or-nothing writes that end up with the usual file mode."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from vmb import VmbError


def new_temp_file(path: str | os.PathLike, suffix: str) -> str:
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

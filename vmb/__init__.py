"""vmb: new music for a video, an image or a text (the VMB method, offline on a CPU).

The public Python API (``vmb.generate_music``, ``vmb.describe_music``, ``vmb.Library``,
``vmb.Result``) lives in :mod:`vmb.api` and is imported on first use, so ``import vmb`` stays
light (no torch, no numpy).
"""

import importlib

__version__ = "0.1.0"


class VmbError(Exception):
    """A problem with the user's input or environment, reported as one line (no traceback)."""

# Seeds every random choice accepts (numpy, torch and Python's random all take 0 .. 2**32 - 1).
MAX_SEED = 2**32 - 1

# name -> the module that defines it, imported when the name is first read
PUBLIC_API = {"generate_music": "vmb.api", "describe_music": "vmb.api", "Library": "vmb.api", "Result": "vmb.api"}


def __getattr__(name: str):
    if name in PUBLIC_API:
        return getattr(importlib.import_module(PUBLIC_API[name]), name)
    raise AttributeError(f"module 'vmb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(PUBLIC_API))

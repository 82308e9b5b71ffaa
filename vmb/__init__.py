"""vmb: new music for a video, an image or a text (the VMB method, offline on a CPU).

The public Python API (``vmb.generate_music``, ``vmb.describe_music``, ``vmb.Library``,
``vmb.Result``) lives in :mod:`vmb.api` and is imported on first use, so ``import vmb`` stays
light (no torch, no numpy).
"""

import importlib
import sys

__version__ = "0.1.0"


class VmbError(Exception):
    """A problem with the user's input or environment, reported as one line (no traceback)."""

# Seeds every random choice accepts (numpy, torch and Python's random all take 0 .. 2**32 - 1).
MAX_SEED = 2**32 - 1

def lazy_exports(package: str, homes: dict[str, str]):
    """(``__getattr__``, ``__dir__``) for ``package`` (PEP 562): a name of ``homes`` is imported
    from its module (relative to ``package`` when it starts with a dot) when it is first read,
    and kept in the package, so later look-ups do not come back here."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str):
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(homes[name], package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(homes))

    return __getattr__, __dir__


# name -> the module that defines it, imported when the name is first read
PUBLIC_API = {"generate_music": "vmb.api", "describe_music": "vmb.api", "Library": "vmb.api", "Result": "vmb.api"}
__getattr__, __dir__ = lazy_exports(__name__, PUBLIC_API)

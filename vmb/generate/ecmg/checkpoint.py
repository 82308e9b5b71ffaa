"""ECMG checkpoint files: one ``torch.save`` dict that carries its format, version and config.

Layout::

    {"format": "vmb-ecmg", "version": 1, "vmb_version": "0.1.0",
     "config": asdict(EcmgConfig), "state_dict": {...}, "step": int, "meta": {...}}

Weights may be stored as float16 (``half=True``, for the shipped checkpoint) and are loaded
as float32. Every way a file can be wrong (missing, truncated, not a checkpoint, another
version, a config or weights that do not fit) raises :class:`vmb.VmbError` naming the file.
The optimizer state for resuming training lives in a separate file (see train.py).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

import torch

import vmb
from vmb import VmbError

FORMAT = "vmb-ecmg"
VERSION = 1


def atomic_torch_save(obj, path: str | os.PathLike) -> None:
    """``torch.save`` to a temp file in the same folder, then rename (no half-written files)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_pretrained(model: torch.nn.Module, path: str | os.PathLike, *, step: int = 0, half: bool = False,
                    meta: dict | None = None) -> Path:
    """Write ``model`` (its ``config`` dataclass + weights) to ``path``; returns the path."""
    state = {k: (v.half() if half and v.is_floating_point() else v).detach().clone()
             for k, v in model.state_dict().items()}
    atomic_torch_save(
        {
            "format": FORMAT,
            "version": VERSION,
            "vmb_version": vmb.__version__,
            "config": dataclasses.asdict(model.config),
            "state_dict": state,
            "step": int(step),
            "meta": dict(meta or {}),
        },
        path,
    )
    return Path(path)


def read_checkpoint(path: str | os.PathLike) -> dict:
    """The checkpoint dict, checked for format and version (weights not yet applied)."""
    name = str(path)
    if not os.path.isfile(name):
        raise VmbError(f"checkpoint {name}: no such file")
    try:
        data = torch.load(name, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, garbage bytes, pickled code ...
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise VmbError(f"checkpoint {name} cannot be read (truncated or not a torch file): {reason[:160]}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise VmbError(f"checkpoint {name} is not a vmb ECMG checkpoint (format {FORMAT!r} missing)")
    if data.get("version") != VERSION:
        raise VmbError(f"checkpoint {name} has version {data.get('version')!r}; this vmb reads version {VERSION}")
    for key in ("config", "state_dict"):
        if not isinstance(data.get(key), dict):
            raise VmbError(f"checkpoint {name} has no {key!r}")
    return data


def load_checkpoint(path: str | os.PathLike, model_class: type) -> tuple[torch.nn.Module, dict]:
    """(``model_class`` in eval mode, checkpoint dict without the weights) from ``path``.

    Generic: ``model_class(config)`` builds the model from ``model_class.config_class.from_dict``
    of the stored config, so this module knows no model (and no model imports it back)."""
    name = str(path)
    data = read_checkpoint(path)
    try:
        config = model_class.config_class.from_dict(data["config"])
        model = model_class(config)
    except (TypeError, ValueError) as exc:
        raise VmbError(f"checkpoint {name} has an invalid config: {exc}") from None
    state = data["state_dict"]
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise VmbError(
            f"checkpoint {name} does not fit its config: missing {missing[:3]}, unexpected {unexpected[:3]}"
        )
    for key, value in expected.items():
        if tuple(state[key].shape) != tuple(value.shape):
            raise VmbError(
                f"checkpoint {name} has wrong shapes: {key} is {tuple(state[key].shape)}, "
                f"the config needs {tuple(value.shape)}"
            )
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()})
    model.eval()
    info = {k: v for k, v in data.items() if k != "state_dict"}
    return model, info


def export_checkpoint(src: str | os.PathLike, dst: str | os.PathLike, model_class: type) -> Path:
    """Re-save a (training) checkpoint with float16 weights for shipping (about half the size)."""
    model, info = load_checkpoint(src, model_class)
    return save_pretrained(model, dst, step=info.get("step", 0), half=True, meta=info.get("meta"))

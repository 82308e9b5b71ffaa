"""The tagger users call: audio in, musicnn tags and embeddings out.

``load_tagger("MTT_musicnn" | "MSD_musicnn")`` reads the shipped weights once per process;
``Tagger.tag(audio, sample_rate)`` runs the front end (``vmb.listen.frontend``) and all 3 s
patches through the model, a few per pass (:data:`BATCH_PATCHES`). ``tag_all`` shares one
front end between taggers.

Weights files are safetensors written by ``scripts/convert_musicnn.py``: float32 tensors under
the names of :class:`~vmb.listen.model.Musicnn`, and metadata ``format`` ("vmb-musicnn"),
``version``, ``name``, ``tags`` (JSON list) and ``config`` (JSON). Every way a file can be
wrong raises :class:`vmb.VmbError` naming the file.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vmb import VmbError
from vmb.listen import frontend
from vmb.listen.model import Musicnn, MusicnnConfig

__all__ = ["MODEL_NAMES", "TagResult", "Tagger", "build_tagger", "load_tagger", "load_tagger_file",
           "save_tagger_file", "side_by_side", "tag_all", "weights_path"]

FORMAT = "vmb-musicnn"
VERSION = 1
MODEL_NAMES = ("MTT_musicnn", "MSD_musicnn")
WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "data" / "musicnn"
# Patches per forward pass. Small passes are faster: the largest convolution map is 9 MB per
# patch (204 x 187 x 59 floats), and a pass over 10 patches allocates ~90 MB maps that the
# allocator takes fresh from the OS every time (page faults) and that no cache holds. Both
# models on 10 patches, one thread, best of 6 (benchmarks/listen_speed.py's machine, loaded):
# 1.02 s CPU in passes of 2, 1.12 s of 1 or 4, 1.71 s of 16.
BATCH_PATCHES = 2


@dataclass(frozen=True)
class TagResult:
    """One clip through one model. P = patches (3 s each), K = tags.

    ``patch_tags`` (P, K) sigmoid probabilities and ``logits`` (P, K) per patch; ``penultimate``
    (P, 200) and ``max_pool`` (P, 753) embeddings per patch; ``patch_starts`` (P,) in seconds;
    ``padded``: the audio was shorter than one patch and its frames were repeated to fill it.
    """

    model: str
    tag_names: tuple[str, ...]
    patch_tags: np.ndarray
    logits: np.ndarray
    penultimate: np.ndarray
    max_pool: np.ndarray
    patch_starts: np.ndarray
    padded: bool = False

    @property
    def tags(self) -> np.ndarray:
        """Clip-level tag probabilities (K,): the mean over patches (musicnn's ``tagger``)."""
        return self.patch_tags.mean(axis=0)

    def as_dict(self) -> dict[str, float]:
        """Clip-level ``{tag name: probability}``."""
        return {name: float(p) for name, p in zip(self.tag_names, self.tags)}

    def top(self, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` most probable tags of the clip, most probable first."""
        order = np.argsort(-self.tags, kind="stable")[:k]
        return [(self.tag_names[i], float(self.tags[i])) for i in order]


class Tagger:
    """A :class:`Musicnn` (eval mode) with its tag names; ``name`` says which weights."""

    def __init__(self, model: Musicnn, tag_names: tuple[str, ...] | list[str], name: str):
        if len(tag_names) != model.config.n_tags:
            raise ValueError(f"{len(tag_names)} tag names for a model with {model.config.n_tags} tags")
        self.model = model.eval()
        self.tag_names = tuple(tag_names)
        self.name = name

    @property
    def config(self) -> MusicnnConfig:
        return self.model.config

    def __repr__(self) -> str:
        return f"Tagger({self.name!r}, {len(self.tag_names)} tags)"

    def tag(self, audio: np.ndarray, sample_rate: int, *, short: str = "repeat") -> TagResult:
        """Float audio (mono ``(n,)`` or multichannel, see :func:`frontend.to_mono_16k`) at
        ``sample_rate`` Hz -> :class:`TagResult`. ``short``: what to do with audio under one
        patch (2.976 s), ``"repeat"`` its frames or ``"error"`` (see ``vmb.listen.frontend``)."""
        return self.tag_log_mel(frontend.log_mel(frontend.to_mono_16k(audio, sample_rate)), short=short)

    def tag_log_mel(self, spec: np.ndarray, *, short: str = "repeat") -> TagResult:
        """A log-mel spectrogram (T, 96) from :func:`frontend.log_mel` -> :class:`TagResult`."""
        x, starts, padded = frontend.patches(np.asarray(spec, dtype=np.float32), frames=self.config.n_frames,
                                             hop=self.config.n_frames, short=short)
        out = self.run_patches(x)
        return TagResult(
            model=self.name, tag_names=self.tag_names, patch_tags=out["tags"], logits=out["logits"],
            penultimate=out["penultimate"], max_pool=out["max_pool"],
            patch_starts=starts * frontend.HOP / frontend.SAMPLE_RATE, padded=padded,
        )

    def run_patches(self, patches: np.ndarray, *, batch_size: int = BATCH_PATCHES) -> dict[str, np.ndarray]:
        """Log-mel patches (P, T, 96) -> {"tags", "logits", "penultimate", "max_pool"} float32
        numpy arrays, ``batch_size`` patches per forward pass (patches are independent: the
        result does not depend on it beyond float rounding order)."""
        x = torch.from_numpy(np.ascontiguousarray(patches, dtype=np.float32))
        if x.ndim != 3 or len(x) == 0:
            raise ValueError(f"expected log-mel patches (P, T, F) with P >= 1, got shape {tuple(x.shape)}")
        parts = []
        with torch.inference_mode():
            for start in range(0, len(x), batch_size):
                out = self.model(x[start:start + batch_size])
                parts.append((torch.sigmoid(out.logits), out.logits, out.penultimate, out.max_pool))
        keys = ("tags", "logits", "penultimate", "max_pool")
        return {k: torch.cat([p[i] for p in parts]).numpy() for i, k in enumerate(keys)}


_THREADS = threading.Lock()


def side_by_side(jobs: list) -> list:
    """Run the callables ``jobs`` (one per model) and return their results in order.

    With ``n = torch.get_num_threads() >= 2`` and two or more jobs, the jobs run side by side in
    Python threads with ``n // len(jobs)`` torch threads each (at least 1) instead of one after
    the other with ``n`` threads each: every convolution then runs without an OpenMP barrier
    between cores, which on a shared machine stalls whenever a core is busy elsewhere. Both
    models on 30 s, 2 threads, load average 4.7 on 2 cores: 4.31 s one after the other with 2
    threads each, 1.03 s side by side (1 thread alone: 0.99 s). The torch thread count is
    process-wide: it is lowered for the duration of the call (one call at a time) and restored.
    """
    n = torch.get_num_threads()
    if n < 2 or len(jobs) < 2:
        return [job() for job in jobs]
    with _THREADS:
        torch.set_num_threads(max(1, n // len(jobs)))
        try:
            with ThreadPoolExecutor(len(jobs)) as pool:
                return list(pool.map(lambda job: job(), jobs))
        finally:
            torch.set_num_threads(n)


def tag_all(taggers: list[Tagger] | tuple[Tagger, ...], audio: np.ndarray, sample_rate: int, *,
            short: str = "repeat") -> dict[str, TagResult]:
    """Several taggers on one clip, the front end computed once, the models side by side
    (:func:`side_by_side`): ``{tagger.name: TagResult}``."""
    spec = frontend.log_mel(frontend.to_mono_16k(audio, sample_rate))
    results = side_by_side([functools.partial(t.tag_log_mel, spec, short=short) for t in taggers])
    return {t.name: r for t, r in zip(taggers, results)}


def weights_path(name: str) -> Path:
    """Where the shipped weights of ``name`` live: ``vmb/data/musicnn/<name>.safetensors``."""
    if name not in MODEL_NAMES:
        raise VmbError(f"unknown musicnn model {name!r}; use one of {', '.join(MODEL_NAMES)}")
    return WEIGHTS_DIR / f"{name}.safetensors"


@functools.cache
def load_tagger(name: str = "MTT_musicnn") -> Tagger:
    """The shipped ``MTT_musicnn`` (MagnaTagATune) or ``MSD_musicnn`` (Million Song Dataset)
    tagger, read once per process (later calls return the same object)."""
    return load_tagger_file(weights_path(name))


def load_tagger_file(path: str | os.PathLike) -> Tagger:
    """A tagger from a weights file written by ``scripts/convert_musicnn.py``."""
    from safetensors import SafetensorError, safe_open

    fname = str(path)
    if not os.path.isfile(fname):
        raise VmbError(f"musicnn weights {fname}: no such file")
    try:
        with safe_open(fname, framework="pt") as f:
            meta = f.metadata() or {}
            state = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (a safe_open handle is not iterable)
    except (SafetensorError, OSError, ValueError) as exc:
        raise VmbError(f"musicnn weights {fname} cannot be read (not a safetensors file?): {str(exc)[:160]}") from None
    if meta.get("format") != FORMAT:
        raise VmbError(f"musicnn weights {fname} is not a vmb musicnn file (format {FORMAT!r} missing)")
    if meta.get("version") != str(VERSION):
        raise VmbError(f"musicnn weights {fname} has version {meta.get('version')!r}; this vmb reads version {VERSION}")
    try:
        config = MusicnnConfig.from_dict(json.loads(meta["config"]))
        tag_names = json.loads(meta["tags"])
        model = Musicnn(config)
        tagger = Tagger(model, tag_names, meta.get("name", Path(fname).stem))
    except (KeyError, TypeError, ValueError) as exc:
        raise VmbError(f"musicnn weights {fname} has invalid metadata: {exc}") from None
    expected = model.state_dict()
    if set(state) != set(expected):
        raise VmbError(f"musicnn weights {fname} do not fit its config: missing "
                       f"{sorted(set(expected) - set(state))[:3]}, unexpected {sorted(set(state) - set(expected))[:3]}")
    for key, value in expected.items():
        if state[key].shape != value.shape:
            raise VmbError(f"musicnn weights {fname}: {key} is {tuple(state[key].shape)}, "
                           f"the config needs {tuple(value.shape)}")
    model.load_state_dict({k: v.to(torch.float32) for k, v in state.items()})
    return tagger


def save_tagger_file(tagger: Tagger, path: str | os.PathLike, *, source: str = "") -> Path:
    """Write ``tagger`` in the format :func:`load_tagger_file` reads (float32 safetensors)."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"format": FORMAT, "version": str(VERSION), "name": tagger.name, "tags": json.dumps(list(tagger.tag_names)),
            "config": tagger.config.to_json(), "source": source}
    state = {k: v.detach().float().contiguous() for k, v in tagger.model.state_dict().items()}
    save_file(state, str(path), metadata=meta)
    return path


def build_tagger(config: MusicnnConfig | str = "debug", *, seed: int = 0,
                 tag_names: tuple[str, ...] | None = None) -> Tagger:
    """A tagger with random weights from a config or preset name (tests, no file read).

    Batch-norm statistics are randomised too (positive variances, some negative scales) so
    that every branch of the inference arithmetic is exercised.
    """
    cfg = MusicnnConfig.preset(config) if isinstance(config, str) else config
    gen = torch.Generator().manual_seed(seed)
    model = Musicnn(cfg)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=gen) + 0.5)
            else:
                tensor.copy_(torch.randn(tensor.shape, generator=gen) * 0.1)
    names = tag_names or tuple(f"tag{i}" for i in range(cfg.n_tags))
    return Tagger(model, names, f"random-{config if isinstance(config, str) else 'config'}")

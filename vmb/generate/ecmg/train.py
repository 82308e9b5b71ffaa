"""Train ECMG on lead sheets: ``train(TrainConfig(...)) -> path of out_dir/ecmg.pt`` (the EMA weights at the last save).

Reads top to bottom: data -> model -> optimizer -> (resume) -> loop {batch, flow-matching
loss, AdamW step with clipping and cosine LR, EMA, log, validate, checkpoint} -> plot.

Files in ``out_dir``: ``ecmg.pt`` (EMA weights, a normal checkpoint), ``train_state.pt``
(raw + EMA weights, optimizer, step: what resume needs), ``log.jsonl`` (one JSON object per
log or validation event), ``loss.png`` (the loss curve). Every batch is drawn from
``default_rng([seed, step])``, so a resumed run sees the same data as an uninterrupted one.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from vmb import VmbError
from vmb.generate.ecmg.checkpoint import atomic_torch_save, save_pretrained
from vmb.generate.ecmg.conditioning import Conditions
from vmb.generate.ecmg.data import Batch, DropRates, TrainingSet, build_tunes, load_entries, text_embeddings
from vmb.generate.ecmg.layout import LAYOUT
from vmb.generate.ecmg.model import EcmgConfig, EcmgModel
from vmb.generate.ecmg.sampler import FlowSampler, noisy, sample_times
from vmb.types import LibraryEntry


@dataclass
class TrainConfig:
    data: str | None = None  # JSONL file or folder; None = the shipped vmb/data/tunes.jsonl.gz
    out_dir: str = "runs/ecmg"
    model: str = "default"  # EcmgConfig preset
    steps: int = 10000  # ~1.5 h at ~0.55 s/step (batch 32, one thread, this 2-core machine)
    batch_size: int = 32
    lr: float = 4e-4
    min_lr: float = 4e-5
    warmup: int = 200
    weight_decay: float = 0.01
    ema: float = 0.999
    grad_clip: float = 1.0
    log_every: int = 20
    val_every: int = 250
    val_batches: int = 4
    val_samples: int = 16  # sampled at each validation for the symbolic metrics
    val_fraction: float = 0.05
    max_tunes: int | None = None  # use only the first n tunes (quick runs)
    threads: int = 1  # a second thread helps only on an idle machine; on a busy one it is 4-10x slower
    seed: int = 0
    resume: bool = True
    time_limit_s: float | None = None  # stop (after saving) when this much wall time has passed
    # Loss weight of the 48 melody-pitch channels: each step has one positive among 48, so
    # under a plain mean the melody's pitches are a small share of the loss next to onsets
    # and harmony, and the ControlFormer learned to pass on rhythm and harmony first.
    melody_weight: float = 1.0


def to_torch(b: Batch) -> tuple[torch.Tensor, Conditions]:
    cond = Conditions(
        text=torch.from_numpy(b.text), text_on=torch.from_numpy(b.text_on),
        targeted=torch.from_numpy(b.targeted), targeted_on=torch.from_numpy(b.targeted_on),
        broad=torch.from_numpy(b.broad), broad_on=torch.from_numpy(b.broad_on),
        attrs=torch.from_numpy(b.attrs), step_mask=torch.from_numpy(b.step_mask),
    )
    return torch.from_numpy(b.x0), cond


def flow_loss(model: EcmgModel, x0: torch.Tensor, cond: Conditions, t: torch.Tensor,
              noise: torch.Tensor, melody_weight: float = 1.0) -> torch.Tensor:
    """Mean squared error between predicted and true velocity (rectified flow); the melody
    pitch channels count ``melody_weight`` times (the weights are normalised to mean 1)."""
    xt, target = noisy(x0, noise, t)
    err = (model(xt, t, cond) - target) ** 2
    if melody_weight == 1.0:
        return torch.mean(err)
    weights = torch.ones(err.shape[-1], dtype=err.dtype)
    weights[LAYOUT.mel] = melody_weight
    return torch.mean(err * (weights / weights.mean()))


def split(entries, fraction: float) -> tuple[list, list]:
    """Stable train/validation split by a hash of the entry id."""
    is_val = [zlib.crc32(e.id.encode()) % 1000 < fraction * 1000 for e in entries]
    return [i for i, v in enumerate(is_val) if not v], [i for i, v in enumerate(is_val) if v]


def lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * progress))


@torch.no_grad()
def validate(model: EcmgModel, val_set: TrainingSet, cfg: TrainConfig) -> dict[str, float]:
    """Loss on fixed validation batches at fixed noise levels, and symbolic metrics of samples."""
    from vmb.generate.ecmg.metrics import sample_metrics

    model.eval()
    losses = []
    for k in range(cfg.val_batches):
        rng = np.random.default_rng([cfg.seed, 10_000_000 + k])
        x0, cond = to_torch(val_set.batch(rng, cfg.batch_size, DropRates(0, 0, 0, 0, 0)))
        gen = torch.Generator().manual_seed(cfg.seed + k)
        t = torch.linspace(0.05, 0.95, len(x0))
        losses.append(float(flow_loss(model, x0, cond, t, torch.randn(x0.shape, generator=gen))))
    rng = np.random.default_rng([cfg.seed, 20_000_000])
    batch = val_set.batch(rng, cfg.val_samples, DropRates(0, 0, 0, 0, 0))
    x0, cond = to_torch(batch)
    uncond = cond.dropped(text=True, targeted=True, broad=True, attrs=True)
    rolls = FlowSampler(steps=12).sample(model, cond, generator=torch.Generator().manual_seed(cfg.seed),
                                         guidance=2.0, uncond=uncond)
    out = {"val_loss": float(np.mean(losses))}
    out.update(sample_metrics(rolls.numpy(), batch))
    return out


def plot_losses(log: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [(r["step"], r["loss"]) for r in log if "loss" in r]
    val = [(r["step"], r["val_loss"]) for r in log if "val_loss" in r]
    fig, ax = plt.subplots(figsize=(7, 4))
    if train:
        ax.plot(*zip(*train), label="train loss", lw=1)
    if val:
        ax.plot(*zip(*val), "o-", label="validation loss")
    ax.set_xlabel("step")
    ax.set_ylabel("flow-matching MSE")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)


def train(cfg: TrainConfig, *, log: Callable[[str], None] = print,
          entries: list[LibraryEntry] | None = None) -> Path:
    """Train (or resume) and return the path of ``out_dir/ecmg.pt`` (EMA weights).

    ``entries``: the training tunes when the caller read them (score files go through the
    library's reader); None reads ``cfg.data`` (JSONL) or the shipped corpus."""
    # Every check before the run folder is made: a refused run leaves nothing behind.
    if cfg.threads < 1:
        raise VmbError(f"threads must be at least 1, got {cfg.threads}")
    try:
        model_config = EcmgConfig.preset(cfg.model)
    except ValueError as exc:
        raise VmbError(str(exc)) from None
    out = Path(cfg.out_dir)
    if out.exists() and not out.is_dir():
        raise VmbError(f"run folder {out} is a file; choose another --out")
    torch.set_num_threads(cfg.threads)
    t_start = time.perf_counter()

    # -- data
    entries = load_entries(cfg.data) if entries is None else entries
    if not entries:
        raise VmbError(f"training data {cfg.data}: no lead sheets found")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VmbError(f"run folder {out}: {exc.strerror or exc}") from None
    rows = list(range(len(entries)))
    if cfg.max_tunes:  # a fixed sample across all collections, not the first files
        rows = sorted(sorted(rows, key=lambda i: zlib.crc32(entries[i].id.encode()))[: cfg.max_tunes])
    text = text_embeddings(entries, cfg.data, cache=out / "text_embeddings.npy", rows=rows)
    entries = [entries[i] for i in rows]
    train_idx, val_idx = split(entries, cfg.val_fraction)
    if not val_idx:  # tiny data sets: hold out the last entry
        train_idx, val_idx = train_idx[:-1], train_idx[-1:]
    train_set = TrainingSet(build_tunes([entries[i] for i in train_idx]), text[train_idx])
    val_set = TrainingSet(build_tunes([entries[i] for i in val_idx]), text[val_idx], augment=False)
    log(f"data: {len(train_set)} training tunes, {len(val_set)} validation tunes")

    # -- model, EMA, optimizer
    model = EcmgModel(model_config)
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "null" in name or name.endswith("pos") else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.99))
    log(f"model: {model.num_parameters() / 1e6:.2f} M parameters ({cfg.model})")

    # -- resume
    step, history, best = 0, [], float("inf")
    state_path = out / "train_state.pt"
    if cfg.resume and state_path.exists():
        try:
            state = torch.load(state_path, map_location="cpu", weights_only=True)
            model.load_state_dict(state["model"])
            ema.load_state_dict(state["ema"])
            opt.load_state_dict(state["optimizer"])
        except Exception as exc:  # noqa: BLE001 - any unreadable state is one clear error
            raise VmbError(f"training state {state_path} cannot be resumed ({exc}); delete it to start over") from None
        step, best = int(state["step"]), float(state.get("best", best))
        history = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines() if line] \
            if (out / "log.jsonl").exists() else []
        log(f"resumed at step {step}")
    (out / "train_config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2))

    def save(step: int) -> None:
        save_pretrained(ema, out / "ecmg.pt", step=step, meta={"train": dataclasses.asdict(cfg)})
        atomic_torch_save({"model": model.state_dict(), "ema": ema.state_dict(), "optimizer": opt.state_dict(),
                           "step": step, "best": best}, state_path)
        lines = "".join(json.dumps(r) + "\n" for r in history)
        tmp = out / "log.jsonl.tmp"
        tmp.write_text(lines)
        os.replace(tmp, out / "log.jsonl")
        plot_losses(history, out / "loss.png")

    # -- loop
    model.train()
    running, t_log = [], time.perf_counter()
    while step < cfg.steps:
        rng = np.random.default_rng([cfg.seed, step])
        x0, cond = to_torch(train_set.batch(rng, cfg.batch_size))
        gen = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
        t = sample_times(len(x0), gen)
        loss = flow_loss(model, x0, cond, t, torch.randn(x0.shape, generator=gen), cfg.melody_weight)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip))
        opt.step()
        with torch.no_grad():
            d = min(cfg.ema, (1 + step) / (10 + step))  # short warm-up of the average
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.lerp_(pm, 1 - d)
        step += 1
        running.append(float(loss.detach()))
        if step % cfg.log_every == 0 or step == cfg.steps:
            dt = (time.perf_counter() - t_log) / len(running)
            row = {"step": step, "loss": float(np.mean(running)), "lr": lr_at(step - 1, cfg),
                   "grad_norm": grad_norm, "s_per_step": dt}
            history.append(row)
            log(f"step {step:6d}  loss {row['loss']:.4f}  lr {row['lr']:.2e}  {dt:.2f} s/step")
            running, t_log = [], time.perf_counter()
        timed_out = cfg.time_limit_s is not None and time.perf_counter() - t_start > cfg.time_limit_s
        if step % cfg.val_every == 0 or step == cfg.steps or timed_out:
            metrics = validate(ema, val_set, cfg)
            best = min(best, metrics["val_loss"])
            history.append({"step": step, **metrics})
            log(f"step {step:6d}  " + "  ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
            save(step)
            t_log = time.perf_counter()
        if timed_out:
            log(f"time limit reached at step {step}")
            break
    return out / "ecmg.pt"

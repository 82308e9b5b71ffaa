"""Rectified flow: training-time noising and a few-step Euler/Heun sampler with guidance.

Convention: x_t = (1 - t) * x_0 + t * noise, t in [0, 1] (t = 1 is pure noise); the model
predicts the velocity v = noise - x_0, so x_0 = x_t - t * v. Sampling integrates
dx/dt = v from t = 1 down to t = 0 in ``steps`` steps.

Classifier-free guidance: v = v_uncond + w * (v_cond - v_uncond). Where torch runs one thread
and the machine has two cores, the two halves run side by side in two Python threads (one torch
thread each: no OpenMP barrier, which on a busy core stalls every step); otherwise they run as
one batch. Both give the same samples: each sample's arithmetic does not depend on its batch.
The model knows nothing of this module (diffusers' split of models and schedulers).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import torch

from vmb.generate.ecmg.conditioning import Conditions

# callback(x, t_next) -> x: lets long-form generation average window overlaps and paint in
# known bars after every step (x is the state at flow time t_next).
StepCallback = Callable[[torch.Tensor, float], torch.Tensor]


def noisy(x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(x_t, velocity target) for clean rolls x0 (B, S, C), noise like x0, times t (B,)."""
    tt = t.reshape(-1, 1, 1)
    return (1 - tt) * x0 + tt * noise, noise - x0


def sample_times(batch: int, generator: torch.Generator) -> torch.Tensor:
    """Training flow times from a logit-normal(0, 1) (more weight on mid noise levels)."""
    return torch.sigmoid(torch.randn(batch, generator=generator))


def renoise(x0: torch.Tensor, t: float, noise: torch.Tensor) -> torch.Tensor:
    """A known clean roll brought to flow time ``t`` (for replacement inpainting)."""
    return (1 - t) * x0 + t * noise


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _beside(fn: Callable[[], torch.Tensor]) -> Future:
    """``fn()`` on the sampler's helper thread, under the caller's grad mode (thread-local)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(1, thread_name_prefix="vmb-guidance")
    inference = torch.is_inference_mode_enabled()

    def run() -> torch.Tensor:
        with torch.inference_mode() if inference else torch.no_grad():
            return fn()

    return _pool.submit(run)


def split_guidance() -> bool:
    """Whether the two guidance halves run side by side (one torch thread, two or more cores;
    ``VMB_SPLIT_GUIDANCE=0`` turns it off)."""
    if os.environ.get("VMB_SPLIT_GUIDANCE", "1").strip() == "0":
        return False
    return torch.get_num_threads() == 1 and (os.cpu_count() or 1) >= 2


@dataclass
class FlowSampler:
    """Few-step sampler. ``shift`` > 1 spends more steps at high noise (SD3's time shift)."""

    steps: int = 16
    method: str = "euler"  # "euler" | "heun"
    shift: float = 1.0

    def times(self) -> list[float]:
        if self.steps < 1:
            raise ValueError(f"sampler steps must be >= 1, got {self.steps}")
        ts = [1.0 - i / self.steps for i in range(self.steps + 1)]
        return [self.shift * t / (1 + (self.shift - 1) * t) for t in ts]

    @torch.no_grad()
    def sample(
        self,
        model,
        cond: Conditions,
        *,
        generator: torch.Generator,
        guidance: float = 1.0,
        uncond: Conditions | None = None,
        control_scale: float = 1.0,
        callback: StepCallback | None = None,
        noise: torch.Tensor | None = None,
        start: torch.Tensor | None = None,
        start_t: float | torch.Tensor = 1.0,
    ) -> torch.Tensor:
        """Denoise a batch: returns clean rolls (B, S, C).

        ``guidance`` w != 1 needs ``uncond`` (the same batch with conditions dropped).
        ``noise`` (B, S, C) fixes the starting point; otherwise it is drawn from ``generator``.
        ``start`` (B, S, C) with ``start_t`` < 1 (a float or one per sample): begin from these
        rolls noised to flow time ``start_t`` (SDEdit); a sample starts moving at the last step
        at or above its time. The result keeps the start's coarse shape (contour, phrasing) while
        the model rewrites the notes.
        """
        b = len(cond)
        cfg = model.config
        x = noise if noise is not None else torch.randn(b, cfg.steps, cfg.channels, generator=generator)
        begin = None  # per-sample start times (B,) when starting from rolls
        if start is not None:
            begin = torch.as_tensor(start_t, dtype=x.dtype).expand(b).clone()
            if bool((begin >= 1.0).all()):
                begin = None
            else:
                start, noise0 = start.to(x.dtype), x.clone()
        use_cfg = guidance != 1.0
        if use_cfg and uncond is None:
            raise ValueError("guidance != 1 needs the unconditional batch `uncond`")
        halves = use_cfg and split_guidance()
        both = Conditions.cat([cond, uncond]) if use_cfg and not halves else cond
        if hasattr(model, "encode"):  # what no step changes (context, its keys and values): computed once
            if halves:
                cond, uncond = model.encode(cond), model.encode(uncond)
            else:
                both = model.encode(both)

        def velocity(x: torch.Tensor, t: float) -> torch.Tensor:
            if halves:
                tt = torch.full((b,), t)
                later = _beside(lambda: model(x, tt, uncond, control_scale=control_scale))
                v_cond = model(x, tt, cond, control_scale=control_scale)
                v_uncond = later.result()
                return v_uncond + guidance * (v_cond - v_uncond)
            xx = torch.cat([x, x]) if use_cfg else x
            v = model(xx, torch.full((xx.shape[0],), t), both, control_scale=control_scale)
            if not use_cfg:
                return v
            v_cond, v_uncond = v.chunk(2)
            return v_uncond + guidance * (v_cond - v_uncond)

        ts = self.times()
        if begin is not None:
            first = float(begin.max())
            ts = [first] + [t for t in ts if t < first - 1e-9]
        for i, (t, t_next) in enumerate(zip(ts[:-1], ts[1:])):
            if begin is not None:  # samples at or before their start time sit on their noised start
                waiting = begin < t - 1e-9 if i else torch.ones_like(begin, dtype=torch.bool)
                if bool(waiting.any()):
                    x = torch.where(waiting[:, None, None], renoise(start, t, noise0), x)
            v = velocity(x, t)
            if self.method == "heun" and t_next > 0:
                x_euler = x + (t_next - t) * v
                v = 0.5 * (v + velocity(x_euler, t_next))
            elif self.method not in ("euler", "heun"):
                raise ValueError(f"unknown sampler method {self.method!r}; use 'euler' or 'heun'")
            x = x + (t_next - t) * v
            if callback is not None:
                x = callback(x, t_next)
        return x

"""Diffusion transformer (DiT) over piano-roll segments, with adaLN-zero timestep conditioning.

Shapes: B = batch, S = roll steps (64), C = roll channels, p = patch (steps per token),
N = S / p time tokens, L = context tokens, D = width, H = heads.

Each block: adaLN-zero self-attention over time -> cross-attention to the context
(text bridge ⓒ targeted reference ⓒ attributes) -> adaLN-zero MLP. The model only sees
tensors; noise schedules and sampling live in :mod:`vmb.generate.ecmg.sampler`.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of flow times ``t`` in [0, 1] (scaled by 1000): (B,) -> (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = (t.float() * 1000.0)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class Attention(nn.Module):
    """Multi-head attention; self-attention when ``context`` is None."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(width, width)
        self.kv = nn.Linear(width, 2 * width)
        self.out = nn.Linear(width, width)

    def keys_values(self, src: torch.Tensor) -> torch.Tensor:
        """(B, L, D) source tokens -> (2, B, H, L, D/H) keys and values."""
        b, n, d = src.shape
        return self.kv(src).reshape(b, n, 2, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None,
                kv: torch.Tensor | None = None) -> torch.Tensor:
        """``kv``: :meth:`keys_values` of ``context`` computed before (it is the same at every sampler step)."""
        b, n, d = x.shape
        k, v = kv if kv is not None else self.keys_values(x if context is None else context)
        q = self.q(x).reshape(b, n, self.heads, d // self.heads).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v)
        return self.out(y.transpose(1, 2).reshape(b, n, d))


class DiTBlock(nn.Module):
    """(B, N, D) tokens, (B, D) global condition, (B, L, D) context -> (B, N, D)."""

    def __init__(self, width: int, heads: int, mlp_ratio: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.attn = Attention(width, heads)
        self.norm_x = nn.LayerNorm(width, eps=1e-6)
        self.cross = Attention(width, heads)
        self.norm2 = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        hidden = int(width * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(width, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, width))
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(width, 6 * width))
        nn.init.zeros_(self.ada[1].weight)  # adaLN-zero: each block starts as the identity
        nn.init.zeros_(self.ada[1].bias)

    def forward(self, x: torch.Tensor, c: torch.Tensor, context: torch.Tensor,
                context_kv: torch.Tensor | None = None) -> torch.Tensor:
        """``context_kv``: this block's ``self.cross.keys_values(context)``, when computed before."""
        shift1, scale1, gate1, shift2, scale2, gate2 = self.ada(c).chunk(6, dim=-1)
        x = x + gate1.unsqueeze(1) * self.attn(modulate(self.norm1(x), shift1, scale1))
        x = x + self.cross(self.norm_x(x), context, context_kv)
        x = x + gate2.unsqueeze(1) * self.mlp(modulate(self.norm2(x), shift2, scale2))
        return x


class DiT(nn.Module):
    """The denoiser backbone: noisy roll (B, S, C) + mask channel -> velocity (B, S, C)."""

    def __init__(self, *, channels: int, steps: int, patch: int, width: int, depth: int, heads: int,
                 mlp_ratio: float):
        super().__init__()
        if steps % patch:
            raise ValueError(f"segment steps {steps} must be a multiple of the patch {patch}")
        self.channels, self.patch, self.width = channels, patch, width
        self.embed = nn.Linear((channels + 1) * patch, width)  # +1: the meter's step mask
        self.pos = nn.Parameter(torch.randn(1, steps // patch, width) * 0.02)
        self.time = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.blocks = nn.ModuleList(DiTBlock(width, heads, mlp_ratio) for _ in range(depth))
        self.norm_out = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.ada_out = nn.Sequential(nn.SiLU(), nn.Linear(width, 2 * width))
        self.out = nn.Linear(width, channels * patch)
        for layer in (self.ada_out[1], self.out):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def tokens(self, x: torch.Tensor, step_mask: torch.Tensor) -> torch.Tensor:
        """(B, S, C) roll + (B, S) mask -> (B, N, D) input tokens with positions."""
        b, s, _c = x.shape
        m = step_mask.float().unsqueeze(-1) * 2 - 1
        h = torch.cat([x, m], -1).reshape(b, s // self.patch, -1)
        return self.embed(h) + self.pos

    def global_condition(self, t: torch.Tensor, attr_vector: torch.Tensor) -> torch.Tensor:
        return self.time(timestep_embedding(t, self.width)) + attr_vector

    def context_keys_values(self, context: torch.Tensor) -> list[torch.Tensor]:
        """Each block's cross-attention keys and values of ``context`` (B, L, D)."""
        return [block.cross.keys_values(context) for block in self.blocks]

    def head(self, h: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """(B, N, D) -> (B, S, C) output."""
        shift, scale = self.ada_out(c).chunk(2, dim=-1)
        y = self.out(modulate(self.norm_out(h), shift, scale))
        return y.reshape(h.shape[0], -1, self.channels)

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        context: torch.Tensor,
        attr_vector: torch.Tensor,
        step_mask: torch.Tensor,
        control: Callable[[torch.Tensor, torch.Tensor], list[torch.Tensor]] | None = None,
        context_kv: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Velocity for noisy rolls ``x`` at flow times ``t`` (B,).

        ``control(tokens, c)`` (the ControlFormer) returns residuals (B, N, D) added to the
        outputs of the first blocks; None runs the plain DiT. ``context_kv``: each block's
        cross-attention keys and values of ``context`` (:meth:`context_keys_values`), when
        computed before; None computes them here.
        """
        h = self.tokens(x, step_mask)
        c = self.global_condition(t, attr_vector)
        control = control(h, c) if control is not None else None
        for i, block in enumerate(self.blocks):
            h = block(h, c, context, context_kv[i] if context_kv is not None else None)
            if control is not None and i < len(control):
                h = h + control[i]
        return self.head(h, c)

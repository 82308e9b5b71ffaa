"""ControlFormer: a trainable copy of the DiT's first N blocks driven by the broad reference.

Shapes: B = batch, S = roll steps, C = roll channels, N = time tokens, D = width.

As in ControlNet (and the VMB paper's ECMG): the broad reference m_i* (a piano-roll segment)
is embedded, passed through a zero-initialised projection and added to the DiT's input tokens;
the sum runs through copies of the first ``depth`` DiT blocks, and each copy's output goes
through its own zero-initialised projection and is added to the output of the matching DiT
block. At initialisation every projection is zero, so the DiT with control computes exactly
what it computes without it; training then opens the path only as far as it helps.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from vmb.generate.ecmg.dit import DiT


def zero_linear(width: int) -> nn.Linear:
    layer = nn.Linear(width, width)
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


class ControlFormer(nn.Module):
    """Broad reference roll -> list of ``depth`` residuals (B, N, D) for the DiT's first blocks."""

    def __init__(self, dit: DiT, depth: int):
        super().__init__()
        if not 1 <= depth <= len(dit.blocks):
            raise ValueError(f"ControlFormer depth {depth} must be 1..{len(dit.blocks)} (the DiT's depth)")
        self.patch = dit.patch
        width = dit.width
        # The reference gets its own patch embedding (padding rows of its meter are silence).
        self.embed = nn.Linear(dit.channels * dit.patch, width)
        self.zero_in = zero_linear(width)
        self.blocks = nn.ModuleList(copy.deepcopy(dit.blocks[i]) for i in range(depth))
        self.zero_out = nn.ModuleList(zero_linear(width) for _ in range(depth))

    def context_keys_values(self, context: torch.Tensor) -> list[torch.Tensor]:
        """Each block's cross-attention keys and values of ``context`` (B, L, D)."""
        return [block.cross.keys_values(context) for block in self.blocks]

    def forward(
        self,
        tokens: torch.Tensor,
        reference: torch.Tensor,
        c: torch.Tensor,
        context: torch.Tensor,
        scale: torch.Tensor | float = 1.0,
        context_kv: list[torch.Tensor] | None = None,
    ) -> list[torch.Tensor]:
        """``tokens``: the DiT's input tokens (B, N, D); ``reference``: (B, S, C) broad roll;
        ``c``: global condition (B, D); ``context``: (B, L, D);
        ``scale``: control strength, a float or (B,) tensor (0 switches a sample's control off);
        ``context_kv``: each block's cross-attention keys and values of ``context``, when computed
        before (:meth:`context_keys_values`).
        """
        b, s, _c = reference.shape
        ref = self.embed(reference.reshape(b, s // self.patch, -1))
        h = tokens + self.zero_in(ref)
        if isinstance(scale, torch.Tensor):
            scale = scale.reshape(-1, 1, 1).to(tokens.dtype)
        out = []
        for i, (block, proj) in enumerate(zip(self.blocks, self.zero_out)):
            h = block(h, c, context, context_kv[i] if context_kv is not None else None)
            out.append(proj(h) * scale)
        return out

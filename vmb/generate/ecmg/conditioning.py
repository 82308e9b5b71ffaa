"""The conditions of ECMG and the module that turns them into cross-attention tokens.

Shapes: B = batch, S = roll steps (64), C = roll channels, L = context tokens, D = model width.

The cross-attention context of every DiT block is
``[text-bridge tokens (T_txt) ⓒ targeted-reference tokens (T_tgt) ⓒ one token per attribute]``.
Each condition can be dropped per sample (classifier-free guidance): a dropped text or
targeted reference is replaced by learned null tokens, a dropped attribute by its null id 0,
and a dropped broad reference switches the ControlFormer's residuals off.

Attributes are small integer vocabularies (index 0 = unknown / dropped):
mode, tempo class, meter, note-density bin, register bin, section role.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import torch
from torch import nn

MODES = ("major", "minor")
TEMPO_CLASSES = ("slow", "medium", "fast")
METERS = ("4/4", "3/4", "6/8", "2/4")
# Melody onsets per beat: bins below 1.0, 1.0-1.33, 1.33-1.75, from 1.75 (corpus quartiles).
DENSITY_EDGES = (1.0, 1.33, 1.75)
# Mean melody pitch in semitones above the tonic's middle-C octave: low / middle / high.
REGISTER_EDGES = (1.5, 5.0)
# Section roles the data has: A / B / C+ phrases (by letter) and the tune's closing phrase.
ROLES = ("A", "B", "C", "end")
ATTRIBUTES = ("mode", "tempo", "meter", "density", "register", "role")
ATTRIBUTE_SIZES = (len(MODES) + 1, len(TEMPO_CLASSES) + 1, len(METERS) + 1,
                   len(DENSITY_EDGES) + 2, len(REGISTER_EDGES) + 2, len(ROLES) + 1)


def density_bin(onsets_per_beat: float) -> int:
    """0-based density bin of a melody with ``onsets_per_beat`` note onsets per beat."""
    return int(np.searchsorted(DENSITY_EDGES, onsets_per_beat, side="right"))


def density_range(bin_index: int, *, inner: float = 1.0) -> tuple[float, float]:
    """(low, high) onsets per beat of a density bin (high is inf for the top bin).

    ``inner`` < 1 gives the middle share of the bin instead (the open top bin starts 0.15
    onsets per beat above its edge): a target that sampling noise does not push out."""
    edges = (0.0, *DENSITY_EDGES, float("inf"))
    low, high = edges[bin_index], edges[bin_index + 1]
    if inner >= 1.0:
        return low, high
    margin = (1.0 - inner) / 2 * (high - low) if np.isfinite(high) else 0.15
    return low + margin, high - margin


def register_bin(mean_pitch_above_tonic: float) -> int:
    return int(np.searchsorted(REGISTER_EDGES, mean_pitch_above_tonic, side="right"))


def role_of_section(name: str, *, last: bool = False) -> str:
    """A section name ('A', 'B', 'intro', 'climax', 'outro' ...) -> one of ``ROLES``."""
    if last or name.lower() in ("outro", "ending", "end", "coda"):
        return "end"
    if name.upper() == "A" or name.lower() in ("intro", "verse", "theme"):
        return "A"
    if name.upper() == "B" or name.lower() in ("build", "climax", "chorus", "bridge", "drop"):
        return "B"
    return "C"


def attribute_ids(
    *,
    mode: str | None = None,
    tempo_class: str | None = None,
    meter: str | None = None,
    density: int | None = None,
    register: int | None = None,
    role: str | None = None,
) -> list[int]:
    """Attribute values -> ids in ``ATTRIBUTES`` order (unknown or None -> 0, the null id)."""

    def index(vocab, value) -> int:
        return vocab.index(value) + 1 if value in vocab else 0

    return [
        index(MODES, mode),
        index(TEMPO_CLASSES, tempo_class),
        index(METERS, meter),
        0 if density is None else int(np.clip(density, 0, len(DENSITY_EDGES))) + 1,
        0 if register is None else int(np.clip(register, 0, len(REGISTER_EDGES))) + 1,
        index(ROLES, role),
    ]


@dataclass
class Conditions:
    """A batch of conditions (tensors; ``*_on`` are (B,) bool, False = dropped).

    text: (B, 384) sentence embedding of the description (the text bridge).
    targeted: (B, S, C) roll of the targeted reference m_k*; broad: (B, S, C) roll of the
    broad reference m_i* (ControlFormer input). attrs: (B, 6) long ids (0 = null).
    step_mask: (B, S) bool, True on steps the meter really has.
    """

    text: torch.Tensor
    text_on: torch.Tensor
    targeted: torch.Tensor
    targeted_on: torch.Tensor
    broad: torch.Tensor
    broad_on: torch.Tensor
    attrs: torch.Tensor
    step_mask: torch.Tensor

    def map(self, fn) -> "Conditions":
        return Conditions(**{f.name: fn(getattr(self, f.name)) for f in fields(self)})

    def __len__(self) -> int:
        return self.text.shape[0]

    def dropped(self, *, text: bool = False, targeted: bool = False, broad: bool = False,
                attrs: bool = False) -> "Conditions":
        """A copy with the named conditions switched off for every sample."""
        out = self.map(lambda t: t)
        if text:
            out.text_on = torch.zeros_like(self.text_on)
        if targeted:
            out.targeted_on = torch.zeros_like(self.targeted_on)
        if broad:
            out.broad_on = torch.zeros_like(self.broad_on)
        if attrs:
            out.attrs = torch.zeros_like(self.attrs)
        return out

    @staticmethod
    def cat(items: list["Conditions"]) -> "Conditions":
        return Conditions(**{f.name: torch.cat([getattr(c, f.name) for c in items]) for f in fields(Conditions)})


class RollEncoder(nn.Module):
    """A reference roll (B, S, C) -> k tokens (B, k, D): patch MLP, mean+max pool over time."""

    def __init__(self, channels: int, patch: int, width: int, tokens: int):
        super().__init__()
        self.patch, self.tokens, self.width = patch, tokens, width
        self.embed = nn.Sequential(nn.Linear(channels * patch, width), nn.GELU(), nn.Linear(width, width))
        self.out = nn.Sequential(nn.GELU(), nn.Linear(2 * width, tokens * width))

    def forward(self, roll: torch.Tensor) -> torch.Tensor:
        b, s, c = roll.shape
        h = self.embed(roll.reshape(b, s // self.patch, self.patch * c))  # (B, S/p, D)
        mean, peak = h.mean(1), h.amax(1)  # padding rows are silence (-1): no mask needed
        return self.out(torch.cat([mean, peak], -1)).reshape(b, self.tokens, self.width)


class ConditionEncoder(nn.Module):
    """Conditions -> (context (B, L, D), global vector (B, D) for adaLN)."""

    def __init__(self, *, channels: int, patch: int, width: int, text_dim: int, text_tokens: int,
                 targeted_tokens: int):
        super().__init__()
        self.width, self.text_tokens, self.targeted_tokens = width, text_tokens, targeted_tokens
        self.text = nn.Sequential(nn.Linear(text_dim, width), nn.GELU(), nn.Linear(width, text_tokens * width))
        self.text_null = nn.Parameter(torch.randn(text_tokens, width) * 0.02)
        self.targeted = RollEncoder(channels, patch, width, targeted_tokens)
        self.targeted_null = nn.Parameter(torch.randn(targeted_tokens, width) * 0.02)
        self.attrs = nn.ModuleList(nn.Embedding(n, width) for n in ATTRIBUTE_SIZES)
        self.kind = nn.Parameter(torch.randn(3, width) * 0.02)  # which condition a token is from
        self.norm = nn.LayerNorm(width)

    @property
    def context_tokens(self) -> int:
        return self.text_tokens + self.targeted_tokens + len(ATTRIBUTE_SIZES)

    def forward(self, cond: Conditions) -> tuple[torch.Tensor, torch.Tensor]:
        b = len(cond)
        txt = self.text(cond.text).reshape(b, self.text_tokens, self.width)
        txt = torch.where(cond.text_on[:, None, None], txt, self.text_null.expand(b, -1, -1))
        tgt = self.targeted(cond.targeted)
        tgt = torch.where(cond.targeted_on[:, None, None], tgt, self.targeted_null.expand(b, -1, -1))
        att = torch.stack([emb(cond.attrs[:, i]) for i, emb in enumerate(self.attrs)], 1)
        ctx = torch.cat([txt + self.kind[0], tgt + self.kind[1], att + self.kind[2]], 1)
        return self.norm(ctx), att.sum(1)

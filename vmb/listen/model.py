"""musicnn (Pons & Serra, 2019) in PyTorch: the graph of musicnn 0.1.0 ``models.build_musicnn``.

Shapes: B = patches (batch), T = frames per patch (187 = 3 s at 16 kHz, hop 256),
F = mel bands (96), C = channels, K = tags (50).

Layer by layer, as musicnn builds it (TF layout (B, T, F, 1); here (B, C, T, F)):

- ``input_bn``: batch norm of the log-mel input, one channel.
- front end, timbral: zero-pad T by 3 on each side, Conv2d 7 x 38 and 7 x 67 (0.4 and 0.7 of
  96 bands), 204 filters each, valid -> ReLU -> batch norm -> max over the remaining F.
- front end, temporal: Conv2d 128 x 1, 64 x 1, 32 x 1, 51 filters each, TF 'same' padding
  (even kernels pad (k-1)//2 before, k//2 after) -> ReLU -> batch norm -> max over F.
- front-end features: concat -> (B, 561, T), order f74, f77, s128, s64, s32.
- mid end: three Conv1d over T (kernel 7, zero pad 3, 64 filters) -> ReLU -> batch norm;
  layers 2 and 3 add their input (residual). Dense connection: concat of the front-end
  features and the three mid-end outputs -> feature map (B, 753, T).
- back end: ``max_pool`` and ``mean_pool`` over T (B, 753) each, interleaved as TF flattens
  (753, 2) -> (B, 1506) -> batch norm -> Linear 200 -> ReLU -> batch norm = ``penultimate``
  -> Linear K = logits; tags = sigmoid(logits).

Batch norm is TF's inference form, ``(x - moving_mean) / sqrt(moving_var + 1e-3) * gamma +
beta``. The training-only dropout layers are omitted. The model is inference only: it always
uses the moving statistics, whatever ``train()``/``eval()`` says.

Speed: the max over F commutes with ReLU and with the per-channel affine batch norm (a
positive scale keeps the max, a negative one turns it into the min), so the front end pools
the raw convolution first and normalises the small (B, C, T) result; that saves two passes
over the largest tensors and changes no value (max, min, ReLU and negation are exact).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["FrozenBatchNorm", "Musicnn", "MusicnnConfig", "MusicnnOutput"]


@dataclass(frozen=True)
class MusicnnConfig:
    """Everything needed to rebuild the graph (stored in each weights file's metadata)."""

    n_mels: int = 96
    n_frames: int = 187  # frames per patch (3 s); the graph itself accepts any T
    timbral_filters: int = 204  # int(1.6 * 128)
    timbral_widths: tuple[int, ...] = (38, 67)  # int(0.4 * 96), int(0.7 * 96) mel bands
    timbral_height: int = 7  # frames
    temporal_filters: int = 51  # int(1.6 * 32)
    temporal_lengths: tuple[int, ...] = (128, 64, 32)  # frames
    midend_filters: int = 64
    midend_layers: int = 3
    midend_kernel: int = 7  # frames
    backend_units: int = 200
    n_tags: int = 50
    bn_eps: float = 1e-3  # tf.compat.v1.layers.batch_normalization default

    def __post_init__(self) -> None:
        if self.timbral_height % 2 == 0 or self.midend_kernel % 2 == 0:
            raise ValueError("timbral_height and midend_kernel must be odd (padding (k-1)/2 each side)")
        if max(self.timbral_widths) > self.n_mels:
            raise ValueError(f"timbral widths {self.timbral_widths} exceed n_mels={self.n_mels}")
        if min(self.__dict__[k] for k in ("timbral_filters", "temporal_filters", "midend_filters",
                                          "midend_layers", "backend_units", "n_tags")) < 1:
            raise ValueError("layer sizes must be positive")

    @property
    def frontend_channels(self) -> int:
        return len(self.timbral_widths) * self.timbral_filters + len(self.temporal_lengths) * self.temporal_filters

    @property
    def feature_channels(self) -> int:
        """Width of ``max_pool`` / ``mean_pool``: front end + every mid-end layer (753)."""
        return self.frontend_channels + self.midend_layers * self.midend_filters

    @classmethod
    def preset(cls, name: str) -> MusicnnConfig:
        """``"musicnn"``: the shipped MTT/MSD graph; ``"debug"``: a tiny random-weight test model."""
        if name == "musicnn":
            return cls()
        if name == "debug":
            return cls(timbral_filters=6, temporal_filters=3, temporal_lengths=(16, 8),
                       midend_filters=5, midend_layers=2, backend_units=12, n_tags=7)
        raise ValueError(f"unknown preset {name!r}; use 'musicnn' or 'debug'")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> MusicnnConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown config keys {unknown}")
        fixed = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**fixed)

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


class MusicnnOutput(NamedTuple):
    logits: torch.Tensor  # (B, K)
    penultimate: torch.Tensor  # (B, backend_units)
    max_pool: torch.Tensor  # (B, feature_channels)
    mean_pool: torch.Tensor  # (B, feature_channels)


class FrozenBatchNorm(nn.Module):
    """Inference batch norm over dim 1: TF's ``(x - moving_mean) / sqrt(moving_var + eps) * gamma
    + beta``; ``weight``/``bias``/``running_mean``/``running_var`` = gamma/beta/moving stats."""

    def __init__(self, channels: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def affine(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(scale, shift) per channel, so that ``bn(x) = x * scale + shift``."""
        scale = self.weight * torch.rsqrt(self.running_var + self.eps)
        return scale, self.bias - self.running_mean * scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale, shift = self.affine()
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return x * scale.view(shape) + shift.view(shape)


class ConvBN(nn.Module):
    """A convolution followed (after ReLU) by a batch norm; the names match the weights files."""

    def __init__(self, conv: nn.Module, channels: int, eps: float):
        super().__init__()
        self.conv = conv
        self.bn = FrozenBatchNorm(channels, eps)

    def affine(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.bn.affine()

    def conv_relu_bn(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C_in, L + k - 1) -> (B, C, L): conv, ReLU, batch norm (the mid-end layer).

        The convolution is an unfold and one matrix product: oneDNN's conv1d sums the
        7 x 561 = 3,927 terms with about six times the rounding error (max_pool 6e-4 from
        TF instead of 2e-4, measured on the golden clips), at the same speed.
        """
        weight = self.conv.weight  # (C, C_in, k)
        c_out, c_in, k = weight.shape
        b = x.shape[0]
        cols = x.unfold(2, k, 1).permute(0, 2, 1, 3).reshape(-1, c_in * k)  # (B * L, C_in * k)
        z = torch.addmm(self.conv.bias, cols, weight.reshape(c_out, -1).T).view(b, -1, c_out)
        scale, shift = self.affine()
        return torch.addcmul(shift, F.relu(z), scale).transpose(1, 2)

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, T', F) -> (B, C, T): conv, ReLU, batch norm, max over F (the front-end block).

        Where the batch-norm scale s is negative, max_F(s relu(z)) = s relu(min_F z) =
        s relu(-max_F(-z)): those channels run with negated weights and bias (exact in IEEE
        arithmetic), so one max serves every channel.
        """
        scale, shift = self.affine()
        sign = torch.where(scale < 0, -1.0, 1.0)
        z = F.conv2d(x, self.conv.weight * sign[:, None, None, None], self.conv.bias * sign)  # (B, C, T, F')
        top = z.amax(dim=-1) * sign[:, None]  # max_F z, or min_F z where s < 0
        return torch.addcmul(shift[:, None], F.relu(top), scale[:, None])


class Musicnn(nn.Module):
    """``Musicnn(config)(x)`` with log-mel patches x (B, T, F) -> :class:`MusicnnOutput`."""

    def __init__(self, config: MusicnnConfig | None = None):
        super().__init__()
        self.config = config = config or MusicnnConfig()
        eps = config.bn_eps
        self.input_bn = FrozenBatchNorm(1, eps)
        self.timbral = nn.ModuleList(
            ConvBN(nn.Conv2d(1, config.timbral_filters, (config.timbral_height, w)), config.timbral_filters, eps)
            for w in config.timbral_widths
        )
        self.temporal = nn.ModuleList(
            ConvBN(nn.Conv2d(1, config.temporal_filters, (n, 1)), config.temporal_filters, eps)
            for n in config.temporal_lengths
        )
        widths = [config.frontend_channels] + [config.midend_filters] * (config.midend_layers - 1)
        self.midend = nn.ModuleList(
            ConvBN(nn.Conv1d(c, config.midend_filters, config.midend_kernel), config.midend_filters, eps)
            for c in widths
        )
        features = config.feature_channels
        self.pool_bn = FrozenBatchNorm(2 * features, eps)
        self.dense = nn.Linear(2 * features, config.backend_units)
        self.dense_bn = FrozenBatchNorm(config.backend_units, eps)
        self.classifier = nn.Linear(config.backend_units, config.n_tags)

    def frontend(self, x: torch.Tensor) -> torch.Tensor:
        """Log-mel (B, T, F) -> front-end features (B, 561, T)."""
        if x.ndim != 3 or x.shape[-1] != self.config.n_mels:
            raise ValueError(f"expected log-mel patches (B, T, {self.config.n_mels}), got {tuple(x.shape)}")
        scale, shift = self.input_bn.affine()
        h = (x * scale + shift)[:, None]  # (B, 1, T, F)
        pad = (self.config.timbral_height - 1) // 2
        h_t = F.pad(h, (0, 0, pad, pad))
        feats = [block.pooled(h_t) for block in self.timbral]
        for block, n in zip(self.temporal, self.config.temporal_lengths):
            feats.append(block.pooled(F.pad(h, (0, 0, (n - 1) // 2, n // 2))))  # TF 'same'
        return torch.cat(feats, dim=1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Log-mel (B, T, F) -> the dense feature map (B, 753, T) the back end pools."""
        front = self.frontend(x)
        pad = (self.config.midend_kernel - 1) // 2
        maps, y = [front], front
        for i, block in enumerate(self.midend):
            z = block.conv_relu_bn(F.pad(y, (pad, pad)))
            y = z if i == 0 else z + y
            maps.append(y)
        return torch.cat(maps, dim=1)

    def forward(self, x: torch.Tensor) -> MusicnnOutput:
        fmap = self.features(x)  # (B, 753, T)
        max_pool = fmap.amax(dim=-1)
        mean_pool = fmap.mean(dim=-1)
        pooled = torch.stack([max_pool, mean_pool], dim=-1).flatten(1)  # TF flatten of (753, 2)
        penultimate = self.dense_bn(F.relu(self.dense(self.pool_bn(pooled))))
        return MusicnnOutput(self.classifier(penultimate), penultimate, max_pool, mean_pool)

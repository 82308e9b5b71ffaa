"""Inference linears through oneDNN instead of MKL's sgemm, in bfloat16 where the CPU has it.

torch runs a float32 ``nn.Linear`` on the CPU through MKL's sgemm. On the AMD EPYC of our
machines that runs the model's products ((160 x 192) @ (192 x 576) for 5 windows) at about
100 GFLOP/s on one core; oneDNN's matmul (``torch.ops.mkldnn._linear_pointwise``, the op
torch.compile's CPU code calls) runs them at about 200. Same float32 arithmetic: the products
over 192 inputs came out bit for bit equal, the 576-input MLP output within float rounding.

On a CPU with bfloat16 dot products (AVX-512 BF16 or AMX: ``_is_mkldnn_bf16_supported``) the
products run in bfloat16 with float32 accumulation, about twice as fast again (the 192 x 576
product at 160 rows: 364 -> 189 us). Activations are cast per call; the weights once, and again
only after they change. Everything else (attention, norms, the sampler) stays float32.
``VMB_ECMG_PRECISION=float32`` keeps float32 products where bfloat16 would be chosen.
Only for inference: with gradients (training) a layer runs torch's own linear.
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import nn

PRECISIONS = ("auto", "float32", "bfloat16")


def available() -> bool:
    return torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")


def bf16_supported() -> bool:
    """True when oneDNN has fast bfloat16 products on this CPU."""
    check = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    return available() and check is not None and bool(check())


def inference_precision(precision: str | None = None) -> str:
    """The precision of the inference products: ``precision`` or ``$VMB_ECMG_PRECISION``
    (auto, float32, bfloat16; default auto), auto resolved to bfloat16 where the CPU has it."""
    choice = (precision or os.environ.get("VMB_ECMG_PRECISION", "") or "auto").strip().lower()
    if choice not in PRECISIONS:
        from vmb import VmbError

        raise VmbError(f"ECMG precision {choice!r} is not one of {', '.join(PRECISIONS)}")
    if choice != "float32" and not bf16_supported():
        return "float32"  # bfloat16 would be emulated (slower than float32), or oneDNN is missing
    return "bfloat16" if choice == "auto" else choice


class OneDnnLinear(nn.Linear):
    """An ``nn.Linear`` (same parameters and state dict) whose no-grad forward calls oneDNN."""

    bf16 = False  # set per layer by use_onednn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() or x.dtype != torch.float32 or x.device.type != "cpu":
            return F.linear(x, self.weight, self.bias)
        if not self.bf16:
            return torch.ops.mkldnn._linear_pointwise(x, self.weight, self.bias, "none", [], "")
        weight, bias = self._bf16_parameters()
        return torch.ops.mkldnn._linear_pointwise(x.to(torch.bfloat16), weight, bias, "none", [], "").float()

    def _bf16_parameters(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        # A parameter's _version counts its in-place changes (an optimizer step, load_state_dict).
        version = (self.weight._version, None if self.bias is None else self.bias._version)
        cached = self.__dict__.get("_bf16_cache")
        if cached is None or cached[0] != version:
            bias = None if self.bias is None else self.bias.detach().to(torch.bfloat16)
            cached = (version, self.weight.detach().to(torch.bfloat16), bias)
            self.__dict__["_bf16_cache"] = cached
        return cached[1], cached[2]


def use_onednn(model: nn.Module, precision: str | None = None) -> nn.Module:
    """Switch every ``nn.Linear`` of ``model`` to :class:`OneDnnLinear` in place (no copies),
    with products in :func:`inference_precision` (``precision``). Returns ``model``, whose
    ``inference_precision`` attribute says which precision its linears use."""
    chosen = inference_precision(precision)  # float32 wherever oneDNN is missing
    if available():
        for module in model.modules():
            if type(module) is nn.Linear or type(module) is OneDnnLinear:
                module.__class__ = OneDnnLinear
                module.bf16 = chosen == "bfloat16"
    model.inference_precision = chosen
    return model

"""Float32 inference linears through oneDNN instead of MKL's sgemm.

torch runs a float32 ``nn.Linear`` on the CPU through MKL's sgemm. On the AMD EPYC of our
machines that runs the model's products ((160 x 192) @ (192 x 576) for 5 windows) at about
100 GFLOP/s on one core; oneDNN's matmul (``torch.ops.mkldnn._linear_pointwise``, the op
torch.compile's CPU code calls) runs them at about 200. Same float32 arithmetic: the products
over 192 inputs came out bit for bit equal, the 576-input MLP output within float rounding.
Only for inference: with gradients (training) a layer runs torch's own linear.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def available() -> bool:
    return torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")


class OneDnnLinear(nn.Linear):
    """An ``nn.Linear`` (same parameters and state dict) whose no-grad forward calls oneDNN."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() or x.dtype != torch.float32 or x.device.type != "cpu":
            return F.linear(x, self.weight, self.bias)
        return torch.ops.mkldnn._linear_pointwise(x, self.weight, self.bias, "none", [], "")


def use_onednn(model: nn.Module) -> nn.Module:
    """Switch every ``nn.Linear`` of ``model`` to :class:`OneDnnLinear` in place (no copies)."""
    if available():
        for module in model.modules():
            if type(module) is nn.Linear:
                module.__class__ = OneDnnLinear
    return model

"""The flow sampler's guidance halves: side by side in two threads or as one batch, the same samples.

The same to float rounding, not bit for bit: a batch of 3 and a batch of 6 may take different GEMM
kernels (they did on an AMD EPYC, not on the Intel machine the split was written on)."""

import pytest
import torch

from tests.fixtures.ecmg import make_conditions, randomize
from vmb.generate.ecmg import sampler as sampler_module
from vmb.generate.ecmg.model import EcmgConfig, EcmgModel
from vmb.generate.ecmg.sampler import FlowSampler


@pytest.mark.parametrize("grad_mode", [torch.inference_mode, torch.no_grad])
def test_split_guidance_gives_the_batched_samples(monkeypatch, grad_mode):
    cfg = EcmgConfig.preset("debug")
    model = EcmgModel(cfg).eval()
    randomize(model)
    cond = make_conditions(3, cfg)
    uncond = cond.dropped(text=True, targeted=True, broad=True, attrs=True)
    calls = []
    forward = model.forward

    def counting(x, *args, **kwargs):
        calls.append(len(x))
        return forward(x, *args, **kwargs)

    monkeypatch.setattr(model, "forward", counting)

    def run(split: bool) -> tuple[torch.Tensor, list[int]]:
        monkeypatch.setattr(sampler_module, "split_guidance", lambda: split)
        calls.clear()
        with grad_mode():
            out = FlowSampler(steps=4).sample(model, cond, generator=torch.Generator().manual_seed(5),
                                              guidance=2.5, uncond=uncond)
        return out, list(calls)

    (batched, batched_calls), (split, split_calls) = run(False), run(True)
    assert batched_calls == [6] * 4 and split_calls == [3] * 8  # one batch of both halves, or two halves
    torch.testing.assert_close(split, batched, rtol=1e-4, atol=1e-5)
    assert batched.abs().sum() > 0 and torch.isfinite(batched).all()


def test_split_guidance_needs_one_torch_thread_and_two_cores(monkeypatch):
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        monkeypatch.setattr(sampler_module.os, "cpu_count", lambda: 2)
        assert sampler_module.split_guidance()
        monkeypatch.setenv("VMB_SPLIT_GUIDANCE", "0")
        assert not sampler_module.split_guidance()
        monkeypatch.delenv("VMB_SPLIT_GUIDANCE")
        monkeypatch.setattr(sampler_module.os, "cpu_count", lambda: 1)
        assert not sampler_module.split_guidance()
        torch.set_num_threads(2)
        monkeypatch.setattr(sampler_module.os, "cpu_count", lambda: 2)
        assert not sampler_module.split_guidance()  # torch threads itself: one batch
    finally:
        torch.set_num_threads(previous)

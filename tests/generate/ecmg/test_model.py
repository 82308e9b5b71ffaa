"""DiT + ControlFormer: shapes, zero-initialised control, condition dropping, sampler."""

import numpy as np
import pytest
import torch

from tests.fixtures.ecmg import make_conditions, randomize, recording
from vmb.generate.ecmg.model import EcmgConfig, EcmgModel
from vmb.generate.ecmg.sampler import FlowSampler, noisy, split_guidance


@pytest.fixture
def cfg():
    return EcmgConfig.preset("debug")


def test_shapes(cfg):
    model = EcmgModel(cfg)
    randomize(model)
    cond = make_conditions(3, cfg)
    x = torch.randn(3, cfg.steps, cfg.channels)
    out = model(x, torch.rand(3), cond)
    assert out.shape == x.shape
    ctx, vec = model.conditions(cond)
    assert ctx.shape == (3, model.conditions.context_tokens, cfg.width) and vec.shape == (3, cfg.width)
    residuals = model.control(model.dit.tokens(x, cond.step_mask), cond.broad, vec, ctx)
    assert len(residuals) == cfg.control_depth
    assert residuals[0].shape == (3, cfg.steps // cfg.patch, cfg.width)


def test_controlformer_starts_as_identity(cfg):
    """Zero projections: with a fresh ControlFormer the model equals the DiT without control,
    even when the DiT itself has (randomised, 'pretrained') weights."""
    model = EcmgModel(cfg)
    randomize(model.dit)
    randomize(model.conditions, 1)
    cond = make_conditions(2, cfg)
    x, t = torch.randn(2, cfg.steps, cfg.channels), torch.rand(2)
    with torch.no_grad():
        ctx, vec = model.conditions(cond)
        plain = model.dit(model.precondition(x, t), t, ctx, vec, cond.step_mask)
        with_control = model(x, t, cond)
        without = model(x, t, cond.dropped(broad=True))
    assert torch.equal(with_control, plain)
    assert torch.equal(without, plain)
    # Once the zero projections have learned something, the broad reference matters.
    randomize(model.control, 2)
    with torch.no_grad():
        assert not torch.allclose(model(x, t, cond), plain)
        assert torch.allclose(model(x, t, cond.dropped(broad=True)), plain)


def test_controlformer_blocks_are_copies_of_the_first_dit_blocks(cfg):
    model = EcmgModel(cfg)
    for i, block in enumerate(model.control.blocks):
        for (na, a), (nb, b) in zip(block.state_dict().items(), model.dit.blocks[i].state_dict().items()):
            assert na == nb and torch.equal(a, b)
    assert model.control.blocks[0].ada[1].weight.data_ptr() != model.dit.blocks[0].ada[1].weight.data_ptr()


def test_each_condition_changes_the_output(cfg):
    model = EcmgModel(cfg)
    randomize(model)
    cond = make_conditions(2, cfg)
    x, t = torch.randn(2, cfg.steps, cfg.channels), torch.rand(2)
    with torch.no_grad():
        full = model(x, t, cond)
        for name in ("text", "targeted", "broad", "attrs"):
            assert not torch.allclose(model(x, t, cond.dropped(**{name: True})), full), name


def test_sampler_runs_n_steps_and_is_deterministic(cfg):
    model = EcmgModel(cfg).eval()
    randomize(model)
    cond = make_conditions(2, cfg)
    calls = []
    sampler = FlowSampler(steps=5)
    a = sampler.sample(recording(model, calls), cond, generator=torch.Generator().manual_seed(3), guidance=2.0,
                       uncond=cond.dropped(text=True, targeted=True, broad=True, attrs=True))
    steps = sorted(set(calls), reverse=True)
    assert len(steps) == 5 and steps[0] == 1.0 and steps[-1] == pytest.approx(0.2)
    assert len(calls) == 5 * (2 if split_guidance() else 1)  # one batch a step, or the two halves side by side
    b = sampler.sample(model, cond, generator=torch.Generator().manual_seed(3), guidance=2.0,
                       uncond=cond.dropped(text=True, targeted=True, broad=True, attrs=True))
    c = sampler.sample(model, cond, generator=torch.Generator().manual_seed(4), guidance=2.0,
                       uncond=cond.dropped(text=True, targeted=True, broad=True, attrs=True))
    assert a.shape == (2, cfg.steps, cfg.channels)
    assert torch.equal(a, b) and not torch.equal(a, c)
    with pytest.raises(ValueError):
        sampler.sample(model, cond, generator=torch.Generator(), guidance=2.0)


def test_flow_sampler_recovers_the_target_of_an_exact_velocity():
    """With the true velocity field of a single point, Euler lands exactly on it."""
    target = torch.full((1, 4, 3), 0.5)

    class Oracle:
        config = EcmgConfig(channels=3, steps=4)

        def __call__(self, x, t, cond, control_scale=1.0):
            return (x - target) / t.reshape(-1, 1, 1)  # v = noise - x0 = (x_t - x0) / t

    cond = make_conditions(1, EcmgConfig.preset("debug"))
    for method in ("euler", "heun"):
        out = FlowSampler(steps=4, method=method).sample(Oracle(), cond, generator=torch.Generator().manual_seed(0))
        assert torch.allclose(out, target, atol=1e-5)
    xt, v = noisy(target, torch.zeros_like(target), torch.tensor([0.25]))
    assert torch.allclose(xt, 0.75 * target) and torch.allclose(v, -target)


def test_sampler_starting_from_rolls_keeps_them_by_their_start_time(cfg):
    """SDEdit start: start_t 1 is plain sampling; a late start stays near its start roll; the
    model is called only from the earliest start time on."""
    model = EcmgModel(cfg).eval()
    randomize(model)
    cond = make_conditions(3, cfg)
    start = torch.sign(torch.randn(3, cfg.steps, cfg.channels, generator=torch.Generator().manual_seed(1)))
    times = []
    sampler = FlowSampler(steps=10)
    plain = sampler.sample(model, cond, generator=torch.Generator().manual_seed(5))
    mixed = sampler.sample(recording(model, times), cond, generator=torch.Generator().manual_seed(5), start=start,
                           start_t=torch.tensor([1.0, 0.5, 0.1]))
    assert torch.allclose(mixed[0], plain[0], atol=1e-5)
    near = [float((mixed[i] - start[i]).abs().mean()) for i in range(3)]
    assert near[2] < near[1] < near[0]
    assert times[0] == 1.0 and len(times) == 10
    times.clear()
    sampler.sample(recording(model, times), cond, generator=torch.Generator().manual_seed(5), start=start, start_t=0.5)
    assert times[0] == 0.5 and len(times) == 5


def test_presets_and_sizes():
    assert EcmgModel(EcmgConfig.preset("debug")).num_parameters() < 300_000
    n = EcmgModel(EcmgConfig.preset("default")).num_parameters()
    assert 2_000_000 < n < 15_000_000  # fp16 fits the 30 MB package budget
    with pytest.raises(ValueError):
        EcmgConfig.preset("huge")
    with pytest.raises(ValueError):
        EcmgModel(EcmgConfig(depth=2, control_depth=3))
    assert np.isfinite(n)


def test_conditions_encoded_once_give_the_same_velocity(cfg):
    """The sampler encodes the conditions once per call: bit for bit what each step computed."""
    model = EcmgModel(cfg).eval()
    randomize(model)
    cond = make_conditions(3, cfg)
    x, t = torch.randn(3, cfg.steps, cfg.channels), torch.rand(3)
    with torch.no_grad():
        for c in (cond, cond.dropped(broad=True), cond.dropped(text=True, targeted=True, broad=True, attrs=True)):
            assert torch.equal(model(x, t, model.encode(c)), model(x, t, c))
    assert model.encode(cond.dropped(broad=True)).control_kv is None


def random_model_and_output(cfg):
    """A random-weight model in eval mode, inputs for it, and its output through torch's own linears."""
    model = EcmgModel(cfg).eval()
    randomize(model)
    cond = make_conditions(2, cfg)
    x, t = torch.randn(2, cfg.steps, cfg.channels), torch.rand(2)
    with torch.no_grad():
        plain = model(x, t, cond)
    return model, cond, x, t, plain


def test_bf16_linears_follow_float32_and_their_weights(cfg, monkeypatch):
    from vmb import VmbError
    from vmb.generate.ecmg.onednn import bf16_supported, inference_precision, use_onednn

    monkeypatch.setenv("VMB_ECMG_PRECISION", "float32")
    assert inference_precision() == "float32"
    monkeypatch.setenv("VMB_ECMG_PRECISION", "half")
    with pytest.raises(VmbError, match="precision 'half'"):
        inference_precision()
    monkeypatch.delenv("VMB_ECMG_PRECISION")
    assert inference_precision() == ("bfloat16" if bf16_supported() else "float32")
    if not bf16_supported():
        pytest.skip("this CPU has no oneDNN bfloat16 products")
    model, cond, x, t, plain = random_model_and_output(cfg)
    use_onednn(model, "bfloat16")
    assert model.inference_precision == "bfloat16"
    with torch.inference_mode():
        fast = model(x, t, cond)
    assert fast.dtype == torch.float32 and not torch.equal(fast, plain)  # bfloat16 products
    assert (fast - plain).abs().max() <= 0.05 * plain.abs().max()
    with torch.no_grad():  # new weights (as an optimizer step) are cast again, not served stale
        for p in model.parameters():
            p.mul_(0.5)
    use_onednn(model, "float32")
    with torch.inference_mode():
        halved = model(x, t, cond)
    use_onednn(model, "bfloat16")
    with torch.inference_mode():
        fast_halved = model(x, t, cond)
    assert (fast_halved - halved).abs().max() <= 0.05 * halved.abs().max()
    assert not torch.allclose(fast_halved, fast, atol=1e-3)


def test_onednn_linears_match_torch_linear_and_train_through_torch(cfg):
    from vmb.generate.ecmg.onednn import OneDnnLinear, use_onednn

    model, cond, x, t, plain = random_model_and_output(cfg)
    use_onednn(model, "float32")
    assert model.inference_precision == "float32"
    with torch.inference_mode():
        fast = model(x, t, cond)
    torch.testing.assert_close(fast, plain, rtol=1e-5, atol=1e-5)
    if any(isinstance(m, OneDnnLinear) for m in model.modules()):  # with gradients: torch's own linear
        model(x, t, cond).square().mean().backward()
        assert model.dit.out.weight.grad is not None

"""Checkpoint files: round trip, and clear errors naming the file for every kind of bad file."""

import pytest
import torch

from tests.fixtures.ecmg import make_conditions, randomize
from vmb import VmbError
from vmb.generate.ecmg.checkpoint import load_checkpoint, read_checkpoint
from vmb.generate.ecmg.model import EcmgConfig, EcmgModel


@pytest.fixture
def saved(tmp_path):
    model = EcmgModel(EcmgConfig.preset("debug")).eval()
    randomize(model)
    path = model.save_pretrained(tmp_path / "m.pt", step=7)
    return model, path


def test_round_trip_gives_identical_outputs(saved):
    model, path = saved
    loaded, info = load_checkpoint(path, EcmgModel)
    assert info["step"] == 7 and info["version"] == 1 and info["config"]["width"] == model.config.width
    cond = make_conditions(2, model.config)
    x, t = torch.randn(2, model.config.steps, model.config.channels), torch.rand(2)
    with torch.no_grad():
        assert torch.equal(model(x, t, cond), loaded(x, t, cond))
    assert EcmgModel.from_pretrained(path).config == model.config


def test_half_precision_file_loads_as_float32(saved, tmp_path):
    model, _ = saved
    path = model.save_pretrained(tmp_path / "half.pt", half=True)
    loaded, _ = load_checkpoint(path, EcmgModel)
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    cond = make_conditions(1, model.config)
    x, t = torch.randn(1, model.config.steps, model.config.channels), torch.rand(1)
    with torch.no_grad():
        assert torch.allclose(model(x, t, cond), loaded(x, t, cond), atol=2e-2)


def _raises_naming(path, fragment):
    with pytest.raises(VmbError) as err:
        load_checkpoint(path, EcmgModel)
    assert str(path) in str(err.value) and fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_truncated_file(saved):
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _raises_naming(path, "cannot be read")


def test_garbage_and_missing_files(tmp_path):
    bad = tmp_path / "garbage.pt"
    bad.write_bytes(b"not a checkpoint at all" * 10)
    _raises_naming(bad, "cannot be read")
    _raises_naming(tmp_path / "missing.pt", "no such file")
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    _raises_naming(other, "not a vmb ECMG checkpoint")


def test_wrong_version(saved):
    _, path = saved
    data = torch.load(path, weights_only=True)
    data["version"] = 99
    torch.save(data, path)
    _raises_naming(path, "version 99")
    with pytest.raises(VmbError):
        read_checkpoint(path)


def test_wrong_shapes_and_configs(saved):
    _, path = saved
    data = torch.load(path, weights_only=True)
    data["config"]["width"] = 48  # weights were saved for width 32
    torch.save(data, path)
    _raises_naming(path, "wrong shapes")
    data["config"]["width"] = 32
    data["config"]["control_depth"] = 2  # two ControlFormer blocks, the file has one
    torch.save(data, path)
    _raises_naming(path, "does not fit")
    data["config"]["no_such_field"] = 1
    torch.save(data, path)
    _raises_naming(path, "invalid config")


def test_export_halves_the_file(saved, tmp_path):
    from vmb.generate.ecmg.checkpoint import export_checkpoint

    model, path = saved
    small = export_checkpoint(path, tmp_path / "ship.pt", EcmgModel)
    assert small.stat().st_size < 0.7 * path.stat().st_size
    loaded, info = load_checkpoint(small, EcmgModel)
    assert info["step"] == 7 and loaded.config == model.config


def test_a_checkpoint_of_another_representation_is_refused(tmp_path):
    """The codec the weights were trained with is checked by name when a pipeline loads them."""
    import dataclasses

    from vmb.generate.ecmg import EcmgPipeline

    config = dataclasses.replace(EcmgConfig.preset("debug"), representation="audio-latent-v1")
    path = EcmgModel(config).save_pretrained(tmp_path / "other.pt")
    with pytest.raises(VmbError, match="representation 'audio-latent-v1'"):
        EcmgPipeline.from_pretrained(path)


def test_a_pipeline_loads_its_weights_on_its_own_threads(saved, monkeypatch):
    """Loading runs on the pipeline's torch threads, as sampling does (two OpenMP threads that wait
    for a busy core cost a cold start 1.4 s), and leaves the caller's setting as it was."""
    from vmb.generate.ecmg import EcmgPipeline
    from vmb.generate.ecmg import pipeline as ecmg_pipeline

    _model, path = saved
    seen = []
    real = ecmg_pipeline.load_checkpoint
    monkeypatch.setattr(ecmg_pipeline, "load_checkpoint", lambda *a: seen.append(torch.get_num_threads()) or real(*a))
    torch.set_num_threads(2)
    EcmgPipeline.from_pretrained(path)
    EcmgPipeline.from_pretrained(path, threads=None)
    assert seen == [1, 2] and torch.get_num_threads() == 2

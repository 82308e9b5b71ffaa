"""The generation pipeline: any length as overlapping windows, continuity, sections, seeds."""

import numpy as np
import pytest
import torch

from tests.fixtures.ecmg import randomize
from vmb import VmbError
from vmb.generate.ecmg.longform import HOP_BARS, default_sections, n_windows, overlap_callback, plan_windows, stitch
from vmb.generate.ecmg.model import EcmgConfig, EcmgModel
from vmb.generate.ecmg.pipeline import EcmgPipeline, energy_to_density
from vmb.testing import fake_lead_sheet
from vmb.types import Attributes, Section


@pytest.fixture(scope="module")
def pipe():
    model = EcmgModel(EcmgConfig.preset("debug"))
    randomize(model, 3)
    return EcmgPipeline(model, steps=3)


def test_plan_covers_the_bars_with_one_bar_overlaps():
    for n_bars in (1, 4, 5, 13, 40, 250):
        w = n_windows(n_bars)
        assert 4 + HOP_BARS * (w - 1) >= n_bars and (w == 1 or 4 + HOP_BARS * (w - 2) < n_bars)
    sections = default_sections(16, 4.0)
    assert [s.name for s in sections] == ["A", "B", "A"] and sections[1].energy > sections[0].energy
    plan = plan_windows(16, sections, 4.0)
    assert [w.first_bar for w in plan] == [0, 3, 6, 9, 12]
    assert plan[-1].role == "end" and {w.group for w in plan} == {0, 1}


def test_overlap_callback_makes_shared_bars_equal_and_keeps_known_rows():
    x = torch.randn(3, 64, 5)
    known = torch.zeros(3, 64, 5)
    mask = torch.zeros(3, 64, dtype=torch.bool)
    mask[0, :16] = True
    noise = torch.randn(3, 64, 5)
    y = overlap_callback(known, mask, noise)(x.clone(), 0.25)
    assert torch.equal(y[0, 48:], y[1, :16]) and torch.equal(y[1, 48:], y[2, :16])
    assert torch.allclose(y[0, :16], 0.25 * noise[0, :16])
    rolls = np.arange(3 * 64 * 2, dtype=np.float32).reshape(3, 64, 2)
    assert stitch(rolls, 10).shape == (160, 2)


@pytest.mark.parametrize("meter,bpm,seconds", [("4/4", 120, 30.0), ("3/4", 90, 12.0), ("6/8", 100, 5.0)])
def test_requested_length_in_bars(pipe, meter, bpm, seconds):
    attrs = Attributes(key="E", mode="minor", meter=meter, tempo_bpm=bpm, duration_s=seconds)
    out = pipe(attributes=attrs, text_embedding=np.ones(384, np.float32) / 20,
               broad=fake_lead_sheet(1, meter="4/4"), targeted=fake_lead_sheet(2, meter=meter), seed=0)
    sheet = out.lead_sheet
    per_bar = {"4/4": 4, "3/4": 3, "6/8": 3}[meter]
    length = seconds * bpm / 60
    assert sheet.length_beats == pytest.approx(length)
    assert out.roll.shape[0] == int(np.ceil(length / per_bar - 1e-6)) * 16
    assert (sheet.key, sheet.mode, sheet.meter) == ("E", "minor", meter)
    assert all(0 <= n.start < length for n in sheet.melody)
    assert all(c.start < length for c in sheet.chords)
    assert sheet.sections[0].start == 0 and sheet.sections[-1].end >= length


def test_windows_join_continuously(pipe):
    attrs = Attributes(mode="major", meter="4/4", tempo_bpm=100, duration_s=60.0)
    seen = {}
    original = pipe.sampler.sample

    def spy(*args, **kwargs):
        x = original(*args, **kwargs)
        seen.setdefault("rolls", []).append(x.clone())
        return x

    pipe.sampler.sample = spy
    try:
        out = pipe(attributes=attrs, seed=4)
    finally:
        pipe.sampler.sample = original
    windows = seen["rolls"][-1]  # the piece pass (the first pass makes the themes)
    assert windows.shape[0] == len(out.windows) > 1
    for k in range(1, windows.shape[0]):
        assert torch.equal(windows[k - 1, 48:], windows[k, :16])
    from vmb.generate.ecmg.longform import stitch

    pieces = stitch(windows.numpy(), out.roll.shape[0] // 16)
    assert np.array_equal(pieces[48:64], windows[1, :16].numpy())
    if out.density_fixed_windows == 0:  # density projection is the only later change
        assert np.array_equal(out.roll, pieces)


def test_density_projection_brings_every_window_into_its_bin():
    from vmb.generate.ecmg.conditioning import density_range
    from vmb.generate.ecmg.layout import step_mask
    from vmb.generate.ecmg.longform import plan_windows
    from vmb.generate.ecmg.pipeline import project_density
    from vmb.generate.ecmg.roll import PianoRoll, melody_runs
    from vmb.testing import fake_lead_sheet

    sheet = fake_lead_sheet(2, n_bars=16)
    roll = PianoRoll().encode(sheet, n_bars=16)
    windows = plan_windows(16, [Section("A", 0, 64, 0.5)], 4)
    for target in range(4):
        fixed, n = project_density(roll.copy(), windows, [target] * len(windows), "4/4", 16)
        mask = step_mask("4/4", 16)
        mask[15 * 16:] = False
        low, high = density_range(target)
        for k, w in enumerate(windows):
            a = w.first_bar * 16
            b = windows[k + 1].first_bar * 16 if k + 1 < len(windows) else 16 * 16
            beats = mask[a:b].sum() / 4
            assert low <= len(melody_runs(fixed[a:b], mask[a:b])) / beats < high
        assert np.array_equal(fixed[15 * 16:], roll[15 * 16:])  # the cadence bar is untouched


def test_sections_follow_the_request_and_seeds_are_deterministic(pipe):
    attrs = Attributes(mode="major", meter="4/4", tempo_bpm=120, duration_s=32.0)
    sections = [Section("intro", 0, 16, 0.2), Section("climax", 16, 48, 0.95), Section("outro", 48, 64, 0.3)]
    a = pipe(attributes=attrs, sections=sections, seed=1)
    b = pipe(attributes=attrs, sections=sections, seed=1)
    c = pipe(attributes=attrs, sections=sections, seed=2)
    assert [s.name for s in a.lead_sheet.sections] == ["intro", "climax", "outro"]
    # windows start every 3 bars; each takes the section under its middle bar (2, 5, 8, 11, 14)
    assert [w.role for w in a.windows] == ["A", "B", "B", "B", "end"]
    assert [w.energy for w in a.windows][:2] == [0.2, 0.95]
    assert np.array_equal(a.roll, b.roll) and not np.array_equal(a.roll, c.roll)
    assert energy_to_density(0.1) < energy_to_density(0.95)


def test_bad_requests(pipe, tmp_path):
    with pytest.raises(VmbError, match="meter"):
        pipe(attributes=Attributes(meter="7/8"))
    with pytest.raises(VmbError, match=str(tmp_path / "none.pt")):
        EcmgPipeline.from_pretrained(tmp_path / "none.pt")


def test_a_take_too_close_to_the_broad_reference_is_redone_more_loosely(pipe, monkeypatch):
    import vmb.generate.ecmg.pipeline as ecmg
    from vmb.testing import fake_lead_sheet

    broad = fake_lead_sheet(5, n_bars=8)
    attrs = Attributes(mode="major", meter="4/4", tempo_bpm=100)
    relaxed = pipe(attributes=attrs, broad=broad, length_beats=32.0, seed=2)
    assert relaxed.reference_strength == ecmg.REFERENCE_STRENGTH and relaxed.copied_bars <= ecmg.MAX_COPIED_BARS
    monkeypatch.setattr(ecmg, "MAX_COPIED_BARS", -1.0)  # every take "copies": strength halves down to 0
    strict = pipe(attributes=attrs, broad=broad, length_beats=32.0, seed=2)
    assert strict.reference_strength == 0.0

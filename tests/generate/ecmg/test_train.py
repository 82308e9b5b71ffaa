"""Training: data examples, the flow loss falls on a fixed batch, train() writes and resumes."""

import gzip
import json

import numpy as np
import pytest
import torch

from vmb import VmbError
from vmb.generate.ecmg.compact import densify
from vmb.generate.ecmg.data import (
    DropRates,
    TrainingSet,
    build_tunes,
    load_entries,
    segment_attributes,
    stretch,
    window,
)
from vmb.generate.ecmg.model import EcmgConfig, EcmgModel
from vmb.generate.ecmg.roll import PianoRoll
from vmb.generate.ecmg.sampler import sample_times
from vmb.generate.ecmg.train import TrainConfig, flow_loss, to_torch, train
from vmb.testing import fake_entries


@pytest.fixture(scope="module")
def entries():
    return fake_entries(24, seed=1)


def test_batches_are_deterministic_and_shaped(entries):
    ts = TrainingSet(build_tunes(entries), np.random.default_rng(0).normal(size=(24, 384)).astype(np.float32))
    a = ts.batch(np.random.default_rng(5), 6)
    b = ts.batch(np.random.default_rng(5), 6)
    assert a.x0.shape == (6, 64, 74) and a.attrs.shape == (6, 6) and a.step_mask.shape == (6, 64)
    assert np.array_equal(a.x0, b.x0) and np.array_equal(a.attrs, b.attrs)
    none = ts.batch(np.random.default_rng(5), 64, DropRates(0, 0, 0, 0, 0))
    assert none.text_on.all() and none.targeted_on.all() and (none.attrs > 0).all()
    everything = ts.batch(np.random.default_rng(5), 16, DropRates(0, 0, 0, 0, 1.0))
    assert not everything.text_on.any() and not everything.broad_on.any() and (everything.attrs == 0).all()


def test_broad_reference_is_another_phrase_of_the_same_tune(entries):
    tunes = build_tunes(entries)
    ts = TrainingSet(tunes, np.zeros((24, 384), np.float32), augment=False)
    rng = np.random.default_rng(0)
    for i in range(8):
        x0, _tgt, _text, _attrs, broad = ts.example(rng, i)
        assert broad is not None and not np.array_equal(broad, x0)
        # the broad window is a window of the same tune
        starts = range(tunes[i].n_bars - 3)
        assert any(np.array_equal(broad, densify(window(tunes[i], s))) for s in starts)


def test_tempo_stretch_renotates_durations(entries):
    tune = build_tunes(entries[:1])[0]
    rep = PianoRoll()
    one = rep.decode(densify(window(tune, 0)), meter=tune.meter).melody
    two = rep.decode(densify(stretch(window(tune, 0, 1.0), 2.0, tune.meter, 4)), meter=tune.meter).melody
    assert [(n.start * 2, n.duration * 2) for n in one[:4]] == [(n.start, n.duration) for n in two[:4]]
    seg = window(tune, 0)
    slow = segment_attributes(seg, mode="major", bpm=70, meter=tune.meter, role="A")
    fast = segment_attributes(seg, mode="major", bpm=140, meter=tune.meter, role="A")
    assert slow[1] != fast[1]


def test_loss_falls_when_overfitting_one_batch(entries):
    torch.manual_seed(0)
    ts = TrainingSet(build_tunes(entries), np.random.default_rng(0).normal(size=(24, 384)).astype(np.float32))
    x0, cond = to_torch(ts.batch(np.random.default_rng(0), 8, DropRates(0, 0, 0, 0, 0)))
    model = EcmgModel(EcmgConfig.preset("debug"))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    t, noise = sample_times(8, gen), torch.randn(x0.shape, generator=gen)
    losses = []
    for _ in range(40):
        loss = flow_loss(model, x0, cond, t, noise)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.6 * losses[0]


def _write_jsonl(entries, path):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(json.dumps({"schema_version": 1, "count": len(entries)}) + "\n")
        for e in entries:
            f.write(json.dumps(e.to_dict()) + "\n")


def test_train_writes_checkpoint_log_plot_and_resumes(entries, tmp_path):
    data = tmp_path / "tunes.jsonl.gz"
    _write_jsonl(entries, data)
    assert len(load_entries(data)) == 24
    out = tmp_path / "run"
    out.mkdir()
    np.save(out / "text_embeddings.npy", np.random.default_rng(0).normal(size=(24, 384)).astype(np.float32))
    cfg = TrainConfig(data=str(data), out_dir=str(out), model="debug", steps=4, batch_size=4, log_every=2,
                      val_every=4, val_batches=1, val_samples=2, threads=1, warmup=2)
    path = train(cfg, log=lambda s: None)
    assert path == out / "ecmg.pt" and (out / "loss.png").stat().st_size > 1000
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "loss" in r] == [2, 4]
    assert {"val_loss", "scale_consistency", "mode_accuracy", "density_accuracy"} <= set(log[-1])
    model = EcmgModel.from_pretrained(path)
    assert model.config == EcmgConfig.preset("debug")
    cfg.steps = 6
    messages = []
    train(cfg, log=messages.append)
    assert "resumed at step 4" in messages
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "loss" in r] == [2, 4, 6]


def test_bad_data_paths(tmp_path):
    with pytest.raises(VmbError, match="no such file"):
        load_entries(tmp_path / "nothing.jsonl")
    (tmp_path / "empty").mkdir()
    with pytest.raises(VmbError, match="no lead sheets"):
        load_entries(tmp_path / "empty")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    with pytest.raises(VmbError, match="bad.jsonl"):
        load_entries(bad)


def test_varied_broad_reference_is_related_but_not_a_copy(entries):
    from vmb.evaluate.symbolic import compare_melodies
    from vmb.generate.ecmg.data import vary

    rep = PianoRoll()
    for seed, tune in enumerate(build_tunes(entries)[:6]):
        seg = window(tune, 0)
        original = rep.decode(densify(seg), meter=tune.meter).melody
        varied = rep.decode(densify(vary(seg, np.random.default_rng(seed))), meter=tune.meter).melody
        per_bar = {"4/4": 4, "3/4": 3, "6/8": 3, "2/4": 2}[tune.meter]
        sim = compare_melodies(varied, original, length_beats=4 * per_bar, beats_per_bar=per_bar)
        assert sim["contour_similarity"] > 0.5 and sim["rhythm_similarity"] > 0.6
        assert sim["longest_shared_run_bars"] < 4


def test_folder_of_midi_files_becomes_lead_sheets_through_the_library_reader(tmp_path):
    """One reader per file kind: training reads a score as `vmb library add` does."""
    from vmb.pipeline.training import training_entries
    from vmb.retrieve.ingest import analyze_file

    mido = pytest.importorskip("mido")
    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4))
    # C major melody over a C-E-G accompaniment, two bars of quarter notes.
    for pitch in [72, 74, 76, 77, 79, 77, 76, 72]:
        track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        track.append(mido.Message("note_on", note=48, velocity=60, time=0))
        track.append(mido.Message("note_on", note=52, velocity=60, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=480))
        track.append(mido.Message("note_off", note=48, velocity=0, time=0))
        track.append(mido.Message("note_off", note=52, velocity=0, time=0))
    mid.save(tmp_path / "tune.mid")
    (tmp_path / "notes.txt").write_text("not music")
    (entry,) = training_entries(tmp_path)
    sheet = entry.lead_sheet
    assert sheet.to_dict() == analyze_file(tmp_path / "tune.mid", transcribe=False).entries[0].lead_sheet.to_dict()
    assert [n.pitch for n in sheet.melody] == [72, 74, 76, 77, 79, 77, 76, 72]
    assert sheet.meter == "4/4" and sheet.key == "C" and sheet.mode == "major"
    assert sheet.chords and sheet.chords[0].root == 0
    assert len(build_tunes([entry])) == 1


def test_melody_weight_scales_the_melody_channels_of_the_loss():
    import torch

    from vmb.generate.ecmg.layout import LAYOUT
    from vmb.generate.ecmg.train import flow_loss

    class Zero:  # predicts zero velocity: the error is the target itself
        def __call__(self, x, t, cond):
            return torch.zeros_like(x)

    x0 = torch.zeros(1, 4, LAYOUT.channels)
    noise = torch.zeros_like(x0)
    noise[..., LAYOUT.mel] = 1.0  # error only in the melody channels
    t = torch.tensor([0.5])
    plain = flow_loss(Zero(), x0, None, t, noise)
    heavy = flow_loss(Zero(), x0, None, t, noise, melody_weight=4.0)
    share = 48 / LAYOUT.channels
    assert float(heavy / plain) == pytest.approx(4.0 / (4.0 * share + (1 - share)), rel=1e-5)

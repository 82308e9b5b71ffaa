"""`vmb library ...`, `vmb train ecmg` and `vmb generate --generator ecmg` through the CLI."""

from __future__ import annotations

import hashlib
import json

import mido
import pytest

from vmb.cli import main


def _midi(path, notes=(60, 64, 67, 72)):
    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000))
    for pitch in notes * 4:
        track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=480))
    mid.save(path)


def test_library_build_search_list_add_remove(tmp_path, capsys):
    lib = str(tmp_path / "lib")
    assert main(["library", "--library", lib, "build"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["entries"] >= 2000

    assert main(["library", "--library", lib, "--json", "search", "slow, sad piece in D minor",
                 "--key", "D minor", "--tempo", "slow", "-k", "3"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert len(found["targeted"]) == 3 and len(found["broad"]) == 3
    assert all(r["key"] == "D minor" for r in found["targeted"])

    good, bad = tmp_path / "arp.mid", tmp_path / "broken.mid"
    _midi(good)
    bad.write_bytes(b"MThd garbage")
    assert main(["library", "--library", lib, "--json", "add", str(good), str(bad), "--workers", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["added_files"] == 1 and [f["path"] for f in report["failed"]] == [str(bad)]
    new_id = report["added"][0]

    assert main(["library", "--library", lib, "add", str(good), "--workers", "1"]) == 0
    assert "1 already present" in capsys.readouterr().out

    assert main(["library", "--library", lib, "remove", new_id]) == 0
    assert "removed 1" in capsys.readouterr().out
    assert main(["library", "--library", lib, "list", "--mode", "minor", "--limit", "2"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2


def test_library_missing_is_one_line_error(tmp_path, capsys):
    assert main(["library", "--library", str(tmp_path / "none"), "stats"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no library" in err[0]


def test_generate_with_pinned_reference_records_it(tmp_path, capsys):
    ref = tmp_path / "mine.mid"
    _midi(ref, notes=(62, 65, 69, 74))
    out = tmp_path / "o.wav"
    assert main(["generate", "--text", "a gentle tune", "--reference", str(ref), "--duration", "6",
                 "--json", "-o", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["references"][0]["track"] == "pinned" and data["references"][0]["source"].endswith("mine.mid")


def test_train_then_generate_with_ecmg(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "ecmg", "--model", "debug", "--steps", "2", "--batch-size", "4", "--max-tunes", "30",
                 "--out", str(run), "--quiet"]) == 0
    checkpoint = run / "ecmg.pt"
    assert capsys.readouterr().out.strip() == f"checkpoint: {checkpoint}"
    assert checkpoint.exists() and (run / "loss.png").exists()
    out = tmp_path / "e.wav"
    assert main(["generate", "--text", "a happy dance", "--generator", "ecmg", "--checkpoint", str(checkpoint),
                 "--duration", "6", "--json", "-o", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    # the sidecar names the weights by name, version and content hash, not by this machine's path
    assert data["generator"] == "ecmg" and data["checkpoint"]["name"] == "ecmg.pt"
    assert data["checkpoint"]["sha256"] == hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    assert data["checkpoint"]["format_version"] == 1 and data["checkpoint"]["step"] == 2
    assert str(tmp_path) not in json.dumps(data["checkpoint"])
    assert out.exists()


def test_ecmg_without_checkpoint_is_one_line_error(tmp_path, capsys, monkeypatch):
    import vmb.generate.ecmg.pipeline as ecmg

    monkeypatch.setattr(ecmg, "default_checkpoint_path", lambda: tmp_path / "absent.pt")
    ecmg.load_ecmg.cache_clear()
    out = tmp_path / "e.wav"
    assert main(["generate", "--text", "x", "--generator", "ecmg", "--duration", "5", "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "checkpoint" in err[0] and not out.exists()


def test_default_generator_is_ecmg_with_the_shipped_checkpoint(tmp_path, capsys):
    from vmb.generate.ecmg import default_checkpoint_path
    from vmb.generate.ecmg.checkpoint import read_checkpoint

    shipped = default_checkpoint_path()
    assert shipped.stat().st_size <= 30 * 2**20  # the package budget
    assert read_checkpoint(shipped)["step"] >= 10000  # a trained model, not a random one
    out = tmp_path / "song.wav"
    assert main(["generate", "--text", "a calm morning by the sea", "--duration", "6", "--json", "-o", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["generator"] == "ecmg" and data["checkpoint"]["name"] == "ecmg_default.pt"
    info = data["generator_info"]  # which references steered it, and how closely it follows m_i*
    ids = {r["id"] for r in data["references"]}
    assert info["broad_reference"] in ids and info["targeted_reference"] in ids
    assert info["copied_bars"] <= 2.0 and info["reference_strength"] > 0
    assert main(["generate", "--text", "a calm morning", "--generator", "baseline", "--duration", "6", "--json",
                 "-o", str(tmp_path / "b.wav")]) == 0
    assert json.loads(capsys.readouterr().out)["generator"] == "baseline"


@pytest.mark.parametrize("weight, status, message", [("0", 1, "--melody-weight must be positive"),
                                                     ("-2", 1, "--melody-weight must be positive"),
                                                     ("nan", 2, "must be a finite number")])
def test_bad_melody_weight_is_one_line_error(tmp_path, capsys, weight, status, message):
    assert main(["train", "ecmg", "--model", "debug", "--steps", "1", "--melody-weight", weight,
                 "--out", str(tmp_path / "run")]) == status
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not (tmp_path / "run").exists()

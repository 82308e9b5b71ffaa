"""Faults and bad input on the command line: one line on stderr, a non-zero exit, nothing lost.

Every case hashes the input files before and after: vmb must never overwrite an input, and a
refused or failed run leaves no partial output.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import mido
import numpy as np
import pytest
from PIL import Image

from vmb.cli import main


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.fixture
def inputs(tmp_path):
    """A folder with a MIDI reference, two photos and a prompt file, as a user would have."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    song = mido.MidiFile()
    track = mido.MidiTrack()
    song.tracks.append(track)
    for pitch in [60, 62, 64, 65, 67, 69, 71, 72] * 2:
        track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=240))
    song.save(folder / "my_song.mid")
    pixels = (np.random.default_rng(0).random((48, 64, 3)) * 255).astype("uint8")
    Image.fromarray(pixels).save(folder / "photo.png")
    Image.fromarray(pixels).save(folder / "photo.jpg")
    (folder / "prompt.json").write_text("a calm lullaby for a sleepy night", encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- 1. never overwrite an input


@pytest.mark.parametrize("argv, clash", [
    (["generate", "--text", "a lullaby", "--reference", "{d}/my_song.mid", "-o", "{d}/my_song.wav"], "my_song.mid"),
    (["generate", "--image", "{d}/photo.png", "--plot", "-o", "{d}/photo.wav"], "photo.png"),
    (["generate", "--text-file", "{d}/prompt.json", "-o", "{d}/prompt.wav"], "prompt.json"),
    (["describe", "--image", "{d}/photo.png", "--plot", "{d}/photo.png"], "photo.png"),
])
def test_side_files_never_overwrite_an_input(inputs, capsys, argv, clash):
    before = digest(inputs)
    assert main([a.format(d=inputs) for a in argv]) == 1
    line = one_error_line(capsys)
    assert "never overwrites" in line and clash in line
    assert digest(inputs) == before  # nothing replaced, nothing written


def test_symlinked_and_hard_linked_outputs_are_caught(inputs, capsys):
    before = digest(inputs)
    (inputs / "link.mid").symlink_to(inputs / "my_song.mid")
    assert main(["generate", "--text", "x", "--reference", str(inputs / "my_song.mid"), "-o", str(inputs / "link.wav")]) == 1
    assert "is the input reference" in one_error_line(capsys)
    os.link(inputs / "photo.png", inputs / "hard.png")
    assert main(["generate", "--image", str(inputs / "photo.png"), "--plot", "-o", str(inputs / "hard.wav")]) == 1
    assert "is the input image" in one_error_line(capsys)
    assert {k: v for k, v in digest(inputs).items() if k != "hard.png"} == before


def test_a_hard_link_to_the_input_video_is_refused(tmp_path, capsys):
    from tests.fixtures.video import make_video

    video = tmp_path / "clip.mp4"
    make_video(video, duration_s=2.0)
    os.link(video, tmp_path / "scored.mp4")
    before = digest(tmp_path)
    assert main(["generate", "--video", str(video), "-o", str(tmp_path / "scored.mp4")]) == 1
    assert "is the input video" in one_error_line(capsys)
    assert digest(tmp_path) == before


def test_outputs_inside_the_library_are_refused(tmp_path, capsys):
    library = Path(os.environ["VMB_LIBRARY"])
    library.mkdir(parents=True, exist_ok=True)
    assert main(["generate", "--text", "x", "-o", str(library / "song.wav")]) == 1
    assert "inside the music library" in one_error_line(capsys)
    assert not (library / "song.wav").exists()


def test_output_files_lists_every_file_the_writers_write(tmp_path):
    from vmb.pipeline import output_files

    audio = output_files(tmp_path / "a.wav", plot=True)
    assert {k: p.name for k, p in audio.items()} == {"wav": "a.wav", "midi": "a.mid", "json": "a.json", "plot": "a.png"}
    video = output_files(tmp_path / "v.mp4", video=True, plot=True)
    assert {k: p.name for k, p in video.items()} == {
        "mp4": "v.mp4", "wav": "v.wav", "midi": "v.mid", "cues": "v.cues.json", "plot": "v.timing.png"}
    assert set(output_files(tmp_path / "a.flac", midi=False, sidecar=False)) == {"flac"}


def test_written_files_are_the_planned_ones(tmp_path, capsys):
    """The files a generation reports are exactly those the pre-check planned (one list)."""
    from vmb.pipeline import output_files

    out = tmp_path / "song.wav"
    assert main(["generate", "--text", "a short calm tune", "--generator", "baseline", "--duration", "4",
                 "--plot", "--json", "-o", str(out)]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert files == {k: str(p) for k, p in output_files(out, plot=True).items()}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(Path(p).name for p in files.values())


# --------------------------------------------------------------------------- 2. operating-system failures


@pytest.fixture
def tiny_disk(tmp_path):
    """A 256 KB tmpfs where the test may mount one (root on Linux); else the test is skipped."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here; the patched-writer test covers a full disk")
    yield mount
    subprocess.run(["umount", str(mount)], capture_output=True)


def test_full_disk_while_writing_the_wav_is_one_line(tiny_disk, capsys):
    out = tiny_disk / "song.wav"
    assert main(["generate", "--text", "a calm tune", "--generator", "baseline", "--duration", "5", "-o", str(out)]) == 1
    line = one_error_line(capsys)
    assert str(out) in line and "no space left on device" in line
    assert list(tiny_disk.iterdir()) == []  # no partial file, no temporary file


def test_full_disk_reported_by_libsndfile_is_named(tmp_path, monkeypatch):
    """libsndfile says only 'System error.' on a full disk; vmb names the disk as the reason."""
    import shutil

    import soundfile as sf

    from vmb import VmbError
    from vmb.render import write_audio

    def fail(*args, **kwargs):
        raise sf.LibsndfileError(2)

    monkeypatch.setattr(sf, "write", fail)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 100, 100))
    with pytest.raises(VmbError, match="no space left on device"):
        write_audio(tmp_path / "a.wav", np.zeros((44100, 2), np.float32), 44100)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("extra, message", [
    (["--out", "{d}/afile"], "is a file"),
    (["--model", "huge"], "unknown ECMG preset 'huge'"),
    (["--data", "{d}/binary.dat"], "not UTF-8 JSON lines"),
])
def test_bad_training_runs_are_one_line_and_leave_no_run_folder(tmp_path, capsys, extra, message):
    (tmp_path / "afile").write_text("keep me")
    (tmp_path / "binary.dat").write_bytes(np.random.default_rng(1).bytes(4000))
    before = digest(tmp_path)
    argv = ["train", "ecmg", "--steps", "1", "--quiet"] + [a.format(d=tmp_path) for a in extra]
    if "--out" not in extra:
        argv += ["--out", str(tmp_path / "run")]
    assert main(argv) == 1
    assert message in one_error_line(capsys)
    assert digest(tmp_path) == before and not (tmp_path / "run").exists()


@pytest.mark.parametrize("option", ["--threads", "--steps", "--batch-size"])
def test_non_positive_training_numbers_are_usage_errors(tmp_path, capsys, option):
    assert main(["train", "ecmg", option, "0", "--out", str(tmp_path / "run")]) == 2
    assert "must be a positive whole number" in one_error_line(capsys)
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------------------------- 4. numbers and text inputs


@pytest.mark.parametrize("command", [["generate", "--text", "x", "-o", "{d}/a.wav"], ["describe", "--text", "x"],
                                     ["train", "ecmg", "--out", "{d}/run"]])
@pytest.mark.parametrize("seed", ["-1", "1180591620717411303424", "4294967296"])
def test_seeds_outside_the_documented_range_are_one_line(tmp_path, capsys, command, seed):
    assert main([a.format(d=tmp_path) for a in command] + ["--seed", seed]) == 2
    assert "use 0 to 4294967295" in one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_the_largest_seed_works(tmp_path, capsys):
    assert main(["describe", "--text", "a walk", "--seed", "4294967295"]) == 0


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_non_finite_duration_asks_for_seconds_not_allow_long(tmp_path, capsys, value):
    assert main(["generate", "--text", "x", f"--duration={value}", "-o", str(tmp_path / "a.wav")]) == 2
    line = one_error_line(capsys)
    assert "finite number" in line and "allow-long" not in line


def test_the_python_api_refuses_bad_seeds_and_durations():
    from vmb import VmbError
    from vmb.pipeline import check_duration, generate_from_text

    with pytest.raises(VmbError, match="finite number of seconds"):
        check_duration(float("nan"))
    with pytest.raises(VmbError, match="seed -1 is out of range"):
        generate_from_text("x", seed=-1)


def test_duration_with_a_video_is_refused(tmp_path, capsys):
    from tests.fixtures.video import make_video

    video = tmp_path / "clip.mp4"
    make_video(video, duration_s=2.0)
    assert main(["generate", "--video", str(video), "--duration", "20", "-o", str(tmp_path / "s.mp4")]) == 1
    assert "video's own length" in one_error_line(capsys)


def test_text_file_from_dev_zero_is_bounded(capsys):
    """1 MB of NULs is read, not the whole device; with the control characters gone it is empty."""
    assert main(["describe", "--text-file", "/dev/zero"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("vmb: error: empty text")


def test_text_file_from_a_fifo_without_writer_does_not_hang(tmp_path, capsys, monkeypatch):
    import vmb.cli.options as cli_options

    monkeypatch.setattr(cli_options, "TEXT_PIPE_WAIT_S", 0.3)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert main(["describe", "--text-file", str(fifo)]) == 1
    assert "sent no text" in one_error_line(capsys)


def test_text_file_from_a_fifo_with_a_writer_is_read(tmp_path, capsys):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def write():
        with open(fifo, "w") as f:
            f.write("a sad rainy night")

    writer = threading.Thread(target=write)
    writer.start()
    assert main(["describe", "--text-file", str(fifo), "--json"]) == 0
    writer.join()
    assert "sad" in json.loads(capsys.readouterr().out)["attributes"]["moods"]


def test_a_long_text_file_is_cut_at_one_megabyte_on_a_character_boundary(tmp_path, capsys):
    import vmb.cli as cli

    path = tmp_path / "long.txt"
    path.write_text("é" * (cli.TEXT_FILE_LIMIT // 2 + 10), encoding="utf-8")  # 2 bytes each: cut mid-way
    args = cli.build_parser().parse_args(["describe", "--text-file", str(path)])
    cli.read_text_file(args)
    assert args.text == "é" * (cli.TEXT_FILE_LIMIT // 2)


def test_control_characters_never_reach_the_sentence_or_the_json(tmp_path, capsys):
    text = "a sad\x00 night\x1b[31m in the \u202erain\x07"
    assert main(["describe", "--text", text, "--json"]) == 0
    raw = capsys.readouterr().out
    assert not any(ch in raw for ch in "\x00\x1b\x07\u202e") and "\\u0000" not in raw
    description = json.loads(raw)
    assert "sad" in description["attributes"]["moods"]


# --------------------------------------------------------------------------- 6. what vmb reports


def test_sidecar_names_the_checkpoint_without_a_path_and_sections_carry_units(tmp_path, capsys):
    out = tmp_path / "song.wav"
    assert main(["generate", "--text", "a calm morning", "--duration", "8", "--json", "-o", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["checkpoint"]) == {"name", "format_version", "step", "sha256"}
    assert "/" not in json.dumps(data["checkpoint"])
    for section in data["sections"]:
        assert {"start_beat", "end_beat", "start_s", "end_s"} <= set(section)
        assert section["start_s"] <= section["end_s"]
    bpm = data["tempo_map"][0]["bpm"]
    first = data["sections"][1] if len(data["sections"]) > 1 else data["sections"][0]
    assert first["start_s"] == pytest.approx(first["start_beat"] * 60 / bpm, abs=1e-3)


def test_usage_errors_are_one_line(capsys):
    assert main(["generate", "--text", "x"]) == 2  # -o missing
    line = one_error_line(capsys)
    assert line.startswith("vmb generate: error:") and "--output" in line


def test_cli_runs_as_a_module_with_one_line_errors(tmp_path):
    done = subprocess.run([sys.executable, "-m", "vmb", "generate", "--text", "x", "--seed", "-1", "-o",
                           str(tmp_path / "a.wav")], capture_output=True, text=True)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1

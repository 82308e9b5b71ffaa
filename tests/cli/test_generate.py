"""The `vmb` command end to end: outputs, determinism and one-line errors on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from vmb.cli import main


def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_generate_text_writes_audio_midi_and_sidecar(tmp_path, capsys):
    out = tmp_path / "rain.wav"
    code, _out, err = run(["generate", "--text", "calm piano for a rainy night", "--duration", "8", "-o", str(out)], capsys)
    assert code == 0, err
    audio, sr = sf.read(out)
    assert abs(len(audio) / sr - 8.0) <= 0.25
    assert np.sqrt(np.mean(audio**2)) > 1e-3  # not silent
    assert out.with_suffix(".mid").stat().st_size > 100
    sidecar = json.loads(out.with_suffix(".json").read_text())
    assert sidecar["seed"] == 0 and sidecar["references"] and sidecar["description"]["sentence"]
    assert "piano" in sidecar["attributes"]["instruments"]
    assert "description:" in err and "reference" in err


def test_same_seed_same_bytes(tmp_path, capsys):
    paths = []
    for name in ("a", "b"):
        out = tmp_path / f"{name}.flac"
        code, _, err = run(["generate", "--text", "happy folk dance", "--duration", "5", "--seed", "3",
                            "--no-midi", "-o", str(out)], capsys)
        assert code == 0, err
        paths.append(out)
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_json_output(tmp_path, capsys):
    out = tmp_path / "x.wav"
    code, stdout, _ = run(["generate", "--text", "jazz for a cafe", "--genre", "jazz", "--tempo", "120",
                           "--key", "Bb major", "--duration", "6", "--json", "-o", str(out)], capsys)
    assert code == 0
    data = json.loads(stdout)
    assert data["attributes"]["tempo_bpm"] == 120
    assert data["attributes"]["key"] == "Bb" and data["attributes"]["mode"] == "major"
    assert data["files"]["wav"] == str(out)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--text", "   "], "empty"),
        (["--text", "x", "--genre", "jaz"], "'jazz'"),
        (["--text", "x", "--tempo", "0"], "tempo"),
        (["--text", "x", "--tempo", "9000"], "tempo"),
        (["--text", "x", "--duration", "0"], "duration"),
        (["--text", "x", "--duration", "10800"], "duration"),
        (["--text", "x", "--key", "H minor"], "key"),
        (["--text", "x", "--instrument", "kazooo"], "instrument"),
        (["--text", "x", "--instrument", "drums", "--without", "drums"], "both"),
        (["--text", "x", "--image", "y.png"], "exactly one"),
    ],
)
def test_bad_input_one_line_error_no_file(tmp_path, capsys, extra, message):
    out = tmp_path / "out.wav"
    code, _, err = run(["generate", *extra, "-o", str(out)], capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vmb: error:") and message in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output(tmp_path, capsys):
    code, _, err = run(["generate", "--text", "x", "-o", str(tmp_path / "missing" / "o.wav")], capsys)
    assert code == 1 and "does not exist" in err
    code, _, err = run(["generate", "--text", "x", "-o", str(tmp_path / "o.mp3")], capsys)
    assert code == 1 and ".wav" in err


def test_missing_soundfont_is_an_error(tmp_path, capsys):
    out = tmp_path / "o.wav"
    code, _, err = run(["generate", "--text", "x", "--duration", "5", "--soundfont", str(tmp_path / "no.sf2"),
                        "-o", str(out)], capsys)
    assert code == 1 and "no.sf2" in err
    assert not out.exists()


def test_help_has_examples():
    result = subprocess.run([sys.executable, "-m", "vmb", "generate", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "examples:" in result.stdout and "--tempo" in result.stdout


def test_vocab_lists_enough():
    result = subprocess.run([sys.executable, "-m", "vmb", "vocab", "--json"], capture_output=True, text=True)
    data = json.loads(result.stdout)
    assert len(data["genres"]) >= 12 and len(data["moods"]) >= 20 and len(data["instruments"]) >= 25


def test_generate_from_image_and_describe_plot(tmp_path, capsys):
    from PIL import Image
    from skimage import data

    photo = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(photo)
    out = tmp_path / "photo.wav"
    code, stdout, err = run(["generate", "--image", str(photo), "--mood", "dreamy", "--duration", "5", "--json",
                             "-o", str(out)], capsys)
    assert code == 0, err
    data_out = json.loads(stdout)
    assert data_out["description"]["source"] == "image" and "dreamy" in data_out["attributes"]["moods"]
    plot = tmp_path / "analysis.png"
    code, stdout, err = run(["describe", "--image", str(photo), "--plot", str(plot)], capsys)
    assert code == 0 and plot.stat().st_size > 1000 and stdout.strip()
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(photo.read_bytes()[:200])
    code, _, err = run(["generate", "--image", str(broken), "-o", str(tmp_path / "b.wav")], capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1 and not (tmp_path / "b.wav").exists()


def test_duration_from_the_text_and_api_zero_duration(tmp_path, capsys):
    from vmb import VmbError
    from vmb.pipeline import generate_from_text

    out = tmp_path / "short.wav"
    code, stdout, _ = run(["generate", "--text", "a 7 seconds jingle for a logo", "--json", "-o", str(out)], capsys)
    assert code == 0 and abs(json.loads(stdout)["render"]["duration_s"] - 7.0) < 0.01
    with pytest.raises(VmbError, match="duration"):
        generate_from_text("x", duration_s=0)


def test_text_file_input(tmp_path, capsys):
    text = tmp_path / "poem.txt"
    text.write_text("The snow falls softly on the sleeping town.\n" * 2000, encoding="utf-8")  # ~90 kB
    out = tmp_path / "poem.wav"
    code, stdout, err = run(["generate", "--text-file", str(text), "--duration", "5", "--json", "-o", str(out)], capsys)
    assert code == 0, err and out.exists()
    code, _, err = run(["generate", "--text-file", str(tmp_path / "none.txt"), "-o", str(out)], capsys)
    assert code == 1 and "no such file" in err
    code, _, err = run(["generate", "--text-file", str(text), "--text", "x", "-o", str(out)], capsys)
    assert code == 1 and "not both" in err


def test_loop_is_seamless_and_exact(tmp_path, capsys):
    out = tmp_path / "loop.wav"
    code, stdout, err = run(["generate", "--text", "a cheerful game menu theme", "--loop", "--tempo", "120",
                             "--duration", "8", "--json", "-o", str(out)], capsys)
    assert code == 0, err
    data = json.loads(stdout)
    assert data["attributes"]["tempo_bpm"] == 120 and "ending" not in [s["name"] for s in data["sections"]]
    audio, sr = sf.read(out)
    assert len(audio) == 8 * sr  # 4 whole bars at 120 BPM
    steps = np.abs(np.diff(audio, axis=0)).max(axis=1)
    seam = np.abs(audio[0] - audio[-1]).max()
    assert seam <= np.percentile(steps, 99)  # no click where the file wraps around
    window = int(0.1 * sr)
    rms_end, rms_start, rms = (float(np.sqrt(np.mean(x**2))) for x in (audio[-window:], audio[:window], audio))
    assert 0.4 < rms_end / rms < 2.5 and 0.4 < rms_start / rms < 2.5  # no fade-out or fade-in at the seam


def test_over_twenty_minutes_needs_allow_long(tmp_path, capsys):
    from vmb.pipeline import check_duration

    out = tmp_path / "long.wav"
    code, _, err = run(["generate", "--text", "an ambient drone", "--duration", "1800", "-o", str(out)], capsys)
    assert code == 1 and "20 min" in err and "--allow-long" in err and not out.exists()
    assert check_duration(1800, allow_long=True) == 1800.0  # 30 min: allowed when asked
    code, _, err = run(["generate", "--text", "x", "--duration", "4000", "--allow-long", "-o", str(out)], capsys)
    assert code == 1 and "60 min" in err and "--allow-long" not in err and not out.exists()


def test_a_command_skips_most_full_collections_and_restores_the_collector(monkeypatch, capsys):
    """A one-shot command runs with full (generation 2) collections ten times rarer (they cost a
    cold start 0.5-0.9 s); the server keeps Python's default, and main() restores it either way."""
    import gc

    from vmb import cli
    from vmb.cli import vocab

    seen = []
    monkeypatch.setattr(vocab, "cmd_vocab", lambda args: seen.append(gc.get_threshold()) or 0)
    before = gc.get_threshold()
    assert main(["vocab"]) == 0
    assert seen == [(before[0], before[1], cli.FULL_COLLECTION_EVERY)] and gc.get_threshold() == before
    monkeypatch.setattr(vocab, "cmd_vocab", lambda args: seen.append(gc.get_threshold()) or 1 / 0)
    with pytest.raises(ZeroDivisionError):
        main(["vocab"])
    assert gc.get_threshold() == before


def test_the_program_ends_at_once_after_a_generate_with_its_output_whole(tmp_path):
    """`python -m vmb` (and the `vmb` script) is vmb.cli.run: after a generate that succeeded the
    process ends without tearing down its modules (0.6 s), its stdout and files complete; other
    commands and errors exit as before. CI=true: pyfluidsynth then prints where it found the library,
    which must not reach the JSON on stdout."""
    out = tmp_path / "quick.wav"
    done = subprocess.run([sys.executable, "-m", "vmb", "generate", "--text", "calm piano", "--duration", "4",
                           "--generator", "baseline", "--json", "-o", str(out)], capture_output=True, text=True,
                          env={**os.environ, "CI": "true"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["files"]["wav"] == str(out)
    assert sf.info(str(out)).frames == 4 * 44100 and out.with_suffix(".mid").is_file()
    failed = subprocess.run([sys.executable, "-m", "vmb", "generate", "--text", "x", "--duration", "4",
                             "--soundfont", str(tmp_path / "no.sf2"), "-o", str(tmp_path / "no.wav")],
                            capture_output=True, text=True)
    assert failed.returncode == 1 and failed.stderr.strip().splitlines()[-1].startswith("vmb: error:")

"""The public Python API (vmb.api): CLI option names and checks, the result object, describe, library."""

from __future__ import annotations

import subprocess
import sys

import pytest
import soundfile as sf

import vmb
import vmb.api
from vmb import VmbError
from vmb.cli import main as cli_main


def test_import_vmb_is_light_and_exports_the_api_lazily():
    code = ("import sys, vmb; heavy = [m for m in ('vmb.api', 'vmb.pipeline', 'numpy', 'torch') if m in sys.modules];"
            "print(heavy); f = vmb.generate_music; print(f.__module__, 'vmb.pipeline' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "vmb.api True"
    assert {"generate_music", "describe_music", "Library", "Result"} <= set(dir(vmb))
    with pytest.raises(AttributeError):
        vmb.no_such_name  # noqa: B018


@pytest.mark.parametrize("options, cli_args", [
    ({"tempo": 9000}, ["--tempo", "9000"]),
    ({"genre": ["polka-step"]}, ["--genre", "polka-step"]),
    ({"duration": 1}, ["--duration", "1"]),
    ({"meter": "5/4"}, ["--meter", "5/4"]),
    ({"instrument": ["piano"], "without": ["piano"]}, ["--instrument", "piano", "--without", "piano"]),
])
def test_bad_options_fail_with_the_cli_message(options, cli_args, capsys, tmp_path):
    with pytest.raises(VmbError) as raised:
        vmb.api.generation_request("a song", **options)
    assert cli_main(["generate", "--text", "a song", "-o", str(tmp_path / "x.wav"), *cli_args]) == 1
    assert capsys.readouterr().err.strip() == f"vmb: error: {raised.value}"


@pytest.mark.parametrize("options, message", [
    ({"seed": -1}, "--seed: seed -1 is out of range"),
    ({"seed": "a"}, "--seed: seed 'a' is not a whole number"),
    ({"duration": "long"}, "--duration: 'long' is not a number"),
    ({"generator": "gpt"}, "--generator: 'gpt' is not one of"),
    ({"loop": "maybe"}, "--loop: 'maybe' is not true or false"),
    ({"genre": [["jazz"]]}, "--genre: ['jazz'] is not a single value"),
    ({"colour": "red"}, "unknown option 'colour'"),
])
def test_option_types_are_the_cli_types(options, message):
    with pytest.raises(VmbError, match=message.replace("[", r"\[").replace("]", r"\]")):
        vmb.api.generation_request("a song", **options)


def test_options_take_python_values_and_cli_names():
    request = vmb.api.generation_request("a song", duration=12, genre="jazz", tempo=96, key="D minor",
                                         seed=7, loop=True, no_broad=True, stems="true")
    assert request.duration_s == 12.0 and request.seed == 7 and request.loop and request.stems
    assert request.attributes.genres == ["jazz"] and request.attributes.tempo_bpm == 96.0
    assert (request.attributes.key, request.attributes.mode) == ("D", "minor")
    assert request.retrieval.use_broad is False
    assert "no_targeted" in vmb.api.generate_options() and "output" not in vmb.api.generate_options()


def test_generate_music_returns_the_bridges_audio_and_stems_and_writes(tmp_path):
    stages = []
    result = vmb.generate_music("a cheerful folk dance", duration=4, seed=3, genre=["folk"], stems=True,
                                progress=stages.append)
    assert isinstance(result, vmb.Result)
    main_stages = ("describe", "retrieve", "compose", "render")
    assert [s for s in stages if s in main_stages] == list(main_stages)  # (a first run also builds the library)
    assert result.audio.shape == (4 * result.sample_rate, 2) and result.duration_s == 4.0
    assert "folk" in result.description.sentence.lower() and result.description.reasoning
    assert result.references and all(isinstance(r["score"], float) for r in result.references)
    assert {"drums", "bass"} <= set(result.stems)
    assert result.score.tracks
    files = result.write(tmp_path / "dance.flac", plot=True)
    assert set(files) >= {"flac", "midi", "json", "plot", "stem:drums"}
    audio, rate = sf.read(files["flac"])
    assert audio.shape[0] == 4 * rate
    assert result.sidecar()["seed"] == 3
    with pytest.raises(VmbError, match="use one of .wav, .flac"):
        result.write(tmp_path / "dance.mp3")


def test_describe_music():
    description = vmb.describe_music("a lonely walk through snowy woods", seed=1)
    assert description.sentence and description.reasoning
    with pytest.raises(VmbError, match="exactly one"):
        vmb.describe_music("a text", image="photo.jpg")
    with pytest.raises(VmbError, match="no such file"):
        vmb.describe_music(image="/no/such/photo.jpg")


def test_library_search():
    library = vmb.Library()
    assert len(library) > 0
    found = library.search("a slow, sad piece for strings", k=2, key="D minor")
    assert set(found) == {"targeted", "broad"}
    assert 0 < len(found["targeted"]) <= 2 and all("score" in r and "id" in r for r in found["targeted"])
    with pytest.raises(VmbError, match="unknown genre"):
        library.search("a tune", genre="polka-step")
    with pytest.raises(VmbError, match="empty search text"):
        library.search("  ")


def test_the_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Python API"):]
    code = section[section.index("```python\n") + len("```python\n"):section.index("```\n", section.index("```python"))]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md (Python API)", "exec"), {})
    assert {p.name for p in tmp_path.iterdir()} >= {"rain.wav", "rain.mid", "rain.json", "rain.png"}
    assert sf.info(tmp_path / "rain.wav").duration == 10.0
    assert "(441000, 2) 44100" in capsys.readouterr().out

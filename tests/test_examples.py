"""Every example in README.md and in every ``--help`` of vmb runs, and writes what it names.

The examples are read from their sources at collection time, never copied here, so an example
that is added, changed or broken is tested as it ships:

* README.md: each command line inside a ```bash block that invokes ``vmb ...`` or
  ``python3 -m vmb ...``. A line of several commands joined by ``&&`` (the set-up line) runs its
  ``mkdir -p`` parts before its vmb part; every other command on it (``bash install.sh``,
  ``python3 -m pytest``) is skipped.
* ``--help``: ``main([*command, "--help"])`` for ``vmb`` and every subcommand, recursively
  (``vmb library`` and each library action too); each line under ``examples:`` that starts
  with ``vmb ``.

A trailing ``# comment`` (shlex, comments=True) and a trailing parenthetical explanation set off
by two or more spaces (``   (music fitted to the cuts, muxed)``) are not part of the command.
``~`` at the start of a word is expanded as a shell would, against a temporary ``$HOME``. An
example that appears twice (README and --help) runs once. Each example is one test case whose
id is the example line; it runs in-process with :func:`vmb.cli.main` in one temporary working
folder holding the inputs the examples name (photo.jpg, clip.mp4, banner.mp4, my_song.mid,
examples/rainy_night.txt, ~/Music with a MIDI and a WAV, my_tunes.jsonl.gz, pairs.jsonl and a
tiny random-weight VLM at models/llava). It must exit 0 and write the files it names (see
:func:`expected_outputs`); before it runs, those files are deleted, so a file left by an
earlier example cannot pass for its own. With ``--json`` its stdout must be one JSON document.

Adaptation rule: examples that would take far too long on a CPU get one minimal adaptation,
arguments appended to the example (argparse lets the later flag win); nothing else is changed:

* ``vmb train ecmg ...`` gets ``--model debug --max-tunes 40 --time-limit 0 --quiet``;
* ``vmb train mmdm ...`` gets ``--steps 2``.

The examples get their own music library (``$VMB_LIBRARY`` points to a module folder, built
once from the bundled corpus before the first example that needs it), so ``vmb library add``
and ``vmb library build`` never change the library the other tests use.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from vmb.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

# Sanity floors: fewer examples than this means the extractor broke, not that they were removed
# (README: 13 command lines today; --help: 7 generate, 3 describe, 3 train, 7 library).
MIN_README_EXAMPLES = 12
MIN_HELP_EXAMPLES = 18
HELP_WITH_EXAMPLES = ("generate", "describe", "library", "train")

ADAPTATIONS = {
    ("train", "ecmg"): ["--model", "debug", "--max-tunes", "40", "--time-limit", "0", "--quiet"],
    ("train", "mmdm"): ["--steps", "2"],
}

_PARENTHETICAL = re.compile(r"\s{2,}\([^()]*\)\s*$")


# --------------------------------------------------------------------------- extraction


@dataclass
class Example:
    text: str  # the example line as run (comments and explanations removed): the test id
    argv: list[str]  # vmb's arguments, prefix dropped, before ~ expansion and adaptation
    setup: list[list[str]] = field(default_factory=list)  # `mkdir -p` commands run first
    sources: list[str] = field(default_factory=list)


def _strip_comment(line: str) -> str:
    """``line`` without a trailing shell comment (an unquoted ``#`` starting a word)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line


def _clean(line: str) -> str:
    """The command of an example line: no trailing comment or parenthetical explanation."""
    return _PARENTHETICAL.sub("", _strip_comment(line.strip())).strip()


def _vmb_args(words: list[str]) -> list[str] | None:
    """The arguments after ``vmb`` / ``python3 -m vmb``, or None for another command."""
    if words[:1] == ["vmb"]:
        return words[1:]
    if words[:3] in (["python3", "-m", "vmb"], ["python", "-m", "vmb"]):
        return words[3:]
    return None


def _split_commands(line: str) -> list[list[str]]:
    """The commands of a shell line joined by ``&&`` or ``;``, each as its words (comments off)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True  # words split at blanks and at ( ) ; < > | &
    commands, current = [], []
    for token in lexer:
        if token in ("&&", ";"):
            commands.append(current)
            current = []
        else:
            current.append(token)
    commands.append(current)
    return [c for c in commands if c]


def readme_examples(text: str | None = None) -> list[Example]:
    text = README.read_text(encoding="utf-8") if text is None else text
    found = []
    for block in re.findall(r"^```bash[ \t]*\n(.*?)^```", text, flags=re.M | re.S):
        for raw in block.splitlines():
            line = _clean(raw)
            if not line or line.startswith("#"):
                continue
            setup = []
            for words in _split_commands(line):
                args = _vmb_args(words)
                if args is not None:
                    shown = [shlex.join(c) for c in setup] + [_as_written(line, words)]
                    found.append(Example(" && ".join(shown), args, list(setup), ["README.md"]))
                elif words[:2] == ["mkdir", "-p"]:
                    setup.append(words)
                # anything else (bash install.sh, python3 -m pytest) is not run
    return found


def _as_written(line: str, words: list[str]) -> str:
    """The command ``words`` as ``line`` writes it (its own quoting), without its comment."""
    for part in re.split(r"\s&&\s|;", line):
        if shlex.split(part, comments=True) == words:
            return part.strip()
    return shlex.join(words)


def help_text(command: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = main([*command, "--help"])
    if status != 0:
        raise RuntimeError(f"`vmb {' '.join([*command, '--help'])}` exited {status}")
    return out.getvalue()


def _commands(parser=None, prefix=()) -> list[tuple[str, ...]]:
    """``()`` (plain vmb) and every subcommand path, e.g. ``("library", "check")``."""
    import argparse

    parser = parser or build_parser()
    paths = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths += _commands(sub, (*prefix, name))
    return paths


def examples_in_help(text: str) -> list[str]:
    lines, inside = [], False
    for raw in text.splitlines():
        if raw.strip() == "examples:":
            inside = True
            continue
        if inside:
            if raw.strip() and not raw[:1].isspace():  # the next unindented section
                inside = False
            elif raw.strip().startswith("vmb "):
                lines.append(raw.strip())
    return lines


def help_examples() -> list[Example]:
    found = []
    for command in _commands():
        for raw in examples_in_help(help_text(list(command))):
            line = _clean(raw)
            words = shlex.split(line, comments=True)
            name = " ".join(("vmb", *command, "--help"))
            found.append(Example(text=line, argv=words[1:], sources=[name]))
    return found


def all_examples() -> tuple[list[Example], list[Example], list[Example]]:
    """(README examples, --help examples, the distinct examples in that order)."""
    readme, helps = readme_examples(), help_examples()
    distinct: dict[tuple, Example] = {}
    for ex in readme + helps:
        key = (tuple(ex.argv), tuple(map(tuple, ex.setup)))
        if key in distinct:
            distinct[key].sources += ex.sources
        else:
            distinct[key] = Example(ex.text, ex.argv, ex.setup, list(ex.sources))
    return readme, helps, list(distinct.values())


README_EXAMPLES, HELP_EXAMPLES, EXAMPLES = all_examples()


# --------------------------------------------------------------------------- what an example writes


def adapted(argv: list[str]) -> list[str]:
    """``argv`` with ``~`` expanded (as a shell would) and the documented adaptation appended."""
    argv = [os.path.expanduser(a) if a == "~" or a.startswith("~/") else a for a in argv]
    return argv + ADAPTATIONS.get(tuple(argv[:2]), [])


def expected_outputs(argv: list[str]) -> list[Path]:
    """The files (or, for training, the folder) an example names and must write.

    generate, audio ``-o F``: F, F's ``.mid`` (unless --no-midi) and ``.json`` sidecar, and with
    --plot its ``.png``; a video with ``-o F.mp4``: F.mp4, its ``.mid`` (unless --no-midi) and its
    ``.cues.json`` cue sheet (and ``.timing.png`` with --plot). describe: its ``--plot`` PNG.
    train: ``--out`` (default runs/ecmg, runs/mmdm) with ``ecmg.pt`` in it for ecmg.
    """
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            args = build_parser().parse_args(argv)
    except SystemExit:  # a usage error: main() reports it (exit 2)
        return []
    if args.command == "generate":
        out = Path(args.output)
        if args.video and out.suffix.lower() == ".mp4":
            files = [out, out.with_suffix(".cues.json")]
            if args.plot:
                files.append(out.with_suffix(".timing.png"))
        else:
            files = [out, out.with_suffix(".json")]
            if args.plot:
                files.append(out.with_suffix(".png"))
        if not args.no_midi:
            files.append(out.with_suffix(".mid"))
        return files
    if args.command == "describe":
        return [Path(args.plot)] if args.plot else []
    if args.command == "train":
        out = Path(args.out or f"runs/{args.model_name}")
        return [out / "ecmg.pt"] if args.model_name == "ecmg" else [out]
    return []


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


# --------------------------------------------------------------------------- inputs


def _make_inputs(work: Path, home: Path) -> None:
    from PIL import Image

    from tests.fixtures.library import write_cadence, write_midi
    from tests.fixtures.video import make_video, shot_images

    Image.fromarray(shot_images(1, (320, 240), seed=11)[0]).save(work / "photo.jpg", quality=90)
    make_video(work / "clip.mp4", duration_s=5.0, cuts_s=(1.3, 2.9, 3.65), audio_hz=440)
    # 6 s, not 4: vmb refuses a --loop video shorter than two bars (4 s at 60 BPM is one)
    make_video(work / "banner.mp4", duration_s=6.0, cuts_s=(3.0,), seed=7)
    write_midi(work / "my_song.mid")
    (work / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "rainy_night.txt", work / "examples" / "rainy_night.txt")

    (home / "Music" / "midi").mkdir(parents=True)
    (home / "Music" / "wav").mkdir()
    write_midi(home / "Music" / "midi" / "air.mid", bpm=96.0, transpose=2)
    write_cadence(home / "Music" / "wav" / "cadence.wav", seconds_per_chord=1.0)  # 4.5 s

    # a few tunes of the bundled corpus, in its own format (header line + one tune a line)
    with gzip.open(ROOT / "vmb" / "data" / "tunes.jsonl.gz", "rt", encoding="utf-8") as f:
        header = json.loads(f.readline())
        tunes = [f.readline() for _ in range(60)]
    header["count"] = len(tunes)
    with gzip.open(work / "my_tunes.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps(header) + "\n" + "".join(tunes))


@pytest.fixture(scope="module")
def example_env(tmp_path_factory):
    """The working folder with the inputs; $HOME and $VMB_LIBRARY point to module folders."""
    root = tmp_path_factory.mktemp("examples")
    work, home = root / "work", root / "home"
    work.mkdir()
    home.mkdir()
    shared = Path(os.environ["VMB_LIBRARY"])  # the other tests' library (tests/conftest.py)
    before = _snapshot(shared)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("VMB_LIBRARY", str(root / "library"))
        mp.chdir(work)
        _make_inputs(work, home)
        yield {"work": work, "home": home, "library": root / "library"}
    assert _snapshot(shared) == before, f"the examples changed the shared library {shared}"


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file under ``folder``; empty if it does not exist."""
    if not folder.exists():
        return {}
    return {str(f.relative_to(folder)): (f.stat().st_size, f.stat().st_mtime_ns)
            for f in folder.rglob("*") if f.is_file()}


@pytest.fixture(scope="module")
def example_library(example_env):
    """The examples' own library, built once from the bundled corpus (~15 s)."""
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["library", "build"]) == 0
    return example_env["library"]


@pytest.fixture(scope="module")
def example_vlm(example_env):
    """pairs.jsonl (+ a.png, b.png) and a tiny random-weight LLaVA at models/llava."""
    pytest.importorskip("transformers")
    pytest.importorskip("peft")
    from tests.fixtures.vlm import build_tiny_vlm, write_pairs

    work = example_env["work"]
    write_pairs(work)
    return build_tiny_vlm(work / "models" / "llava")


# --------------------------------------------------------------------------- the tests


def test_examples_were_found():
    assert len(README_EXAMPLES) >= MIN_README_EXAMPLES, [e.text for e in README_EXAMPLES]
    assert len(HELP_EXAMPLES) >= MIN_HELP_EXAMPLES, [e.text for e in HELP_EXAMPLES]
    for command in HELP_WITH_EXAMPLES:
        assert any(e.sources == [f"vmb {command} --help"] for e in HELP_EXAMPLES), f"no examples in {command} --help"
    setup = [e for e in README_EXAMPLES if e.setup]
    assert setup and setup[0].setup == [["mkdir", "-p", "out"]], "the README's set-up line"


def test_extractor_strips_comments_and_explanations():
    ex = readme_examples("```bash\nbash install.sh && mkdir -p out && python3 -m vmb vocab --json   # all\n"
                         "vmb describe --text 'a # in quotes'  (an explanation)\npython3 -m pytest\n```\n")
    assert [(e.argv, e.setup) for e in ex] == [(["vocab", "--json"], [["mkdir", "-p", "out"]]),
                                               (["describe", "--text", "a # in quotes"], [])]
    assert ex[0].text == "mkdir -p out && python3 -m vmb vocab --json"
    assert examples_in_help("x\nexamples:\n  vmb a   (why)\n  other\n\nmore:\n  vmb b\n") == ["vmb a   (why)"]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.text for e in EXAMPLES])
def test_example_runs(example, example_env, request, capsys):
    argv = adapted(example.argv)
    if argv[:1] in (["generate"], ["library"]):
        request.getfixturevalue("example_library")
    if argv[:2] == ["train", "mmdm"]:
        request.getfixturevalue("example_vlm")
    for command in example.setup:  # `mkdir -p DIR ...`
        for folder in command[2:]:
            Path(folder).mkdir(parents=True, exist_ok=True)
    outputs = expected_outputs(argv)
    for path in outputs:
        _remove(path)
    capsys.readouterr()

    status = main(argv)

    out, err = capsys.readouterr()
    errors = [line for line in err.splitlines() if line.startswith("vmb: error")] or err.splitlines()[-1:]
    assert status == 0, f"exit {status}: {errors[0] if errors else '(no message)'}  [{', '.join(example.sources)}]"
    missing = [str(p) for p in outputs if not p.exists()]
    assert not missing, f"not written: {', '.join(missing)}"
    if "--json" in argv:
        json.loads(out)

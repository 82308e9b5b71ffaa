"""`vmb library ...` does what its help says: options after the action, a readable `stats`,
`remove` of unknown ids, and the "already present" count of two concurrent ingests."""

from __future__ import annotations

import importlib
import json

import pytest

from tests.fixtures.library import make_entry, unit_vectors, write_midi
from vmb.cli import build_parser, main
from vmb.retrieve import store
from vmb.retrieve.store import Library

ingest_module = importlib.import_module("vmb.retrieve.ingest")  # (vmb.retrieve.ingest is also a function)


@pytest.fixture
def lib(tmp_path):
    path = tmp_path / "lib"
    library = Library.open(path)
    library.add_entries([make_entry(0), make_entry(1, mode="major", key="G", moods=["happy"]), make_entry(2),
                         make_entry(3, meter="6/8")], unit_vectors(4))
    return path


@pytest.mark.parametrize("argv, library, as_json", [
    (["library", "stats"], None, False),
    (["library", "--library", "A", "--json", "stats"], "A", True),
    (["library", "stats", "--json", "--library", "B"], "B", True),
    (["library", "--library", "A", "stats", "--library", "B"], "B", False),
    (["library", "--json", "build", "--library", "C"], "C", True),
    (["library", "check", "--repair", "--library", "D"], "D", False),
])
def test_common_options_before_or_after_the_action(argv, library, as_json):
    args = build_parser().parse_args(argv)
    assert args.library == library and args.json is as_json


def test_help_shows_check(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["library", "--help"])
    out = capsys.readouterr().out
    assert "vmb library check --repair" in out and "vmb library stats --json" in out


def test_stats_json_after_the_action_and_a_readable_table(lib, capsys):
    assert main(["library", "stats", "--json", "--library", str(lib)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["entries"] == 4 and stats["mode"] == {"minor": 3, "major": 1}
    assert main(["library", "stats", "--library", str(lib)]) == 0
    lines = capsys.readouterr().out.splitlines()
    table = {line.split("  ", 1)[0]: line.split("  ", 1)[1].strip() for line in lines}
    assert table["entries"] == "4 (table version 2)"
    assert table["mode"] == "minor 3, major 1" and table["meter"] == "3/4 3, 6/8 1"
    assert table["index"].startswith("none: exact search") and table["disk"].endswith("per entry)")
    assert table["library"] == str(lib)


def test_build_takes_library_after_the_action(tmp_path, capsys, monkeypatch):
    built = []

    def build(path):
        built.append(path)
        return Library.open(path)

    monkeypatch.setattr(store, "build_default_library", build)
    assert main(["library", "build", "--library", str(tmp_path / "mine")]) == 0
    assert built == [str(tmp_path / "mine")] and json.loads(capsys.readouterr().out)["entries"] == 0


def test_remove_names_unknown_ids_and_removes_the_known(lib, capsys):
    assert main(["library", "--library", str(lib), "remove", "tune-0001", "nope", "tune-0001", "nada"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "removed 1 entry\n"
    assert captured.err == f"vmb: error: library {lib} has no entries 'nope', 'nada'\n"
    assert Library.open(lib).count() == 3
    assert main(["library", "--library", str(lib), "remove", "tune-0001", "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"removed": 0, "unknown": ["tune-0001"]}
    assert captured.err == f"vmb: error: library {lib} has no entry 'tune-0001'\n"
    assert main(["library", "--library", str(lib), "remove", "tune-0002"]) == 0
    assert capsys.readouterr().out == "removed 1 entry\n"


def test_concurrent_ingest_counts_what_the_other_added(tmp_path, monkeypatch, capsys):
    """A second ingest of the same files, running while the first commits them, reports them
    as already present (checked under the lock), not as 0 added and 0 present."""
    path = tmp_path / "lib"
    Library.open(path)
    files = [str(write_midi(tmp_path / f"t{i}.mid", transpose=i)) for i in range(3)]
    real = ingest_module.analyze_file
    other: list = []

    def analyse_while_the_other_ingest_runs(*args, **kwargs):
        if not other:  # the first analysis of this run: the other run adds every file meanwhile
            other.append("running")
            other[0] = ingest_module.ingest(Library.open(path), files, workers=1, progress=False)
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "analyze_file", analyse_while_the_other_ingest_runs)
    assert main(["library", "--library", str(path), "add", *files, "--workers", "1"]) == 0
    assert other[0].added_files == 3
    assert capsys.readouterr().out.startswith("added 0 file(s) as 0 entries, 3 already present, 0 failed")
    assert Library.open(path).count() == 3


def test_library_search_previews_what_generation_retrieves(capsys):
    """`vmb library search` runs the retrieval `vmb generate` runs (keys transposed, same k)."""
    import json as _json

    from vmb.cli import main as _main
    from vmb.embed import encode_texts
    from vmb.pipeline import RetrievalOptions, retrieve_references
    from vmb.types import Attributes

    text = "slow, sad piece in D minor for strings"
    assert _main(["library", "search", text, "--key", "D minor", "-k", "3", "--json"]) == 0
    shown = _json.loads(capsys.readouterr().out)
    expected = retrieve_references(Attributes(key="D", mode="minor"), encode_texts([text])[0], RetrievalOptions(k=3))
    assert [r["id"] for r in shown["targeted"]] == [r.entry.id for r in expected.targeted]
    assert [r["id"] for r in shown["broad"]] == [r.entry.id for r in expected.broad]

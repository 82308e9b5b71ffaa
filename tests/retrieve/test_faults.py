"""Fault injection on the music library: damaged files, a read-only folder, a file for a folder.

Every failing command must print one line on stderr, exit non-zero, print nothing else and
leave every library file byte-identical; ``check --repair`` must say what it recovered and
what was lost, delete nothing readable, and leave a library that searches again.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.library import make_entry, unit_vectors, write_midi
from vmb.cli import main
from vmb.retrieve import store
from vmb.retrieve.repair import check_library
from vmb.retrieve.store import Library, LibraryDamaged

ROOT = Path(__file__).resolve().parents[2]  # the repository: a subprocess imports vmb from it


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder``: relative path -> sha256 of its bytes ("dir" for folders)."""
    return {str(p.relative_to(folder)): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A library of two commits (3 entries, then 2 more): (folder, what the second commit wrote)."""
    path = tmp_path_factory.mktemp("built") / "lib"
    library = Library.open(path)
    library.add_entries([make_entry(i) for i in range(3)], unit_vectors(3))
    data = set((path / "entries.lance" / "data").iterdir())
    versions = set((path / "entries.lance" / "_versions").glob("*.manifest"))
    library.add_entries([make_entry(i) for i in range(3, 5)], unit_vectors(2, seed=1))
    (new_data,) = set((path / "entries.lance" / "data").iterdir()) - data
    (new_version,) = set((path / "entries.lance" / "_versions").glob("*.manifest")) - versions
    return path, new_data.name, new_version.name


@pytest.fixture
def lib(built, tmp_path):
    """A fresh copy of the built library: (folder, second commit's data file, its version file)."""
    path, data, version = built
    copy = tmp_path / "lib"
    shutil.copytree(path, copy)
    return copy, copy / "entries.lance" / "data" / data, copy / "entries.lance" / "_versions" / version


def _truncate(file: Path, size: int | None = None) -> None:
    os.truncate(file, file.stat().st_size // 2 if size is None else size)


def _delete_versions(path: Path) -> None:
    for f in (path / "entries.lance" / "_versions").iterdir():
        f.unlink()


# damage -> (how to do it, words of the one-line error)
DAMAGES = {
    "data file deleted": (lambda path, data, version: data.unlink(), "is missing"),
    "data file truncated": (lambda path, data, version: _truncate(data), "is cut short"),
    "manifest deleted": (lambda path, data, version: (path / "library.json").unlink(), "library.json is missing"),
    "manifest truncated": (lambda path, data, version: _truncate(path / "library.json", 10),
                           "library.json cannot be read"),
    "newest version file deleted": (lambda path, data, version: version.unlink(),
                                    "version 3 of its table is missing"),
    "newest version file truncated": (lambda path, data, version: _truncate(version), "manifest is cut short"),
    "all version files deleted": (lambda path, data, version: _delete_versions(path), "holds no version"),
    "table deleted": (lambda path, data, version: shutil.rmtree(path / "entries.lance"), "entries.lance is missing"),
}


def _commands(path: Path, tmp: Path) -> dict[str, list[str]]:
    midi = tmp / "new.mid"
    if not midi.exists():
        write_midi(midi, transpose=5)
    lib = str(path)
    return {
        "stats": ["library", "--library", lib, "stats"],
        "stats --json after the action": ["library", "stats", "--json", "--library", lib],
        "list": ["library", "--library", lib, "list"],
        "search": ["library", "--library", lib, "search", "a calm folk tune"],
        "remove": ["library", "--library", lib, "remove", "tune-0000"],
        "add": ["library", "--library", lib, "add", str(midi), "--workers", "1"],
        "build": ["library", "build", "--library", lib],
        "generate": ["generate", "--text", "a calm folk tune", "--generator", "baseline", "--duration", "4",
                     "--library", lib, "-o", str(tmp / "out.wav")],
    }


def _fails_in_one_line(capsys, argv: list[str]) -> str:
    """Run the CLI; assert it failed with one line on stderr and nothing on stdout; the line."""
    code = main(argv)
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert code == 1 and len(err) == 1 and captured.out == "", (code, captured)
    assert err[0].startswith("vmb: error: ")
    return err[0]


@pytest.mark.parametrize("command", ["stats", "stats --json after the action", "list", "search", "remove", "add",
                                     "build", "generate"])
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damaged_library_is_one_line_and_untouched(lib, tmp_path, capsys, damage, command):
    path, data, version = lib
    do, words = DAMAGES[damage]
    do(path, data, version)
    argv = _commands(path, tmp_path)[command]
    before = snapshot(path)
    line = _fails_in_one_line(capsys, argv)
    assert f"library {path} is damaged: " in line and words in line
    assert "run 'vmb library check --repair" in line
    if damage.startswith("data file"):
        assert data.name in line  # names the file
    assert snapshot(path) == before  # nothing rebuilt, nothing half-written
    assert not list(tmp_path.glob("out.*"))  # generate wrote nothing


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_check_reports_damage_and_changes_nothing(lib, capsys, damage):
    path, data, version = lib
    DAMAGES[damage][0](path, data, version)
    before = snapshot(path)
    assert main(["library", "check", "--library", str(path)]) == 1
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "is damaged: " in err[0] and DAMAGES[damage][1] in err[0]
    assert captured.out.startswith(f"library {path}: damaged") and "problem: " in captured.out
    assert snapshot(path) == before


def test_check_of_a_healthy_library(lib, capsys):
    path = lib[0]
    before = snapshot(path)
    assert main(["library", "--library", str(path), "check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"library {path}: healthy (5 entries, table version 3)")
    assert main(["library", "check", "--json", "--library", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["healthy"] and [v["version"] for v in report["versions"]] == [3, 2, 1]
    assert [v["entries"] for v in report["versions"]] == [5, 3, 0] and report["problems"] == []
    assert main(["library", "check", "--repair", "--library", str(path)]) == 0
    assert "nothing to repair" in capsys.readouterr().out
    assert snapshot(path) == before


def _repair(capsys, path: Path) -> str:
    code = main(["library", "check", "--repair", "--library", str(path)])
    captured = capsys.readouterr()
    assert code == 0 and captured.err == "", captured
    return captured.out


def _searches(capsys, path: Path) -> list[str]:
    assert main(["library", "--library", str(path), "--json", "search", "a calm folk tune", "-k", "10"]) == 0
    found = json.loads(capsys.readouterr().out)
    return sorted({r["id"] for track in found.values() for r in track})


def _kept(before: dict[str, str], after: dict[str, str], rename: tuple[str, str] = ("", "")) -> None:
    """Repair deleted and changed nothing, but for the files it is meant to rewrite."""
    rewritten = {"library.json", "entries.lance/_versions/latest_version_hint.json"}
    for name, digest in before.items():
        if name not in rewritten:
            assert after.get(name.replace(*rename, 1) if rename[0] else name) == digest, name


@pytest.mark.parametrize("damage", ["data file deleted", "data file truncated"])
def test_repair_falls_back_to_the_newest_readable_version(lib, capsys, damage):
    path, data, version = lib
    DAMAGES[damage][0](path, data, version)
    before = snapshot(path)
    out = _repair(capsys, path)
    assert f"found: version 3, the current one (5 entries), cannot be read: entries.lance/data/{data.name}" in out
    assert "repaired: restored version 2 (3 entries) as version 4" in out
    assert "lost: 2 entries: version 3 held 5, version 2 (restored) 3" in out
    assert f"library {path}: healthy (3 entries, table version 4)" in out
    _kept(before, snapshot(path))
    assert _searches(capsys, path) == ["tune-0000", "tune-0001", "tune-0002"]
    # the damaged version stays in the history, reported but harmless
    assert main(["library", "--library", str(path), "check"]) == 0
    assert "note: 1 older version(s) cannot be read (3;" in capsys.readouterr().out


@pytest.mark.parametrize("damage", ["manifest deleted", "manifest truncated"])
def test_repair_rewrites_the_manifest_of_an_intact_table(lib, capsys, damage):
    path, data, version = lib
    DAMAGES[damage][0](path, data, version)
    before = snapshot(path)
    out = _repair(capsys, path)
    assert "repaired: rewrote library.json" in out and "lost:" not in out
    assert json.loads((path / "library.json").read_text())["format"] == "vmb-library"
    assert not list(path.glob("*.tmp"))
    _kept(before, snapshot(path))
    assert len(_searches(capsys, path)) == 5


@pytest.mark.parametrize("damage", ["newest version file deleted", "newest version file truncated"])
def test_repair_of_a_lost_newest_version_then_the_library_is_written_again(lib, capsys, damage):
    path, data, version = lib
    DAMAGES[damage][0](path, data, version)
    before = snapshot(path)
    out = _repair(capsys, path)
    after = snapshot(path)
    if damage.endswith("truncated"):  # Lance cannot open a table with a cut manifest: moved aside
        (aside,) = path.glob("damaged-*")
        assert f"repaired: moved 1 cut-short version manifest(s) aside to {aside.name}/" in out
        name = str(version.relative_to(path))
        assert after[f"{aside.name}/{name}"] == before.pop(name)
    assert "repaired: pointed the table at version 2, the newest left" in out
    assert "lost: what version 3 added or removed" in out
    _kept(before, after)
    assert _searches(capsys, path) == ["tune-0000", "tune-0001", "tune-0002"]
    library = Library.open(path)  # the next commit takes the lost version's number
    library.add_entries([make_entry(7)], unit_vectors(1, seed=7))
    assert library.table.version == 3 and check_library(path).healthy and library.count() == 4


def test_repair_moves_an_unreadable_table_aside(lib, capsys):
    path, data, version = lib
    _delete_versions(path)
    before = snapshot(path)
    out = _repair(capsys, path)
    (aside,) = path.glob("damaged-*")
    assert f"repaired: moved the unreadable table aside to {aside.name}/entries.lance (nothing deleted)" in out
    assert "repaired: created an empty table entries.lance" in out and "lost: every entry" in out
    _kept(before, snapshot(path), rename=("entries.lance", f"{aside.name}/entries.lance"))
    # search runs generation's retrieval: an emptied library is one clear line, never refilled unasked
    assert main(["library", "--library", str(path), "search", "a calm folk tune"]) == 1
    assert "is empty; fill it with `vmb library add`" in capsys.readouterr().err
    assert not Library.open(path).is_fresh()


def test_repair_of_a_deleted_table_and_generate_does_not_refill_it(lib, tmp_path, capsys):
    path = lib[0]
    shutil.rmtree(path / "entries.lance")
    out = _repair(capsys, path)
    assert "repaired: created an empty table entries.lance" in out and "lost: every entry" in out
    line = _fails_in_one_line(capsys, _commands(path, tmp_path)["generate"])
    assert "is empty; fill it with `vmb library add`" in line
    assert Library.open(path).count() == 0


def test_repair_touches_nothing_without_a_manifest_or_a_table(lib, capsys):
    path = lib[0]
    shutil.rmtree(path / "entries.lance")
    (path / "library.json").write_text("{}")
    before = snapshot(path)
    assert main(["library", "check", "--repair", "--library", str(path)]) == 1
    captured = capsys.readouterr()
    assert "lost: everything: neither library.json nor entries.lance can be read" in captured.out
    assert len(captured.err.strip().splitlines()) == 1 and "is still damaged" in captured.err
    assert snapshot(path) == before


def test_damaged_index_is_found_and_rebuilt(tmp_path, capsys):
    path = tmp_path / "lib"
    library = Library.open(path)
    library.add_entries([make_entry(i, content_hash="") for i in range(300)], unit_vectors(300))
    assert library.ensure_index(force=True)
    (ivf,) = path.glob("entries.lance/_indices/*/auxiliary.idx")
    _truncate(ivf)
    query = unit_vectors(1, seed=5)[0]
    with pytest.raises(LibraryDamaged, match="auxiliary.idx is cut short"):
        Library.open(path).vector_search(query, 3, exact=False)
    assert "its index cannot be read" in check_library(path).problems[0]
    out = _repair(capsys, path)
    assert "repaired: rebuilt the index" in out and "index: ok" in out
    assert len(Library.open(path).vector_search(query, 3, exact=False)) == 3


def test_a_cut_file_no_version_uses_is_only_a_note(lib, capsys):
    path = lib[0]
    (path / "entries.lance" / "data" / "left-by-a-killed-writer.lance").write_bytes(b"\0" * 100)
    assert main(["library", "--library", str(path), "check"]) == 0
    assert "note: 1 file(s) cut short but used by no version" in capsys.readouterr().out


# ---------------------------------------------------------------------- the operating system


LIBRARY_ACTIONS = {
    "build": ["build"], "add": ["add", "{midi}"], "remove": ["remove", "tune-0000"], "list": ["list"],
    "stats": ["stats"], "search": ["search", "calm"], "check": ["check"], "check --repair": ["check", "--repair"],
}


@pytest.mark.parametrize("action", [*LIBRARY_ACTIONS, "generate"])
def test_library_path_that_is_a_file(tmp_path, capsys, action):
    file = tmp_path / "notes.txt"
    file.write_text("not a library\n")
    midi = write_midi(tmp_path / "a.mid")
    if action == "generate":
        argv = ["generate", "--text", "calm", "--generator", "baseline", "--duration", "4", "--library", str(file),
                "-o", str(tmp_path / "out.wav")]
    else:
        argv = ["library", "--library", str(file)] + [a.format(midi=midi) for a in LIBRARY_ACTIONS[action]]
    line = _fails_in_one_line(capsys, argv)
    assert line == f"vmb: error: library {file} is not a folder"
    assert file.read_text() == "not a library\n" and sorted(p.name for p in tmp_path.iterdir()) == ["a.mid",
                                                                                                   "notes.txt"]


def test_library_path_inside_a_file(tmp_path, capsys):
    file = tmp_path / "notes.txt"
    file.write_text("x")
    line = _fails_in_one_line(capsys, ["library", "--library", str(file / "lib"), "add", str(file)])
    assert line == f"vmb: error: library {file / 'lib'}: cannot create it (Not a directory)"


WRITES = ("add", "remove", "build")


def _write_argv(path: Path, tmp: Path, action: str) -> list[str]:
    return _commands(path, tmp)[action]


def test_read_only_library_chmod(lib, tmp_path, capsys):
    path = lib[0]
    modes = {p: p.stat().st_mode for p in [path, *path.rglob("*")]}
    for p in modes:
        p.chmod(stat.S_IMODE(modes[p]) & ~0o222)
    try:
        if os.access(path, os.W_OK):
            pytest.skip("file modes do not stop this user (root): see the read-only mount test")
        before = snapshot(path)
        for action in WRITES:
            line = _fails_in_one_line(capsys, _write_argv(path, tmp_path, action))
            assert f"library {path}: cannot write" in line and "Permission denied" in line
            assert snapshot(path) == before
    finally:
        for p, mode in modes.items():
            p.chmod(stat.S_IMODE(mode))


def test_read_only_library_refused_writer(lib, tmp_path, capsys, monkeypatch):
    """The lock is the first thing every write opens: refuse it as a read-only file system does."""
    path = lib[0]
    real_open = open

    def read_only_open(file, mode="r", *args, **kwargs):
        if Path(file).parent == path and any(c in mode for c in "wax+"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(store, "open", read_only_open, raising=False)
    before = snapshot(path)
    for action in WRITES:
        line = _fails_in_one_line(capsys, _write_argv(path, tmp_path, action))
        assert line == f"vmb: error: library {path}: cannot write .lock (Read-only file system)"
    assert snapshot(path) == before


_MOUNTED = """
import json, sys
from vmb.cli import main
results = []
for argv in json.loads(sys.argv[1]):
    import io, contextlib
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    results.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""


def _run_read_only(folder: Path, argvs: list[list[str]]) -> list[list]:
    """Run CLI commands with ``folder`` mounted read-only in a private mount namespace (real
    EROFS, also for root); skip where this machine does not allow it."""
    script = ('mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$1" -c "$2" "$3"')
    try:
        probe = subprocess.run(["unshare", "-m", "sh", "-c", 'mount --bind "$0" "$0"', str(folder)],
                               capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        pytest.skip("no unshare here")
    if probe.returncode != 0:
        pytest.skip("this user may not mount: " + probe.stderr.decode().strip()[:100])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(["unshare", "-m", "sh", "-c", script, str(folder), sys.executable, _MOUNTED,
                           json.dumps(argvs)], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_read_only_mount(lib, tmp_path):
    path = lib[0]
    before = snapshot(path)
    new = path / "new"  # a library to be created in a read-only folder
    argvs = [_write_argv(path, tmp_path, action) for action in WRITES] + [
        _write_argv(new, tmp_path, "add"), ["library", "--library", str(path), "stats"]]
    *writes, create, stats = _run_read_only(path, argvs)
    for code, out, err in writes:
        assert code == 1 and out == "" and err == f"vmb: error: library {path}: cannot write .lock (Read-only file system)\n"
    assert create == [1, "", f"vmb: error: library {new}: cannot create it (Read-only file system)\n"]
    assert stats[0] == 0 and "entries" in stats[1]  # reading a read-only library works
    # only the table read-only (the lock can be taken): Lance's failed write names the folder
    (code, out, err), = _run_read_only(path / "entries.lance", [_write_argv(path, tmp_path, "remove")])
    assert code == 1 and out == "" and err == (f"vmb: error: library {path}: cannot write entries.lance "
                                               f"(Read-only file system)\n")
    assert snapshot(path) == before


def test_interrupted_creation_is_finished_not_damaged(tmp_path):
    path = tmp_path / "lib"
    Library.open(path)
    (path / "library.json").unlink()  # as if vmb stopped between the table and the manifest
    with pytest.raises(store.VmbError, match="no library"):
        Library.open(path, create=False)
    assert Library.open(path).is_fresh() and (path / "library.json").exists()


def test_only_a_fresh_library_is_filled_with_the_corpus(tmp_path, monkeypatch):
    built = []

    def build(path):
        built.append(path)
        library = Library.open(path)
        library.add_entries([make_entry(0)], unit_vectors(1))
        return library

    monkeypatch.setattr(store, "build_default_library", build)
    path = tmp_path / "lib"
    assert store.open_default_library(path).count() == 1 and built == [path]  # first use: built
    assert store.open_default_library(path).count() == 1 and len(built) == 1  # not again
    Library.open(path).remove(["tune-0000"])
    with pytest.raises(store.VmbError, match="is empty"):  # emptied by its user: never refilled
        store.open_default_library(path)
    assert len(built) == 1


def test_vectors_that_are_not_unit_are_damage(lib):
    path = lib[0]
    library = Library.open(path)
    row = library.table.search().limit(1).to_arrow()
    column = row.schema.get_field_index("vector")  # a row written around add_entries' normalisation
    library.table.add(row.set_column(column, "vector", _vectors(np.full((1, 384), 3.0, np.float32))))
    check = check_library(path)
    assert not check.healthy and "1 of its vectors are not finite unit vectors" in check.problems[0]


def _vectors(values: np.ndarray):
    import pyarrow as pa

    return pa.FixedSizeListArray.from_arrays(pa.array(values.ravel()), values.shape[1])

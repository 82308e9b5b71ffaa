import json

import numpy as np
import pytest

from tests.fixtures.library import make_entry, unit_vectors
from vmb import VmbError
from vmb.retrieve import store
from vmb.retrieve.store import (
    Library,
    LibraryDamaged,
    build_default_library,
    default_library_path,
    open_default_library,
)


@pytest.fixture
def lib(tmp_path):
    library = Library.open(tmp_path / "lib")
    entries = [make_entry(0),
               make_entry(1, mode="major", key="G", tempo_class="fast", bpm=140.0, moods=["happy"]),
               make_entry(2, genres=["folk", "world"], instruments=["flute", "harp"], bpm=None,
                          tempo_class=None, lead_sheet=None),
               make_entry(3, title="It's \"quoted\"", key="C#", meter="6/8")]
    library.add_entries(entries, unit_vectors(4), analyses=[{"kind": "midi"}, {}, {}, {}])
    return library


def test_create_writes_manifest_and_reopens(tmp_path):
    path = tmp_path / "new"
    Library.open(path)
    manifest = json.loads((path / "library.json").read_text())
    assert manifest == {"format": "vmb-library", "version": 1, "embedding": "all-MiniLM-L6-v2", "dim": 384}
    assert Library.open(path, create=False).count() == 0


def test_open_refuses_missing_newer_older_and_foreign(tmp_path):
    with pytest.raises(VmbError, match="no library"):
        Library.open(tmp_path / "absent", create=False)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "photo.jpg").write_bytes(b"x")
    with pytest.raises(VmbError, match="not a vmb library"):
        Library.open(foreign)
    path = tmp_path / "lib"
    Library.open(path)
    manifest = json.loads((path / "library.json").read_text())
    for version, message in ((2, "newer vmb"), (0, "unknown format version"), ("1", "unknown format version")):
        (path / "library.json").write_text(json.dumps({**manifest, "version": version}))
        with pytest.raises(VmbError, match=message):
            Library.open(path)
    (path / "library.json").write_text(json.dumps({**manifest, "dim": 512}))
    with pytest.raises(VmbError, match="512"):
        Library.open(path)
    (path / "library.json").write_text("{not json")
    with pytest.raises(LibraryDamaged, match="library.json cannot be read"):
        Library.open(path)


def test_open_refuses_a_table_of_another_schema(tmp_path):
    path = tmp_path / "lib"
    Library.open(path)
    import lancedb
    import pyarrow as pa

    db = lancedb.connect(str(path))
    db.drop_table("entries")
    db.create_table("entries", schema=pa.schema([pa.field("id", pa.string())]))
    with pytest.raises(VmbError, match="lacks columns"):
        Library.open(path)


def test_round_trip_of_entries(lib):
    original = make_entry(0)
    got = lib.get("tune-0000")
    assert got == original
    assert got.lead_sheet.chords[0].bass == 3 and got.lead_sheet.melody[1].velocity == 70
    assert lib.get("tune-0002").lead_sheet is None and lib.get("tune-0002").bpm is None
    assert lib.get("tune-0003").title == "It's \"quoted\""
    assert lib.get_analysis("tune-0000") == {"kind": "midi"}
    assert np.allclose(lib.embedding("tune-0001"), unit_vectors(4)[1], atol=1e-6)
    with pytest.raises(VmbError, match="no entry 'nope'"):
        lib.get("nope")


def test_filters_list_and_count(lib):
    assert {e.id for e in lib.list({"mode": "minor"})} == {"tune-0000", "tune-0002", "tune-0003"}
    assert [e.id for e in lib.list({"genres": ["world", "jazz"]})] == ["tune-0002"]
    assert lib.count({"instruments": ["violin"], "mode": "minor"}) == 2
    assert lib.count({"exclude_instruments": ["violin"]}) == 1
    assert lib.count({"key": ["C#", "Db"], "meter": "6/8"}) == 1
    assert lib.count({"bpm_min": 100}) == 1
    assert lib.count({"title": "It's \"quoted\""}) == 1  # quotes are escaped, not SQL
    assert lib.count({"exclude_ids": ["tune-0000", "tune-0001"]}) == 2
    assert [e.id for e in lib.list(limit=2, offset=1)] == ["tune-0001", "tune-0002"]
    with pytest.raises(VmbError, match="unknown library filter"):
        lib.count({"colour": "red"})


def test_duplicates_are_refused_or_skipped(lib):
    with pytest.raises(VmbError, match="already holds"):
        lib.add_entries([make_entry(0)], unit_vectors(1))
    with pytest.raises(VmbError, match="duplicate ids"):
        lib.add_entries([make_entry(7), make_entry(7)], unit_vectors(2))
    # skip_existing: same id, or same content hash under a new id, is not added again
    added = lib.add_entries([make_entry(0), make_entry(9, content_hash="h0001"), make_entry(8)], unit_vectors(3),
                            skip_existing=True)
    assert added == ["tune-0008"] and lib.count() == 5


def test_bad_embeddings_are_refused(lib):
    with pytest.raises(VmbError, match="dim 16"):
        lib.add_entries([make_entry(5)], np.ones((1, 16)))
    with pytest.raises(VmbError, match="NaN"):
        lib.add_entries([make_entry(5)], np.full((1, 384), np.nan))


def test_remove_and_stats(lib):
    assert lib.remove(["tune-0001", "tune-0001", "missing"]) == ["tune-0001"]
    assert lib.count() == 3
    stats = lib.stats()
    assert stats["entries"] == 3 and stats["mode"] == {"minor": 3}
    assert stats["genres"]["folk"] == 3 and stats["sources"] == {"mid": 3}
    assert stats["disk_bytes"] > 0 and stats["ann_index"] is False and stats["format_version"] == 1


def test_vector_search_is_exact_and_filtered(lib):
    vecs = unit_vectors(4)
    hits = lib.vector_search(vecs[3], 4)
    assert hits[0][0].id == "tune-0003" and abs(hits[0][1] - 1.0) < 1e-5
    sims = [s for _e, s in hits]
    assert sims == sorted(sims, reverse=True)
    assert [e.id for e, _ in lib.vector_search(vecs[3], 4, "mode = 'major'")] == ["tune-0001"]


def test_ann_index_recall_against_exact(tmp_path):
    library = Library.open(tmp_path / "big")
    rng = np.random.default_rng(1)
    centres = unit_vectors(20, seed=2)  # clustered, like description embeddings
    vecs = centres[rng.integers(0, 20, 1500)] + 0.05 * rng.normal(size=(1500, 384)).astype(np.float32)
    library.add_entries([make_entry(i, content_hash="") for i in range(1500)], vecs)
    assert library.ensure_index(force=True) and library.has_ann_index()
    recall = []
    for q in vecs[:10] / np.linalg.norm(vecs[:10], axis=1, keepdims=True):
        ann = {e.id for e, _ in library.vector_search(q, 10, exact=False)}
        exact = {e.id for e, _ in library.vector_search(q, 10, exact=True)}
        recall.append(len(ann & exact) / 10)
    assert np.mean(recall) >= 0.9


def test_default_path_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("VMB_LIBRARY", str(tmp_path / "mine"))
    assert default_library_path() == tmp_path / "mine"
    monkeypatch.delenv("VMB_LIBRARY")
    assert default_library_path().name == "library" and "vmb" in str(default_library_path())


def test_build_default_library_from_shipped_files(tmp_path, monkeypatch):
    from vmb.retrieve.tunes import save_embeddings, save_tunes

    entries = [make_entry(i) for i in range(5)]
    save_tunes(entries + [make_entry(2, title="same id again")], tmp_path / "tunes.jsonl.gz")
    save_embeddings(unit_vectors(6), tmp_path / "emb.npy")
    kwargs = dict(tunes_path=str(tmp_path / "tunes.jsonl.gz"), embeddings_path=str(tmp_path / "emb.npy"))
    library = build_default_library(tmp_path / "lib", batch_size=2, **kwargs)
    assert library.count() == 5 and library.get("tune-0004") == entries[4]
    assert library.get("tune-0002") == entries[2]  # the first of a repeated id wins
    # an interrupted build (two entries gone) completes without duplicates
    library.remove(["tune-0000", "tune-0003"])
    assert build_default_library(tmp_path / "lib", **kwargs).count() == 5
    # open_default_library builds only an empty library
    monkeypatch.setattr(store, "build_default_library", lambda path: pytest.fail("rebuilt"))
    assert open_default_library(tmp_path / "lib").count() == 5

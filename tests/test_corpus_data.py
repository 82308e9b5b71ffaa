"""The shipped tune corpus and dual-track selection over it (no music21 needed)."""

import numpy as np
import pytest

from vmb.retrieve import load_tune_embeddings, load_tunes, select_tunes
from vmb.retrieve.tunes import entry_from_dict, entry_to_dict
from vmb.types import Attributes, LibraryEntry
from vmb.vocab import GENRES, INSTRUMENTS, METERS, MOODS, TEMPO_CLASSES


@pytest.fixture(scope="module")
def tunes():
    return load_tunes()


def test_shipped_corpus_is_large_and_valid(tunes):
    assert len(tunes) >= 2000
    assert len({e.id for e in tunes}) == len(tunes)
    assert len({e.content_hash for e in tunes}) == len(tunes)
    sources = {e.id.split("/")[0] for e in tunes}
    assert {"essenFolksong", "oneills1850", "ryansMammoth", "bach"} <= sources
    for e in tunes:
        s = e.lead_sheet
        assert e.mode in ("major", "minor") and e.meter in METERS and s.meter == e.meter
        assert e.tempo_class in TEMPO_CLASSES and e.bpm > 0 and e.description
        assert set(e.moods) <= set(MOODS) and set(e.genres) <= set(GENRES)
        assert set(e.instruments) <= set(INSTRUMENTS)
        assert s.melody and s.chords and s.sections and s.length_beats > 0
        assert all(0 <= n.start and n.start + n.duration <= s.length_beats + 1e-6 for n in s.melody)
        assert s.chords[0].start == 0 and abs(sum(c.duration for c in s.chords) - s.length_beats) < 1e-6
        assert s.source.startswith("music21:")


def test_entries_round_trip_through_the_compact_format(tunes):
    for e in tunes[:50]:
        assert entry_from_dict(entry_to_dict(e)) == e
        assert LibraryEntry.from_dict(entry_to_dict(e)) == e  # the generic decoder agrees


def test_embeddings_match_entries(tunes):
    emb = load_tune_embeddings()
    assert emb.shape == (len(tunes), 384) and emb.dtype == np.float32
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-3)
    from vmb.embed import encode_texts

    fresh = encode_texts([tunes[0].description, tunes[-1].description])
    assert float(fresh[0] @ emb[0]) > 0.99 and float(fresh[1] @ emb[-1]) > 0.99


def test_targeted_respects_mode_and_meter(tunes):
    for mode, meter in [("minor", "6/8"), ("major", "3/4"), ("minor", "4/4")]:
        r = select_tunes(Attributes(mode=mode, meter=meter, moods=["sad"]), k=6)
        assert len(r.targeted) == 6 and not r.broad  # no query embedding: no broad track
        for ref in r.targeted:
            assert (ref.entry.mode, ref.entry.meter) == (mode, meter)
            assert {"mode", "meter"} <= set(ref.matched) and 0 <= ref.score <= 1


def test_targeted_prefers_the_requested_character():
    happy = select_tunes(Attributes(moods=["happy", "energetic"], tempo_class="fast", energy=0.9), k=5)
    sad = select_tunes(Attributes(moods=["sad"], tempo_class="slow", energy=0.1), k=5)
    assert all(r.entry.tempo_class == "fast" and "tempo_class" in r.matched for r in happy.targeted)
    assert all(r.entry.tempo_class == "slow" for r in sad.targeted)
    assert all("moods" in r.matched for r in happy.targeted + sad.targeted)
    assert all(r.entry.mode == "minor" for r in sad.targeted)  # sad tunes here are minor ones


def test_seed_exclude_and_determinism():
    attrs = Attributes(mode="major", meter="6/8", moods=["playful"])
    a = select_tunes(attrs, k=3, seed=0)
    assert a.to_dict() == select_tunes(attrs, k=3, seed=0).to_dict()
    firsts = {select_tunes(attrs, k=3, seed=s).targeted[0].entry.id for s in range(8)}
    assert len(firsts) > 1  # the seed varies which good tune wins
    gone = {r.entry.id for r in a.targeted}
    b = select_tunes(attrs, k=3, seed=0, exclude=gone)
    assert not gone & {r.entry.id for r in b.targeted}


def test_broad_track_follows_the_query_embedding(tunes):
    emb = load_tune_embeddings()
    i = next(j for j, e in enumerate(tunes) if e.mode == "minor" and e.meter == "6/8")
    r = select_tunes(Attributes(mode="major"), query_embedding=emb[i], k=4)
    assert len(r.broad) == 4
    assert r.broad[0].score == pytest.approx(1.0, abs=2e-3)
    assert r.broad[0].entry.description == tunes[i].description
    assert [b.score for b in r.broad] == sorted((b.score for b in r.broad), reverse=True)
    assert not {b.entry.id for b in r.broad} & {t.entry.id for t in r.targeted}
    assert all(ref.track == "broad" for ref in r.broad)

"""The shipped tune corpus and dual-track selection over it (no music21 needed)."""

import numpy as np
import pytest

from vmb.retrieve import load_tune_embeddings, load_tunes
from vmb.retrieve.tunes import entry_from_dict, entry_to_dict
from vmb.types import LibraryEntry
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


import numpy as np
import pytest

from tests.fixtures.library import make_entry, unit_vectors
from vmb.retrieve.search import attribute_filters, broad, dual_track, matched_attributes, targeted
from vmb.retrieve.store import Library
from vmb.types import Attributes
from vmb.vocab import VocabError

# (mode, key, tempo class, meter, moods, instruments) of the test library's 12 entries
ROWS = [
    ("minor", "D", "slow", "3/4", ["sad"], ["strings"]),  # 0: the one perfect match
    ("minor", "D", "slow", "3/4", ["calm"], ["piano"]),  # 1: wrong mood and instrument
    ("minor", "D", "slow", "4/4", ["sad"], ["strings"]),  # 2: wrong meter
    ("minor", "D", "slow", "3/4", ["sad"], ["flute"]),  # 3: wrong instrument only
    ("minor", "A", "slow", "3/4", ["sad"], ["strings"]),  # 4: wrong key
    ("minor", "D", "fast", "3/4", ["sad"], ["strings"]),  # 5: wrong tempo
    ("major", "D", "slow", "3/4", ["sad"], ["strings"]),  # 6: wrong mode
    ("major", "G", "fast", "4/4", ["happy"], ["drums"]),  # 7..11: nothing matches
    ("major", "G", "fast", "4/4", ["happy"], ["drums"]),
    ("major", "C", "medium", "2/4", ["happy"], ["guitar"]),
    ("major", "F", "medium", "4/4", ["fun"], ["drums"]),
    ("minor", "C#", "medium", "6/8", ["dark"], ["organ"]),  # 11: C# spelled with a sharp
]


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    library = Library.open(tmp_path_factory.mktemp("search") / "lib")
    entries = [make_entry(i, mode=m, key=k, tempo_class=t, meter=mt, moods=mo, instruments=ins,
                          genres=["classical"] if i < 7 else ["pop"])
               for i, (m, k, t, mt, mo, ins) in enumerate(ROWS)]
    library.add_entries(entries, unit_vectors(len(ROWS), seed=3))
    return library


QUERY = unit_vectors(len(ROWS), seed=3)[9]  # closest to entry 9, far from the partition
ASK = Attributes(key="D minor", tempo_class="slow", meter="3/4", moods=["sad"], instruments=["strings"])


def ids(refs):
    return [int(r.entry.id.split("-")[1]) for r in refs]


def test_attribute_filters_normalise_and_imply_mode():
    f = attribute_filters(Attributes(key="d minor", tempo_bpm=66, moods=["Somber"], instruments=["string"],
                                     excluded_instruments=["drum"]))
    assert f == {"key": ["D"], "mode": "minor", "tempo_class": "slow", "moods": ["sad"],
                 "instruments": ["strings"], "exclude_instruments": ["drums"]}
    assert attribute_filters(Attributes(key="Db"))["key"] == ["C#", "Db"]
    assert "key" not in attribute_filters(Attributes(key="Db minor"), transpose_key=True)
    with pytest.raises(VocabError):
        attribute_filters(Attributes(moods=["sparkly-ish-zzz"]))


def test_targeted_prefers_the_strict_partition_then_relaxes_in_order(lib):
    refs = targeted(lib, QUERY, ASK, k=4)
    # 0 matches everything; dropping instruments admits 3, then moods admits 1; then meter admits 2
    assert ids(refs) == [0, 3, 1, 2]
    assert refs[0].matched == ["key", "mode", "tempo_class", "meter", "moods", "instruments"]
    assert refs[0].scores["match"] == 1.0 and "instruments" not in refs[1].matched
    assert all(r.track == "targeted" for r in refs)
    assert [r.score for r in refs] == [r.scores["similarity"] for r in refs]


def test_widened_partition_puts_entries_with_dropped_attributes_first(lib):
    ask = Attributes(key="D minor", tempo_class="slow", meter="3/4", moods=["happy"], instruments=["piano"])
    refs = targeted(lib, QUERY, ask, k=2)
    # no entry is happy or D-minor-slow-3/4 with piano; of {0, 1, 3}, 1 still has the piano
    assert ids(refs)[0] == 1 and "instruments" in refs[0].matched and "instruments" not in refs[1].matched


def test_targeted_ranks_inside_the_partition_by_similarity(lib):
    ask = Attributes(mode="major")
    refs = targeted(lib, QUERY, ask, k=3)
    assert ids(refs)[0] == 9 and all(r.entry.mode == "major" for r in refs)
    sims = [r.score for r in refs]
    assert sims == sorted(sims, reverse=True)


def test_key_spellings_and_transposition(lib):
    assert ids(targeted(lib, QUERY, Attributes(key="Db minor"), k=1)) == [11]
    loose = targeted(lib, QUERY, Attributes(key="E minor", tempo_class="fast"), k=2, transpose_key=True)
    assert {r.entry.mode for r in loose} == {"minor"} and ids(loose)[0] == 5


def test_exclusions_and_no_query(lib):
    refs = targeted(lib, None, ASK, k=2, exclude={"tune-0000"})
    assert ids(refs) == [3, 1] and refs[0].score == 0.0
    assert 9 not in ids(broad(lib, QUERY, k=5, exclude=["tune-0009"]))
    assert targeted(lib, QUERY, ASK, k=0) == []


def test_broad_ignores_attributes_but_reports_matches(lib):
    refs = broad(lib, QUERY, k=3, attributes=ASK)
    assert ids(refs)[0] == 9 and refs[0].track == "broad" and abs(refs[0].score - 1.0) < 1e-4
    assert refs[0].matched == [] and refs[0].scores["match"] == 0.0
    assert matched_attributes(lib.get("tune-0004"), attribute_filters(ASK)) == [
        "mode", "tempo_class", "meter", "moods", "instruments"]


def test_dual_track_pins_dedupes_and_ablates(lib):
    pinned = make_entry(99, id="my-song")
    both = dual_track(lib, QUERY, ASK, k=3, pinned=[pinned])
    assert both.broad[0].track == "pinned" and both.broad[0].entry.id == "my-song"
    assert len(both.broad) == 3 and len(both.targeted) == 3
    assert not {r.entry.id for r in both.broad} & {r.entry.id for r in both.targeted}
    assert ids(both.targeted) == [0, 3, 1]
    no_broad = dual_track(lib, QUERY, ASK, k=3, pinned=[pinned], use_broad=False)
    assert [r.track for r in no_broad.broad] == ["pinned"] and ids(no_broad.targeted) == [0, 3, 1]
    no_targeted = dual_track(lib, QUERY, ASK, k=3, use_targeted=False)
    assert no_targeted.targeted == [] and ids(no_targeted.broad)[0] == 9
    assert dual_track(lib, QUERY, ASK, k=2, exclude={"tune-0000"}).targeted[0].entry.id == "tune-0003"


def test_results_round_trip_as_json(lib):
    from vmb.types import Retrieval

    result = dual_track(lib, QUERY, ASK, k=2)
    again = Retrieval.from_json(result.to_json())
    assert again == result and isinstance(again.targeted[0].scores["similarity"], float)
    assert np.isfinite([r.score for r in again.broad]).all()

"""vmb.evaluate.heard / tagmap / suite and `vmb evaluate`: golden values, then a tiny folder end to end.

The golden numbers are worked by hand from each metric's docstring (the arithmetic is in the
comments), not produced by the code under test.
"""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest

from vmb.evaluate import heard
from vmb.evaluate.tagmap import TAG_MAP, missing_tags, value_columns

# --------------------------------------------------------------------------- KL_musicnn


def test_clip_distribution_is_the_softmax_of_the_patch_mean():
    # patches [0, 0] and [2, 0] -> mean [1, 0] -> softmax [e, 1] / (e + 1)
    p = heard.clip_distribution(np.array([[0.0, 0.0], [2.0, 0.0]]))
    assert p == pytest.approx([math.e / (math.e + 1), 1 / (math.e + 1)])
    # not the mean of per-patch softmaxes: that would be [(0.5 + 0.8808) / 2, ...] = 0.6904
    assert p[0] != pytest.approx(0.6904, abs=1e-3)
    with pytest.raises(ValueError):
        heard.clip_distribution(np.array([[np.nan, 0.0]]))


def test_kl_golden_and_direction():
    gen = {"a": np.array([[0.0, 0.0], [2.0, 0.0]])}  # p = [0.731059, 0.268941]
    ref = {"a": np.array([[0.0, 0.0]])}  # q = [0.5, 0.5]
    # KL(p || q) = 0.731059 ln(1.462117) + 0.268941 ln(0.537883) = 0.277717 - 0.166773 = 0.110944
    res = heard.kl_musicnn(gen, ref)
    assert res["paired"] and res["pairs"] == 1
    assert res["KL"] == pytest.approx(0.110944, abs=1e-6)
    # the other direction, KL(q || p) = 0.5 ln(0.5 / 0.731059) + 0.5 ln(0.5 / 0.268941) = 0.120115
    assert heard.kl_musicnn(ref, gen)["KL"] == pytest.approx(0.120115, abs=1e-6)
    # mean over pairs: a second, identical pair adds KL 0
    both = heard.kl_musicnn(gen | {"b": ref["a"]}, ref | {"b": ref["a"]})
    assert both["KL"] == pytest.approx(0.110944 / 2, abs=1e-6) and both["per_clip"]["b"] == 0.0


def test_kl_refuses_unpaired_sets():
    res = heard.kl_musicnn({"a": np.zeros((1, 3)), "b": np.zeros((1, 3))}, {"a": np.zeros((1, 3)), "c": np.zeros((1, 3))})
    assert res["KL"] is None and not res["paired"] and "1 of 2" in res["note"]
    assert heard.kl_divergence(np.array([1.0, 0.0]), np.array([0.5, 0.5])) == pytest.approx(math.log(2))
    with pytest.raises(ValueError):
        heard.kl_divergence(np.array([0.7, 0.7]), np.array([0.5, 0.5]))


# --------------------------------------------------------------------------- FD_musicnn


def test_fd_of_two_gaussians_in_closed_form():
    # diag(1, 4) vs diag(4, 9), means 0 and (3, 4): 25 + (1 + 4 + 4 + 9) - 2 (sqrt(4) + sqrt(36)) = 27
    assert heard.frechet_distance([0, 0], np.diag([1.0, 4.0]), [3, 4], np.diag([4.0, 9.0])) == pytest.approx(27.0)
    # the same two Gaussians rotated by 30 degrees (commuting covariances): still 27
    c, s = math.cos(math.pi / 6), math.sin(math.pi / 6)
    r = np.array([[c, -s], [s, c]])
    fd = heard.frechet_distance(r @ [0, 0], r @ np.diag([1.0, 4.0]) @ r.T, r @ [3, 4], r @ np.diag([4.0, 9.0]) @ r.T)
    assert fd == pytest.approx(27.0)


def test_fd_with_non_commuting_covariances_matches_the_matrix_square_root():
    from scipy.linalg import sqrtm

    c1 = np.array([[2.0, 0.5], [0.5, 1.0]])
    c2 = np.array([[1.0, -0.3], [-0.3, 3.0]])
    expected = 1.0 + np.trace(c1 + c2 - 2 * np.real(sqrtm(c1 @ c2)))  # means 0 and (1, 0)
    assert heard.frechet_distance([0, 0], c1, [1, 0], c2) == pytest.approx(expected, rel=1e-9)


def test_fd_from_embeddings_golden():
    # 1-D: {-1, 1} has mean 0, variance 2 (ddof 1); {2, 6} mean 4, variance 8:
    # 16 + 2 + 8 - 2 sqrt(16) = 18
    assert heard.fd_musicnn(np.array([[-1.0], [1.0]]), np.array([[2.0], [6.0]])) == pytest.approx(18.0)


def test_fd_is_exact_with_fewer_clips_than_dimensions():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 10))  # rank-2 covariance in 10-D
    assert heard.fd_musicnn(x, x) == pytest.approx(0.0, abs=1e-9)
    shift = np.arange(10) * 0.1
    assert heard.fd_musicnn(x, x + shift) == pytest.approx(float(shift @ shift), abs=1e-9)
    with pytest.raises(ValueError):
        heard.fd_musicnn(x[:1], x)


def test_split_half_floor():
    same = np.ones((6, 4))
    assert heard.fd_split_half(same) == pytest.approx(0.0, abs=1e-12)
    rng = np.random.default_rng(1)
    real = rng.normal(size=(40, 3))
    floor = heard.fd_split_half(real, seed=3)
    assert floor == heard.fd_split_half(real, seed=3)  # seeded
    assert 0 < floor < heard.fd_musicnn(real, real + 2.0) / 10  # sampling noise, far below a shift of 2 per dim (12)
    with pytest.raises(ValueError, match="at least 4"):
        heard.fd_split_half(real[:3])


# --------------------------------------------------------------------------- AUC, z, ranks


def test_auc_hand_computed_with_ties():
    # pairs (pos, neg): (3,2) 1, (3,1) 1, (2,2) 1/2, (2,1) 1, (2,2) 1/2, (2,1) 1 -> 5 / 6
    assert heard.auc([3, 2, 2], [2, 1]) == pytest.approx(5 / 6)
    assert heard.auc([1, 2], [3, 4]) == 0.0 and heard.auc([5], [1, 2]) == 1.0
    assert heard.auc([1, 1], [1]) == 0.5
    assert math.isnan(heard.auc([], [1.0]))


def test_zscore_per_column():
    z = heard.zscore(np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]]))
    # mean 2, population std sqrt(2/3): (1 - 2) / 0.816497 = -1.224745
    assert z[:, 0] == pytest.approx([-1.224745, 0.0, 1.224745], abs=1e-6)
    assert (z[:, 1] == 0).all()  # a constant column


def test_rank_counts_candidates_not_synonyms():
    # values a, b share their tags (candidate 0); c is candidate 1, d candidate 2
    row = np.array([0.4, 0.4, 0.9, 0.1])
    cand = (0, 0, 1, 2)
    assert heard.rank_of(row, 0, cand) == 2  # only c is above; b (a synonym) does not count
    assert heard.rank_of(row, 2, cand) == 1
    assert heard.rank_of(row, 3, cand) == 3  # c and the a/b candidate above it
    assert heard.rank_of(np.array([0.5, 0.5]), 0, (0, 1)) == 1  # an exact tie is resolved in favour


# A hand-made tag table: 4 clips, columns MTT rock, MSD rock, MSD jazz, MTT classical. The
# genres with a tag among them: rock (cols 0, 1), jazz (col 2), classical (col 3).
COLUMNS = [("MTT_musicnn", "rock"), ("MSD_musicnn", "rock"), ("MSD_musicnn", "jazz"), ("MTT_musicnn", "classical")]
TABLE = np.array([
    [0.8, 0.6, 0.1, 0.0],  # asks rock:      rock 0.7,  jazz 0.1,  classical 0.0
    [0.6, 0.4, 0.75, 0.1],  # asks rock:     rock 0.5,  jazz 0.75, classical 0.1
    [0.2, 0.2, 0.7, 0.1],  # asks jazz:      rock 0.2,  jazz 0.7,  classical 0.1
    [0.1, 0.0, 0.1, 0.9],  # asks classical: rock 0.05, jazz 0.1,  classical 0.9
])
REQUESTS = [["rock"], ["rock"], ["jazz"], ["classical"]]


def test_value_scores_average_the_mapped_columns():
    vs = heard.value_scores("genre", TABLE, COLUMNS)
    assert vs.values == ("rock", "jazz", "classical") and vs.n_candidates == 3
    assert vs.raw[:, 0] == pytest.approx([0.7, 0.5, 0.2, 0.05])
    assert "latin" in vs.unmapped and "pop" in vs.unmapped  # pop's tags are not in this table


def test_control_deltas_on_a_hand_made_table():
    d = heard.control_deltas(heard.value_scores("genre", TABLE, COLUMNS), REQUESTS)
    # rock: (0.7 + 0.5) / 2 - (0.2 + 0.05) / 2 = 0.6 - 0.125 -> 47.5 points; all of 0.7, 0.5 above 0.2, 0.05
    assert d["rock"] == pytest.approx({"delta": 47.5, "auc": 1.0, "n": 2, "n_other": 2})
    # jazz: 0.7 - (0.1 + 0.75 + 0.1) / 3 = 0.38333 -> 38.33; 0.7 beats 0.1 and 0.1, not 0.75 -> AUC 2/3
    assert d["jazz"]["delta"] == pytest.approx(38.3333, abs=1e-3) and d["jazz"]["auc"] == pytest.approx(2 / 3)
    # classical: 0.9 - (0.0 + 0.1 + 0.1) / 3 -> 83.33
    assert d["classical"]["delta"] == pytest.approx(83.3333, abs=1e-3)
    # every clip asks for rock: no other group, no delta
    same = heard.control_deltas(heard.value_scores("genre", TABLE, COLUMNS), [["rock"]] * 4)
    assert math.isnan(same["rock"]["delta"]) and math.isnan(same["rock"]["auc"])


def test_tag_alignment_top_k_raw_and_z():
    vs = heard.value_scores("genre", TABLE, COLUMNS)
    a = heard.tag_alignment(vs, REQUESTS, ks=(1, 3))
    # raw: clip 1 asks rock (0.5) but hears jazz (0.75) above it -> rank 2; the other three rank 1
    assert a["pairs"] == 4 and a["top1_raw"] == 0.75 and a["top3_raw"] == 1.0
    # z (per column over the 4 clips): clip 1's jazz column is its highest z (0.75 is the column's
    # top), rock's two columns are above their means but below clip 0's -> rock ranks 2 there too
    assert a["per_value"]["rock"]["top1_z"] == 0.5 and a["per_value"]["jazz"]["top1_z"] == 1.0
    assert a["candidates"] == 3
    # mean z of the requested values is positive: each clip asks for what is loudest in it, relatively
    assert a["mean_z"] > 0.5


def test_evaluate_attribute_lists_unmapped_requests():
    res = heard.evaluate_attribute("genre", TABLE, COLUMNS, [["rock"], ["latin"], ["jazz"], ["classical"]])
    assert res["unmapped"] == ["latin"] and set(res["values"]) == {"rock", "jazz", "classical"}
    assert res["mean_delta"] == pytest.approx(np.mean([d["delta"] for d in res["values"].values()]))


# --------------------------------------------------------------------------- the mapping table


def test_tag_map_covers_the_vocabulary_and_names_real_tags():
    from vmb.listen import MODEL_NAMES, load_tagger
    from vmb.vocab import GENRES, INSTRUMENTS, MOODS

    assert set(TAG_MAP["genre"]) == set(GENRES)
    assert set(TAG_MAP["mood"]) == set(MOODS)
    assert set(TAG_MAP["instrument"]) == set(INSTRUMENTS)
    names = {m: load_tagger(m).tag_names for m in MODEL_NAMES}
    assert missing_tags(names) == []
    assert missing_tags({"MTT_musicnn": ["rock"], "MSD_musicnn": []})  # the check can fail
    columns = [(m, t) for m in MODEL_NAMES for t in names[m]]
    assert value_columns("genre", columns)["hip hop"] == (50 + names["MSD_musicnn"].index("Hip-Hop"),)


# --------------------------------------------------------------------------- the folder and the CLI


def _run(argv):
    import contextlib
    import io

    from vmb.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory):
    """3 baseline clips (5 s) with sidecars and MIDI, one scored as a video cue sheet, and a broken file."""
    from vmb.pipeline import generate_from_text, write_outputs
    from vmb.types import Attributes

    folder = tmp_path_factory.mktemp("generated")
    requests = [("rock", Attributes(genres=["rock"])),
                ("classical", Attributes(genres=["classical"], instruments=["violin"])),
                ("electronic", Attributes(genres=["electronic"], instruments=["synthesizer"]))]
    for seed, (name, user) in enumerate(requests):
        result = generate_from_text("background music for a video", user=user, duration_s=5.0, seed=seed,
                                    generator="baseline")
        write_outputs(result, folder / f"{name}.wav")
    # the electronic clip as a scored video's music: its sidecar becomes a cue sheet with cuts
    cues = json.loads((folder / "electronic.json").read_text()) | {"cuts_s": [1.0, 2.5]}
    (folder / "electronic.cues.json").write_text(json.dumps(cues))
    (folder / "electronic.json").unlink()
    (folder / "broken.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEnot audio at all")
    return folder


def test_cli_evaluates_a_folder_and_skips_the_broken_file(clip_folder, tmp_path):
    plot = tmp_path / "evaluation.png"
    status, out, err = _run(["evaluate", str(clip_folder), "--json", "--plot", str(plot)])
    assert status == 0, err
    assert "Traceback" not in err
    skipped = [line for line in err.splitlines() if line.startswith("vmb: skipped")]
    assert len(skipped) == 1 and "broken.wav" in skipped[0]
    doc = json.loads(out)
    assert doc["clips"] == 3 and [s["path"] for s in doc["skipped"]] == [str(clip_folder / "broken.wav")]
    genre = doc["attributes"]["genre"]
    assert set(genre["values"]) == {"rock", "classical", "electronic"}
    for d in genre["values"].values():
        assert d["n"] == 1 and d["n_other"] == 2 and 0.0 <= d["auc"] <= 1.0
    assert genre["alignment"]["pairs"] == 3 and genre["alignment"]["candidates"] >= 10
    assert set(doc["attributes"]["instrument"]["values"]) == {"violin", "synthesizer"}
    assert doc["controls"]["tempo"]["n"] == 3 and doc["controls"]["instruments"]["n"] == 2
    assert doc["symbolic"]["n"] == 3 and 0 < doc["symbolic"]["scale_consistency"] <= 1
    assert doc["sync"]["n"] == 1 and 0 <= doc["sync"]["coverage@50ms"] <= 1  # the cue sheet's cuts
    per_clip = {c["name"]: c for c in doc["per_clip"]}
    assert per_clip["electronic"]["sidecar"].endswith("electronic.cues.json")
    assert per_clip["classical"]["key"]["requested"] and per_clip["rock"]["tempo"]["measured"] > 0
    assert len(per_clip["rock"]["tags"]["MTT_musicnn"]) == 50
    assert not doc["KL_musicnn"] and not doc["FD_musicnn"]  # no reference given
    assert "KL_passt" in err and "CLAPScore" in err  # the one line on the paper's model-based metrics
    assert plot.stat().st_size > 10_000


def test_cli_text_report_against_references(clip_folder, tmp_path):
    ref = tmp_path / "ref"
    ref.mkdir()
    for name in ("rock", "classical", "electronic"):
        shutil.copy(clip_folder / f"{name}.wav", ref / f"{name}.wav")
    shutil.copy(clip_folder / "broken.wav", tmp_path / "broken_ref.wav")
    status, out, err = _run(["evaluate", str(clip_folder), "--reference", str(ref)])
    assert status == 0, err
    assert "KL_musicnn" in out and "control deltas" in out and "tag alignment" in out
    assert "FD is biased upward" in out and "at least 4 reference clips" in out
    from vmb.evaluate.suite import evaluate_folder

    report = evaluate_folder(clip_folder, ref)
    for model in ("MTT_musicnn", "MSD_musicnn"):
        assert report.kl[model]["paired"] and report.kl[model]["pairs"] == 3
        assert report.kl[model]["KL"] == pytest.approx(0.0, abs=1e-9)  # the same audio on both sides
        assert report.fd[model]["FD"] == pytest.approx(0.0, abs=1e-3) and report.fd[model]["floor"] is None


def test_cli_usage_errors_are_one_line(tmp_path):
    status, _, err = _run(["evaluate", str(tmp_path / "nowhere")])
    assert status == 1 and err.strip().count("\n") == 0 and "no such folder" in err
    status, _, err = _run(["evaluate", str(tmp_path)])
    assert status == 1 and "no audio files" in err and err.strip().count("\n") == 0
    (tmp_path / "bad.flac").write_bytes(b"fLaC but not really")
    status, _, err = _run(["evaluate", str(tmp_path)])
    assert status == 1 and "vmb: skipped" in err and "none of the 1 audio file(s)" in err
    status, _, err = _run(["evaluate", str(tmp_path), "--plot", str(tmp_path / "plot.jpg")])
    assert status == 1 and ".png" in err


def test_compressed_audio_is_decoded_with_pyav(tmp_path):
    av = pytest.importorskip("av")
    from vmb.evaluate.suite import load_clip_audio

    path = tmp_path / "tone.m4a"
    rate = 44100
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)).astype(np.float32)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(tone[None], format="fltp", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    audio, got_rate = load_clip_audio(path)
    assert got_rate == rate and audio.shape[1] == 2 and abs(len(audio) - rate) < 3000
    spectrum = np.abs(np.fft.rfft(audio[:, 0]))
    assert abs(np.argmax(spectrum) * rate / len(audio) - 440) < 5

"""The render stage of the chain: studio and plain renderers, stems that sum to the mix."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vmb import VmbError
from vmb.knowledge import knowledge
from vmb.pipeline import GenerationRequest, RetrievalOptions, generate_from_text, write_outputs
from vmb.render import SAMPLE_RATE, die_away, mix_parts, synthesize_parts
from vmb.types import Attributes


@pytest.fixture(scope="module")
def with_stems():
    return generate_from_text("background music for a video", user=Attributes(genres=["electronic"]),
                              duration_s=6.0, seed=1, generator="baseline", stems=True)


def test_stems_sum_to_the_mix_before_the_master_bus(with_stems):
    result = with_stems
    score = result.score
    assert set(result.stems) == set(result.render.stems) and {"drums", "bass"} <= set(result.stems)
    assert result.render.renderer == "studio" and result.render.mix == "electronic" == score.style
    parts, _synth = synthesize_parts(score, sample_rate=SAMPLE_RATE)
    mixed = mix_parts(score, parts, knowledge().styles[score.style].mix, SAMPLE_RATE, seed=result.seed, stems=False)
    premix = die_away(mixed.audio, SAMPLE_RATE, start_s=score.beat_to_seconds(score.ending_beat))
    total = sum(result.stems.values()) * 10.0 ** (-result.render.stem_gain_db / 20.0)
    error = np.sqrt(np.mean((total - premix) ** 2)) / np.sqrt(np.mean(premix ** 2))
    assert 20 * np.log10(error + 1e-12) < -60
    assert max(float(np.max(np.abs(s))) for s in result.stems.values()) <= 0.98 + 1e-6  # written unclipped


def test_stems_are_written_beside_the_mix_and_listed(with_stems, tmp_path):
    import soundfile as sf

    out = tmp_path / "song.wav"
    write_outputs(with_stems, out)
    side = json.loads(out.with_suffix(".json").read_text())
    for name in with_stems.stems:
        path = tmp_path / f"song.{name}.wav"
        assert path.is_file() and side["render"]["files"][f"stem:{name}"] == str(path)
        assert sf.info(str(path)).frames == sf.info(str(out)).frames
    assert side["render"]["stems"] == list(with_stems.stems)


def test_plain_renders_one_pass_and_keeps_no_stems():
    result = generate_from_text("calm piano", duration_s=4.0, generator="baseline", renderer="plain")
    assert result.render.renderer == "plain" and result.render.mix is None and not result.stems
    assert result.render.synth.startswith(("tinysoundfont:", "numpy"))
    with pytest.raises(VmbError, match="stems come from the studio renderer"):
        GenerationRequest(text="x", renderer="plain", stems=True).check()
    with pytest.raises(VmbError, match="unknown renderer 'loud'"):
        GenerationRequest(text="x", renderer="loud").check()


def test_parts_rendered_a_group_at_a_time_are_the_same_parts(with_stems):
    score = with_stems.score
    whole, _ = synthesize_parts(score, sample_rate=SAMPLE_RATE, backend="numpy")
    drums = [i for i, t in enumerate(score.tracks) if t.is_drum]
    groups = [drums, [i for i in range(len(score.tracks)) if i not in drums]]
    grouped, _ = synthesize_parts(score, sample_rate=SAMPLE_RATE, backend="numpy", groups=groups)
    assert len(grouped) == len(whole)
    for i in [*groups[1], *groups[0]]:  # in any order
        assert np.array_equal(grouped[i], whole[i])
    settings = knowledge().styles[score.style].mix
    a = mix_parts(score, whole, settings, SAMPLE_RATE, stems=False).audio
    b = mix_parts(score, grouped, settings, SAMPLE_RATE, stems=False).audio
    assert np.array_equal(a, b)


def test_the_band_loads_ahead_while_the_music_is_written_and_never_outlives_the_request(monkeypatch, tmp_path):
    """The studio render's SoundFont and the band's presets load in a background thread from the
    start of the chain (vmb.render.fluid.Preload); the render waits for them, and a request that
    fails first stops and joins it."""
    from tests.fixtures.sf2 import write_sf2
    from vmb.render import fluid

    if fluid.unavailable_reason() is not None:
        pytest.skip(f"FluidSynth: {fluid.unavailable_reason()}")
    monkeypatch.delenv("VMB_SYNTH", raising=False)
    font = str(write_sf2(tmp_path / "tiny.sf2"))
    started = []

    class Watched(fluid.Preload):
        def __init__(self, path, sample_rate, presets):
            self.asked = list(presets)
            started.append(self)
            super().__init__(path, sample_rate, presets)

    monkeypatch.setattr(fluid, "Preload", Watched)
    result = generate_from_text("an upbeat pop song", duration_s=4.0, seed=2, generator="baseline", soundfont=font)
    [preload] = started
    assert not preload._thread.is_alive()
    played = {(128 if t.is_drum else 0, t.program % 128) for t in result.score.tracks if t.notes and not t.voice}
    assert played and played <= set(preload.asked)
    again = generate_from_text("an upbeat pop song", duration_s=4.0, seed=2, generator="baseline", soundfont=font)
    assert again.audio.tobytes() == result.audio.tobytes()  # loaded ahead or already loaded: the same samples

    notlib = tmp_path / "notlib"
    notlib.mkdir()
    (notlib / "file.txt").write_text("mine")
    with pytest.raises(VmbError, match="is not a vmb library"):
        generate_from_text("an upbeat pop song", duration_s=4.0, generator="baseline", soundfont=font,
                           options=RetrievalOptions(library=str(notlib)))
    assert len(started) == 3 and not started[-1]._thread.is_alive()
    generate_from_text("calm piano", duration_s=4.0, generator="baseline", renderer="plain", soundfont=font)
    assert len(started) == 3  # the plain renderer plays tinysoundfont: nothing to load ahead

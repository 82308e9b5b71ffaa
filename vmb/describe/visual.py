"""Colour, structure, face and scene features of one image (the analysis half of the MMDM).

Everything is computed on a copy downscaled to at most :data:`ANALYSIS_SIZE` pixels on the
long side, so the cost does not depend on the input resolution. Conventions:

- the input is an RGB ``uint8`` array of shape (H, W, 3);
- hue is in degrees 0..360; brightness, saturation, contrast and every cue are floats in 0..1;
- warmth is in -1 (blue) .. 1 (red/orange): the mean of (R - B) / 255;
- positions (horizon) are fractions of the image height from the top.

Faces use OpenCV's bundled Haar cascades where this OpenCV build has them, otherwise the
LBP frontal-face cascade that scikit-image ships; without either ``faces`` is ``None``.
Smiles need OpenCV's smile cascade and are ``None`` (unknown) without it.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from vmb.types import JsonMixin

from .vision import VisionCues

ANALYSIS_SIZE = 256  # long side, pixels
PALETTE_SIZE = 5
HUE_NAMES = ["red", "orange", "yellow", "lime", "green", "teal",
             "cyan", "azure", "blue", "violet", "magenta", "pink"]  # 30-degree bins centred on 0, 30, ...
SCENES = ("sky", "overcast", "water", "vegetation", "night", "snow", "urban", "indoor", "sunset", "beach")


@dataclass
class ImageFeatures(JsonMixin):
    """Features of one image (or the per-frame summary of a video). JSON-able except ``thumbnail``."""

    width: int = 0  # of the input, pixels
    height: int = 0
    brightness: float = 0.0  # mean CIELAB L* / 100
    saturation: float = 0.0  # mean HSV saturation of the pixels that are not near-black
    warmth: float = 0.0  # mean (R - B) / 255, -1..1
    yellowness: float = 0.0  # mean CIELAB b* / 100 (Palmer et al.'s yellow-blue axis), about -1..1
    contrast: float = 0.0  # RMS contrast: 2 x std of L*/100, clipped to 0..1
    colourfulness: float = 0.0  # Hasler & Suesstrunk (2003) M on the 0..255 scale (0 grey .. ~110 extreme)
    hue_histogram: list[float] = field(default_factory=list)  # 12 bins (HUE_NAMES), chroma-weighted, sums to 1
    dominant_hues: list[str] = field(default_factory=list)  # hue names with >= 20 % of the chroma, largest first
    hue_variety: float = 0.0  # entropy of hue_histogram / log 12, times min(1, colourfulness / 30): 0..1
    palette: list[str] = field(default_factory=list)  # up to 5 "#rrggbb", most frequent first
    palette_weights: list[float] = field(default_factory=list)  # fraction of pixels per palette colour
    edge_density: float = 0.0  # fraction of Canny edge pixels
    texture: float = 0.0  # mean Sobel gradient magnitude of L*/100, clipped to 0..1
    straight_lines: int = 0  # Hough line segments longer than 15 % of the short side
    axis_lines: float = 0.0  # fraction of those that are near vertical or near horizontal
    symmetry: float = 0.0  # 1 - mirror difference / (2 x mean deviation): 1 symmetric, ~0 unrelated halves
    centre_weight: float = 0.5  # share of gradient energy in the central third vs the whole (0.5 = even)
    horizon: float | None = None  # height fraction of the strongest horizontal brightness step
    horizon_strength: float = 0.0  # size of that step, 0..1
    point_lights: float = 0.0  # fraction of small very bright pixels on a dark image, scaled 0..1
    faces: int | None = None  # None: no face detector in this install
    smiles: int | None = None  # None: no smile detector in this install
    face_area: float = 0.0  # fraction of the image covered by faces
    scenes: dict[str, float] = field(default_factory=dict)  # SCENES -> 0..1 cue strength
    vision: VisionCues | None = None  # what the vision models saw (None: not run or not installed)
    thumbnail: Any = field(default=None, repr=False, compare=False, metadata={"json": False})

    def to_dict(self) -> dict[str, Any]:
        skip = [f.name for f in dataclasses.fields(self) if f.metadata.get("json") is False]
        out = JsonMixin.to_dict(dataclasses.replace(self, **{name: None for name in skip}))
        for name in skip:
            out.pop(name)
        return out


# --------------------------------------------------------------------------- helpers


def downscale(rgb: np.ndarray, size: int = ANALYSIS_SIZE) -> np.ndarray:
    """Resize (area filter) so the long side is at most ``size``; tiny images grow to 8 px."""
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    if scale < 1.0:
        return cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))),
                          interpolation=cv2.INTER_AREA)
    if min(h, w) < 8:  # a 1x1 or 3x500 image: repeat pixels so the filters have room
        grow = int(np.ceil(8 / min(h, w)))
        return cv2.resize(rgb, (w * grow, h * grow), interpolation=cv2.INTER_NEAREST)
    return rgb


def _frac(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else 0.0


def _clip01(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


def _palette(lab: np.ndarray, rgb: np.ndarray, seed: int) -> tuple[list[str], list[float]]:
    """k-means (k-means++ init, seeded) in CIELAB on up to 3000 pixels."""
    pts, cols = lab.reshape(-1, 3).astype(np.float64), rgb.reshape(-1, 3).astype(np.float64)
    rng = np.random.default_rng(seed)
    if len(pts) > 3000:
        idx = rng.choice(len(pts), 3000, replace=False)
        pts, cols = pts[idx], cols[idx]
    k = min(PALETTE_SIZE, len(np.unique(np.round(pts), axis=0)))
    centres = [pts[rng.integers(len(pts))]]
    for _ in range(1, k):
        d2 = np.min([((pts - c) ** 2).sum(1) for c in centres], axis=0)
        centres.append(pts[rng.choice(len(pts), p=d2 / d2.sum())] if d2.sum() > 0 else pts[0])
    centres = np.array(centres)
    for _ in range(12):
        labels = np.argmin(((pts[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        new = np.array([pts[labels == j].mean(0) if np.any(labels == j) else centres[j] for j in range(k)])
        if np.allclose(new, centres):
            break
        centres = new
    labels = np.argmin(((pts[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    counts = np.bincount(labels, minlength=k)
    order = [j for j in np.argsort(-counts, kind="stable") if counts[j] > 0]
    hexes = ["#%02x%02x%02x" % tuple(int(round(v)) for v in cols[labels == j].mean(0)) for j in order]
    return hexes, [round(float(counts[j] / counts.sum()), 4) for j in order]


@functools.lru_cache(maxsize=1)
def _face_detectors() -> tuple[str, Any, Any]:
    """('opencv', face, smile) | ('skimage', cascade, None) | ('none', None, None)."""
    folder = getattr(getattr(cv2, "data", None), "haarcascades", "")
    face_xml = os.path.join(folder, "haarcascade_frontalface_default.xml")
    smile_xml = os.path.join(folder, "haarcascade_smile.xml")
    if hasattr(cv2, "CascadeClassifier") and os.path.exists(face_xml):
        face = cv2.CascadeClassifier(face_xml)
        smile = cv2.CascadeClassifier(smile_xml) if os.path.exists(smile_xml) else None
        if not face.empty():
            return "opencv", face, smile if smile is not None and not smile.empty() else None
    try:  # OpenCV 5 moved the cascades out; scikit-image ships the LBP frontal-face cascade.
        from skimage.data import lbp_frontal_face_cascade_filename
        from skimage.feature import Cascade

        return "skimage", Cascade(lbp_frontal_face_cascade_filename()), None
    except Exception:  # noqa: BLE001 - any import/load failure means "no detector"
        return "none", None, None


def detect_faces(gray: np.ndarray) -> tuple[int | None, int | None, float]:
    """Count faces (and smiles) in a uint8 grayscale image: (faces, smiles, face area fraction)."""
    kind, face, smile = _face_detectors()
    if kind == "none":
        return None, None, 0.0
    h, w = gray.shape
    min_side = max(24, min(h, w) // 12)
    if min(h, w) < min_side:
        return 0, (0 if smile is not None else None), 0.0
    if kind == "opencv":
        boxes = [tuple(b) for b in face.detectMultiScale(gray, 1.15, 5, minSize=(min_side, min_side))]
    else:
        # step 1.5 is 3x faster than 1 and drops most false positives on textures
        found = face.detect_multi_scale(img=gray.astype(np.float64) / 255.0, scale_factor=1.25,
                                        step_ratio=1.5, min_size=(min_side, min_side),
                                        max_size=(min(h, w), min(h, w)), min_neighbor_number=3)
        boxes = [(d["c"], d["r"], d["width"], d["height"]) for d in found]
    smiles = None
    if smile is not None:
        smiles = 0
        for x, y, bw, bh in boxes:  # a smile sits in the lower half of the face box
            mouth = gray[y + bh // 2: y + bh, x: x + bw]
            smiles += int(len(smile.detectMultiScale(mouth, 1.7, 20)) > 0)
    area = sum(bw * bh for _x, _y, bw, bh in boxes) / float(h * w)
    return len(boxes), smiles, round(min(1.0, area), 4)


# --------------------------------------------------------------------------- features


def image_features(rgb: np.ndarray, *, seed: int = 0, faces: bool = True,
                   palette: bool = True) -> ImageFeatures:
    """All features of an RGB uint8 image of shape (H, W, 3).

    ``faces=False`` / ``palette=False`` skip the two slowest parts (video frames use that).
    """
    height, width = rgb.shape[:2]
    small = downscale(rgb)
    h, w = small.shape[:2]
    rgbf = small.astype(np.float32) / 255.0
    hsv = cv2.cvtColor(rgbf, cv2.COLOR_RGB2HSV)  # H degrees, S and V 0..1
    lab = cv2.cvtColor(rgbf, cv2.COLOR_RGB2Lab)  # L 0..100, a/b about -128..127
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    light = lab[..., 0] / 100.0
    gray = (light * 255).astype(np.uint8)
    r, g, b = (rgbf[..., i] * 255.0 for i in range(3))

    # Colour statistics.
    lit = val > 0.15  # saturation is meaningless on near-black pixels
    saturation = float(sat[lit].mean()) if lit.any() else 0.0
    rg, yb = r - g, 0.5 * (r + g) - b
    colourfulness = float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
    chroma = sat * val
    bins = ((hue + 15.0) % 360.0 // 30.0).astype(int)
    hist = np.bincount(bins.ravel(), weights=chroma.ravel(), minlength=12)[:12]
    hist = hist / hist.sum() if hist.sum() > 1e-6 else np.zeros(12)
    dominant = [HUE_NAMES[i] for i in np.argsort(-hist) if hist[i] >= 0.2] if chroma.mean() > 0.04 else []
    p = hist[hist > 0]
    variety = float(-(p * np.log(p)).sum() / np.log(12)) * min(1.0, colourfulness / 30.0) if p.size else 0.0

    # Structure: edges, texture, straight lines.
    edges = cv2.Canny(gray, 60, 160)
    edge_density = _frac(edges > 0)
    gx, gy = cv2.Sobel(light, cv2.CV_32F, 1, 0), cv2.Sobel(light, cv2.CV_32F, 0, 1)
    grad = np.hypot(gx, gy)
    min_len = max(8, int(0.15 * min(h, w)))
    lines = cv2.HoughLinesP(edges, 1, np.pi / 180, threshold=30, minLineLength=min_len, maxLineGap=3)
    segs = lines.reshape(-1, 4) if lines is not None else np.zeros((0, 4))
    angles = np.degrees(np.arctan2(np.abs(segs[:, 3] - segs[:, 1]), np.abs(segs[:, 2] - segs[:, 0])))
    axis_lines = _frac((angles < 8) | (angles > 82))

    # Composition.
    spread = float(np.abs(light - light.mean()).mean())  # mirror difference relative to the image's own contrast
    symmetry = 1.0 - _clip01(float(np.abs(light - light[:, ::-1]).mean()) / (2.0 * spread + 1e-3))
    centre = grad[h // 3: max(h // 3 + 1, 2 * h // 3), w // 3: max(w // 3 + 1, 2 * w // 3)]
    ratio = float(centre.mean() / (grad.mean() + 1e-6))
    profile = cv2.GaussianBlur(light.mean(1).reshape(-1, 1), (1, 5), 0).ravel()
    lo, hi = int(0.1 * h), max(int(0.1 * h) + 1, int(0.9 * h))
    steps = np.abs(profile[lo + 3: hi] - profile[lo: hi - 3]) if hi - lo > 3 else np.zeros(0)
    horizon = (lo + int(np.argmax(steps)) + 1.5) / h if steps.size and steps.max() > 0.06 else None

    # Point lights: small very bright spots on an otherwise dark image.
    bright = light > 0.8
    point_lights = _clip01(_frac(bright) / 0.01) if np.median(light) < 0.25 and _frac(bright) < 0.15 else 0.0

    luma = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)  # the cascades were trained on video luma, not L*
    n_faces, n_smiles, face_area = detect_faces(luma) if faces else (None, None, 0.0)
    hexes, weights = _palette(lab, small, seed) if palette else ([], [])
    thumb = downscale(rgb, 192)  # for the analysis plot
    return ImageFeatures(
        width=int(width), height=int(height), brightness=round(float(light.mean()), 4),
        saturation=round(saturation, 4), warmth=round(float((r - b).mean() / 255.0), 4),
        yellowness=round(float(lab[..., 2].mean() / 100.0), 4),
        contrast=round(_clip01(2.0 * float(light.std())), 4),
        colourfulness=round(colourfulness, 3), hue_histogram=[round(float(x), 4) for x in hist],
        dominant_hues=dominant, hue_variety=round(variety, 4), palette=hexes, palette_weights=weights,
        edge_density=round(edge_density, 4), texture=round(_clip01(float(grad.mean()) / 2.0), 4),
        straight_lines=int(len(segs)), axis_lines=round(axis_lines, 4), symmetry=round(symmetry, 4),
        centre_weight=round(ratio / (ratio + 1.0), 4),
        horizon=None if horizon is None else round(float(horizon), 4),
        horizon_strength=round(_clip01(float(steps.max()) * 3) if steps.size else 0.0, 4),
        point_lights=round(point_lights, 4), faces=n_faces, smiles=n_smiles, face_area=face_area,
        scenes=scene_cues(hue, sat, val, light, edges, len(segs), axis_lines, point_lights, colourfulness),
        thumbnail=thumb,
    )


def scene_cues(hue: np.ndarray, sat: np.ndarray, val: np.ndarray, light: np.ndarray,
               edges: np.ndarray, n_lines: int, axis_lines: float, point_lights: float,
               colourfulness: float) -> dict[str, float]:
    """Scene cue strengths 0..1 from colour regions and structure (see module docstring for units)."""
    h = hue.shape[0]
    top, upper, bottom = slice(0, max(1, h // 3)), slice(0, max(1, 2 * h // 3)), slice(h // 2, h)
    smooth_top = 1.0 - _clip01(_frac(edges[top] > 0) / 0.12)
    blue = (hue >= 185) & (hue <= 255) & (sat > 0.18) & (val > 0.35)
    pale = (sat < 0.15) & (val > 0.65)
    green = (hue >= 65) & (hue <= 170) & (sat > 0.2) & (val > 0.12)
    warm = ((hue <= 50) | (hue >= 330)) & (sat > 0.35) & (val > 0.3)
    sand = (hue >= 20) & (hue <= 55) & (sat > 0.12) & (sat < 0.65) & (val > 0.55)
    watery = (hue >= 170) & (hue <= 250) & (sat > 0.15) & (val > 0.2)

    mean_l = float(light.mean())
    darkness = _clip01((0.32 - mean_l) / 0.2)
    night = darkness * (0.6 + 0.4 * point_lights)
    # A pale top is sky only above a ground that is not also pale (else: a white page or wall).
    pale_sky = _frac(pale[top]) * _clip01(1.0 - _frac(pale[bottom]) / 0.6)
    sky = _clip01(max(_frac(blue[top]), 0.7 * pale_sky) / 0.5) * smooth_top * (1 - darkness)
    vegetation = _clip01(_frac(green) / 0.35)
    water = _clip01(_frac(watery[bottom]) / 0.35) * (1 - darkness)
    # Snow is bright, white and plain: colourful objects on white (a page, toys) are not snow.
    snow = (_clip01(_frac(pale[bottom]) / 0.45) * _clip01((mean_l - 0.45) / 0.25)
            * _clip01((45.0 - colourfulness) / 25.0))
    urban = _clip01(n_lines / 25.0) * _clip01(axis_lines / 0.6) * (1 - 0.7 * vegetation)
    step = float(val[upper].mean() - val[bottom].mean())
    sunset = _clip01(_frac(warm[upper]) / 0.3) * smooth_top * _clip01((step + 0.1) / 0.3)
    overcast = (_clip01(pale_sky / 0.5) * smooth_top * _clip01((25.0 - colourfulness) / 15.0)
                * (1 - darkness))
    warm_light = _clip01(_frac(warm | sand) / 0.4)
    indoor = warm_light * (1 - max(sky, sunset, vegetation, snow, water)) * (1 - darkness)
    beach = _clip01(_frac(sand[bottom]) / 0.25) * max(sky, water) * (1 - darkness)
    cues = {"sky": sky, "overcast": overcast, "water": water, "vegetation": vegetation, "night": night, "snow": snow,
            "urban": urban, "indoor": indoor, "sunset": sunset, "beach": beach}
    return {name: round(float(cues[name]), 4) for name in SCENES}

"""Load an image safely and describe the music that fits it (source="image").

Loading decodes only what the analysis needs: JPEGs are decoded at reduced scale
(``Image.draft``, up to 1/8), so a 12-megapixel photo costs about as much as a small one and a
20000 x 20000 JPEG is decoded at 2500 x 2500. Other formats above :data:`MAX_DECODE_PIXELS`
are refused with a clear message rather than decoded into gigabytes of memory.
"""

from __future__ import annotations

import dataclasses
import os
import re
import warnings

import cv2
import numpy as np
from PIL import Image, JpegImagePlugin, UnidentifiedImageError

from vmb import VmbError
from vmb.types import MusicDescription

from .affect import read_features
from .visual import ANALYSIS_SIZE, ImageFeatures, image_features

MAX_DECODE_PIXELS = 100_000_000  # after JPEG draft reduction; about 300 MB as RGB
# EXIF orientation tag value -> the transpose that shows the picture upright
_ORIENT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}
ImageInput = str | os.PathLike | np.ndarray


def _open_unchecked_jpeg(path: str) -> Image.Image:
    """Open a JPEG without Pillow's decompression-bomb check, which ``draft`` makes unnecessary."""
    return JpegImagePlugin.JpegImageFile(path)


def _to_rgb(im: Image.Image) -> np.ndarray:
    """Any Pillow mode -> RGB uint8; transparency is composited over white, 16-bit is rescaled."""
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        arr = np.asarray(im, dtype=np.float64)
        top = 65535.0 if arr.max() > 255 else 255.0
        gray = np.clip(arr / top * 255.0, 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    return np.asarray(im.convert("RGB"))


def load_image(path: str | os.PathLike, *, max_side: int = 4 * ANALYSIS_SIZE) -> np.ndarray:
    """Read an image file -> RGB uint8 array (H, W, 3), EXIF-rotated, long side <= ``max_side``.

    Raises VmbError (one line naming the file) for a missing file, a file that is not an image,
    a truncated/corrupt image, or an image too large to decode safely.
    """
    return _load(path, max_side)[0]


def _load(path: str | os.PathLike, max_side: int) -> tuple[np.ndarray, tuple[int, int]]:
    """:func:`load_image` plus the stored (width, height) of the file, before any reduction."""
    name = str(path)
    if not os.path.exists(name):
        raise VmbError(f"image {name!r}: file not found")
    if os.path.isdir(name):
        raise VmbError(f"image {name!r}: is a directory, not an image file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit applies below
            try:
                im = Image.open(name)
            except Image.DecompressionBombError:
                with open(name, "rb") as fh:
                    is_jpeg = fh.read(3) == b"\xff\xd8\xff"
                if not is_jpeg:
                    raise
                im = _open_unchecked_jpeg(name)
            with im:
                full_w, full_h = im.size
                orientation = im.getexif().get(0x0112, 1)  # read before resizing drops the metadata
                if im.format == "JPEG":
                    im.draft("RGB", (max_side, max_side))  # decode at 1/2, 1/4 or 1/8 scale
                w, h = im.size
                if w * h > MAX_DECODE_PIXELS:
                    raise VmbError(
                        f"image {name!r}: {full_w}x{full_h} ({full_w * full_h / 1e6:.0f} megapixels) is too "
                        f"large to decode safely (limit {MAX_DECODE_PIXELS / 1e6:.0f} megapixels for "
                        f"{im.format}); downscale it first or save it as JPEG")
                im.load()
                factor = max(im.size) // max_side
                if factor >= 2 and im.mode in ("RGB", "RGBA", "L", "LA"):
                    im = im.reduce(factor)  # box-average: cheap and alias-free
                if orientation in _ORIENT:
                    im = im.transpose(_ORIENT[orientation])
                rgb = _to_rgb(im)
    except VmbError:
        raise
    except UnidentifiedImageError:
        raise VmbError(f"image {name!r}: not an image file Pillow can read "
                       "(expected JPEG, PNG, WebP, GIF, BMP or TIFF)") from None
    except Image.DecompressionBombError as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found.group(1)) / 1e6:.0f} megapixels, " if found else ""
        raise VmbError(f"image {name!r}: too many pixels to decode safely ({size}limit "
                       f"{MAX_DECODE_PIXELS / 1e6:.0f} megapixels); downscale it first") from None
    except (OSError, SyntaxError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "truncated" in reason:
            reason = "the file is truncated (incomplete download or copy?)"
        raise VmbError(f"image {name!r}: cannot decode it: {reason}") from None
    h, w = rgb.shape[:2]
    if max(h, w) > max_side:
        scale = max_side / max(h, w)
        rgb = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    if orientation in (5, 6, 7, 8):  # stored sideways
        full_w, full_h = full_h, full_w
    return rgb, (full_w, full_h)


def as_rgb_array(image: ImageInput) -> np.ndarray:
    """A path or an array -> RGB uint8 (H, W, 3). Arrays may be (H, W), (H, W, 3|4), uint8 or float 0..1."""
    if isinstance(image, (str, os.PathLike)):
        return load_image(image)
    if not isinstance(image, np.ndarray):
        raise VmbError(f"image: expected a file path or a numpy array, got {type(image).__name__}")
    arr = image
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise VmbError(f"image array: expected shape (H, W), (H, W, 3) or (H, W, 4), got {image.shape}")
    if arr.dtype != np.uint8:
        if not np.issubdtype(arr.dtype, np.number) or not np.all(np.isfinite(arr)):
            raise VmbError(f"image array: expected finite numbers, got dtype {arr.dtype}")
        top = 1.0 if np.issubdtype(arr.dtype, np.floating) and arr.max() <= 1.0 else 255.0
        arr = np.clip(arr.astype(np.float64) / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    elif arr.shape[2] == 4:  # composite over white, as for files
        alpha = arr[..., 3:4].astype(np.float64) / 255.0
        arr = (arr[..., :3] * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
    return np.ascontiguousarray(arr)


def analyze_image(image: ImageInput, *, seed: int = 0, vision: bool | None = None) -> ImageFeatures:
    """Visual features of an image file or array (for plots, JSON and :func:`describe_image`).

    ``vision``: run the bundled vision models (:mod:`.vision`: subject, faces and expressions,
    text); None (the default) runs them when installed and ``VMB_VISION`` is not 0.
    """
    from . import vision as vis

    use_vision = vis.enabled() if vision is None else vision
    if isinstance(image, (str, os.PathLike)):  # the colour analysis needs only 256 px: decode little
        rgb, (width, height) = _load(image, vis.FACE_SIZE if use_vision else 2 * ANALYSIS_SIZE)
    else:
        rgb = as_rgb_array(image)
        height, width = rgb.shape[:2]
    return with_vision(rgb, seed=seed, vision=use_vision, width=width, height=height)


def with_vision(rgb: np.ndarray, *, seed: int = 0, vision: bool = True, faces: bool = True, palette: bool = True,
                text: bool = True, width: int | None = None, height: int | None = None) -> ImageFeatures:
    """:func:`~.visual.image_features` plus, with ``vision``, the vision models' cues; the faces
    the vision detector finds (and how many smile) replace the colour analysis' own count."""
    from . import vision as vis

    cues = vis.analyze_vision(rgb, text=text, faces=faces) if vision else None
    seen_faces = cues is not None and "faces" in cues.ran
    features = image_features(rgb, seed=seed, faces=faces and not seen_faces, palette=palette)
    updates: dict = {"vision": cues}
    if seen_faces:
        h, w = vis.resized_shape(rgb.shape[:2], vis.FACE_SIZE)
        updates.update(faces=cues.n_faces, smiles=sum(f.expression == "happy" for f in cues.faces),
                       face_area=round(min(1.0, sum(f.box[2] * f.box[3] for f in cues.faces) / float(h * w)), 4))
    if width is not None:
        updates.update(width=int(width), height=int(height))
    return dataclasses.replace(features, **updates)


def describe_features(features: ImageFeatures, *, seed: int = 0, source: str = "image",
                      pacing=None) -> MusicDescription:
    """Turn already computed features (+ optional video :class:`~.affect.Pacing`) into a description."""
    from .writer import write_sentence

    reading = read_features(features, pacing, seed=seed)
    sentence = write_sentence(reading.attributes, use=reading.use, seed=seed)
    return MusicDescription(sentence=sentence, attributes=reading.attributes,
                            reasoning=reading.reasoning, source=source)


def describe_image(image: ImageInput, *, seed: int = 0) -> MusicDescription:
    """Describe the music for an image file or RGB array: sentence, attributes and reasoning."""
    return describe_features(analyze_image(image, seed=seed), seed=seed, source="image")



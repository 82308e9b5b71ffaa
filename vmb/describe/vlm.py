"""Vision-language-model describer (MMDM with a real VLM): image or video frames -> MusicDescription.

An image-text-to-text model from ``transformers`` (a local folder, or a model id already in the
local Hugging Face cache: nothing is ever downloaded) is prompted to answer with one JSON object
(sentence, moods, genres, instruments, tempo, mode, energy, reasoning). :func:`parse_output`
reads the first ``{...}`` block of the answer, checks every tag against :mod:`vmb.vocab` (unknown
tags are dropped and the reasoning says which), clamps numbers to their ranges, and raises
VmbError when nothing usable is left. Decoding is greedy, so the same input gives the same text.

A video is described from a few frames sampled evenly over its length, tiled into one contact
sheet (every image-text model accepts one image) or, with ``multi_image=True``, passed as
separate images for models that take several. ``transformers``/``peft`` are optional (`vlm`
extra) and imported only here.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from vmb import VmbError, vocab
from vmb.types import Attributes, MusicDescription, VideoTiming

from .writer import circumplex, write_sentence

PROMPT = (
    "Describe the music that would fit this visual content. Answer with one JSON object with the keys "
    '"sentence" (one sentence describing the music), "moods", "genres", "instruments" (lists of words), '
    '"tempo" (BPM number or slow/medium/fast), "mode" (major or minor), "energy" (0 to 1) and '
    '"reasoning" (a list like ["Emotion match: ...", "Scene association: ..."]).'
)
GET_A_MODEL = ("download an image-text-to-text model once, e.g. `huggingface-cli download "
               "llava-hf/llava-interleave-qwen-0.5b-hf --local-dir DIR`, and pass --vlm-model DIR")
SHEET_SIDE = 672  # pixels of the square contact sheet a video's frames are tiled into


def _require_transformers():
    try:
        import transformers
    except ImportError:
        raise VmbError("the VLM describer needs transformers: pip install 'vmb[vlm]'") from None
    return transformers


def load_vlm(path_or_id: str | os.PathLike, *, device: str = "cpu"):
    """Load (model, processor) from a local folder or a locally cached model id; never downloads."""
    transformers = _require_transformers()
    name = str(path_or_id)
    auto = getattr(transformers, "AutoModelForImageTextToText", None) or transformers.AutoModelForVision2Seq
    transformers.utils.logging.disable_progress_bar()
    try:
        processor = transformers.AutoProcessor.from_pretrained(name, local_files_only=True)
        model = auto.from_pretrained(name, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        if not os.path.exists(name):
            raise VmbError(f"VLM model {name!r}: not found (no such folder, nor a model id in the local "
                           f"Hugging Face cache); {GET_A_MODEL}") from None
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise VmbError(f"VLM model {name!r}: cannot load an image-text-to-text model ({reason}); {GET_A_MODEL}") from None
    return model.to(device).eval(), processor


def build_prompt(processor, n_images: int = 1) -> str:
    """The model's chat prompt asking for the JSON, with one image placeholder per image."""
    if getattr(processor, "chat_template", None):
        content = [{"type": "image"} for _ in range(n_images)] + [{"type": "text", "text": PROMPT}]
        return processor.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True)
    token = getattr(processor, "image_token", None) or "<image>"
    return f"USER: {' '.join([token] * n_images)}\n{PROMPT} ASSISTANT:"


def target_json(description: MusicDescription) -> str:
    """The JSON answer the describer expects for a description (the LoRA training target)."""
    a = description.attributes
    tempo: Any = round(a.tempo_bpm) if a.tempo_bpm else a.tempo_class
    return json.dumps({
        "sentence": description.sentence, "moods": a.moods, "genres": a.genres, "instruments": a.instruments,
        "tempo": tempo, "mode": a.mode, "energy": None if a.energy is None else round(a.energy, 2),
        "reasoning": description.reasoning,
    }, ensure_ascii=False)


def contact_sheet(frames: Sequence[np.ndarray], side: int = SHEET_SIDE) -> np.ndarray:
    """Tile RGB frames (H, W, 3) uint8 row by row into one square (side, side, 3) image."""
    import cv2

    cols = int(np.ceil(np.sqrt(len(frames))))
    rows = int(np.ceil(len(frames) / cols))
    cell_w, cell_h = side // cols, side // rows
    sheet = np.zeros((side, side, 3), np.uint8)
    for i, frame in enumerate(frames):
        r, c = divmod(i, cols)
        sheet[r * cell_h:(r + 1) * cell_h, c * cell_w:(c + 1) * cell_w] = cv2.resize(
            np.ascontiguousarray(frame[..., :3]), (cell_w, cell_h), interpolation=cv2.INTER_AREA)
    return sheet


def sample_frames(frames: Sequence[np.ndarray], times_s: Sequence[float], n: int) -> list[int]:
    """Indices of ``n`` frames spread evenly over the video's time span (all frames if fewer)."""
    if len(frames) == 0:
        raise VmbError("video: no frames to describe")
    if len(frames) <= n:
        return list(range(len(frames)))
    times = np.asarray(times_s, dtype=float)
    wanted = np.linspace(times[0], times[-1], n + 2)[1:-1]  # skip the very first/last frame (fades)
    return sorted({int(np.argmin(np.abs(times - t))) for t in wanted})


# --------------------------------------------------------------------------- parsing the answer


def first_json_object(text: str) -> dict:
    """The first balanced ``{...}`` block of ``text`` as a dict; tolerates prose around it.

    Raises VmbError when there is none or it does not parse (trailing commas are forgiven).
    """
    start = text.find("{")
    while start >= 0:
        depth, in_str, escaped = 0, False, False
        for i in range(start, len(text)):
            ch = text[i]
            if in_str:
                escaped = ch == "\\" and not escaped
                if ch == '"' and not escaped:
                    in_str = False
                continue
            if ch == '"':
                in_str = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    block = re.sub(r",\s*([}\]])", r"\1", text[start:i + 1])
                    try:
                        data = json.loads(block)
                    except json.JSONDecodeError:
                        break
                    if isinstance(data, dict):
                        return data
                    break
        start = text.find("{", start + 1)
    raise VmbError(f"VLM answer is not a JSON object: {_excerpt(text)}")


def _excerpt(text: str, n: int = 80) -> str:
    flat = " ".join(text.split())
    return repr(flat[:n] + ("..." if len(flat) > n else ""))


def _words(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [w for w in re.split(r"[,;/]", value) if w.strip()]
    if isinstance(value, (list, tuple)):
        return [str(w) for w in value if isinstance(w, (str, int, float)) and str(w).strip()]
    return []


def _tags(value: Any, normalize, kind: str, dropped: list[str]) -> list[str]:
    out: list[str] = []
    for word in _words(value):
        try:
            out.append(normalize(word))
        except vocab.VocabError:
            dropped.append(f"{kind} {word.strip()!r}")
    return list(dict.fromkeys(out))


def _tempo(value: Any, notes: list[str]) -> tuple[float | None, str | None]:
    if value is None or value == "":
        return None, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not np.isfinite(value):
            notes.append(f"tempo {value!r}")
            return None, None
        bpm = float(np.clip(float(value), vocab.MIN_BPM, vocab.MAX_BPM))
        return bpm, vocab.tempo_class_of(bpm)
    text = str(value).strip().lower()
    number = re.search(r"\d+(\.\d+)?", text)
    if number:
        return _tempo(float(number.group()), notes)
    for name in vocab.TEMPO_CLASSES:
        if name in text:
            return None, name
    notes.append(f"tempo {str(value)!r}")
    return None, None


def parse_output(text: str, *, source: str = "image", seed: int = 0) -> MusicDescription:
    """Turn the model's answer into a MusicDescription validated against the vocabulary.

    Unknown tags are dropped (the reasoning lists them), tempo is clamped to the vocabulary's BPM
    range and energy to 0..1; a missing sentence is written from the tags. Raises VmbError when the
    answer has no JSON object, or neither a sentence nor any known tag.
    """
    data = first_json_object(text)
    dropped: list[str] = []
    moods = _tags(data.get("moods"), vocab.normalize_mood, "mood", dropped)
    genres = _tags(data.get("genres"), vocab.normalize_genre, "genre", dropped)
    instruments = _tags(data.get("instruments"), vocab.normalize_instrument, "instrument", dropped)
    bpm, tempo_class = _tempo(data.get("tempo"), dropped)
    mode = None
    if data.get("mode"):
        try:
            mode = vocab.normalize_mode(str(data["mode"]))
        except vocab.VocabError:
            dropped.append(f"mode {str(data['mode'])!r}")
    energy = None
    try:
        if data.get("energy") is not None and not isinstance(data["energy"], bool):
            energy = float(np.clip(float(data["energy"]), 0.0, 1.0))
            if not np.isfinite(energy):
                raise ValueError("not a number")
    except (TypeError, ValueError):
        energy = None
        dropped.append(f"energy {str(data['energy'])!r}")
    sentence = data.get("sentence") if isinstance(data.get("sentence"), str) else ""
    sentence = " ".join(sentence.split())
    if not sentence and not (moods or genres or instruments):
        raise VmbError(f"VLM answer has neither a sentence nor any known mood, genre or instrument: {_excerpt(text)}")
    valence, arousal = circumplex(moods) if moods else (None, None)
    attributes = Attributes(genres=genres, moods=moods, instruments=instruments, tempo_bpm=bpm,
                            tempo_class=tempo_class, mode=mode, energy=energy, valence=valence, arousal=arousal)
    if not sentence:
        sentence = write_sentence(attributes, seed=seed)
    reasoning = [" ".join(r.split()) for r in _words(data.get("reasoning")) if isinstance(r, str)]
    if isinstance(data.get("reasoning"), str):
        reasoning = [" ".join(data["reasoning"].split())]
    if dropped:
        reasoning.append(f"Vocabulary: dropped {', '.join(dropped)} (not in the vmb vocabulary)")
    return MusicDescription(sentence=sentence, attributes=attributes, reasoning=reasoning, source=source)


# --------------------------------------------------------------------------- the describer


class VlmDescriber:
    """Describe images and videos with a vision-language model; see :func:`VlmDescriber.from_pretrained`."""

    def __init__(self, model, processor, *, device: str = "cpu", max_new_tokens: int = 256,
                 multi_image: bool = False, fallback: bool = False, name: str = ""):
        self.model, self.processor = model, processor
        self.device, self.max_new_tokens = device, max_new_tokens
        self.multi_image, self.fallback, self.name = multi_image, fallback, name

    @classmethod
    def from_pretrained(cls, path_or_id: str | os.PathLike, *, device: str = "cpu", max_new_tokens: int = 256,
                        adapter: str | os.PathLike | None = None, multi_image: bool = False,
                        fallback: bool = False) -> "VlmDescriber":
        """Load a local model (and optionally a LoRA ``adapter`` folder from :func:`vmb.describe.lora.train_lora`).

        ``fallback=True`` answers with the offline analysis describer when the model's answer is unusable.
        """
        model, processor = load_vlm(path_or_id, device=device)
        if adapter is not None:
            model = load_adapter(model, adapter)
        return cls(model, processor, device=device, max_new_tokens=max_new_tokens, multi_image=multi_image,
                   fallback=fallback, name=str(path_or_id))

    def generate_text(self, images: Sequence[np.ndarray]) -> str:
        """The model's greedy answer to :data:`PROMPT` for RGB uint8 images (H, W, 3)."""
        import torch

        prompt = build_prompt(self.processor, len(images))
        inputs = self.processor(images=list(images), text=prompt, return_tensors="pt").to(self.device)
        with torch.no_grad():
            out = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
        new = out[:, inputs["input_ids"].shape[1]:]
        return self.processor.batch_decode(new, skip_special_tokens=True)[0]

    def _describe(self, images: list[np.ndarray], source: str, seed: int, analysis) -> MusicDescription:
        import torch

        torch.manual_seed(seed)
        text = self.generate_text(images)
        try:
            return parse_output(text, source=source, seed=seed)
        except VmbError as exc:
            if not self.fallback:
                raise VmbError(f"VLM {self.name!r}: {exc}") from None
            description = analysis()
            description.reasoning.append(f"VLM answer unusable, analysis describer used instead ({exc})")
            return description

    def describe_image(self, image: str | os.PathLike | np.ndarray, *, seed: int = 0) -> MusicDescription:
        """Describe the music for an image file or RGB uint8 array (H, W, 3)."""
        from .image import describe_image, load_image

        rgb = image if isinstance(image, np.ndarray) else load_image(image)
        return self._describe([rgb], "image", seed, lambda: describe_image(rgb, seed=seed))

    def describe_video(self, frames: Sequence[np.ndarray], times_s: Sequence[float], timing: VideoTiming,
                       *, seed: int = 0, n_frames: int = 4) -> MusicDescription:
        """Describe a video from ``n_frames`` frames sampled evenly over ``times_s`` (seconds)."""
        from .video import describe_video

        picked = [frames[i] for i in sample_frames(frames, times_s, n_frames)]
        images = picked if self.multi_image else [contact_sheet(picked)]
        return self._describe(images, "video", seed, lambda: describe_video(frames, times_s, timing, seed=seed))


def load_adapter(model, adapter: str | os.PathLike):
    """Apply a saved LoRA adapter folder to ``model`` and merge it for inference."""
    try:
        from peft import PeftModel
    except ImportError:
        raise VmbError("loading a LoRA adapter needs peft: pip install 'vmb[vlm]'") from None
    folder = Path(adapter)
    if not (folder / "adapter_config.json").is_file():
        raise VmbError(f"LoRA adapter {str(folder)!r}: no adapter_config.json there (train one with `vmb train mmdm`)")
    return PeftModel.from_pretrained(model, str(folder)).merge_and_unload().eval()

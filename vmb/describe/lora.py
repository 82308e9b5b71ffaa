"""LoRA fine-tuning of the VLM describer on (frames, description) pairs, as MMDM was trained.

Data: a JSONL file, one pair a line::

    {"image": "shots/beach.jpg", "description": {...MusicDescription JSON...}}
    {"frames": ["clip/0001.png", "clip/0002.png"], "description": {...}}

Relative paths are read from the JSONL file's folder. The prompt is the describer's own
(:func:`vmb.describe.vlm.build_prompt`), the target the JSON answer it parses
(:func:`vmb.describe.vlm.target_json`); the loss covers only the target tokens. Low-rank adapters
sit on the language model's attention projections; the vision tower stays frozen. The adapter
folder holds peft's files plus ``vmb_lora.json`` (schema version, base model, settings, losses).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vmb import VmbError
from vmb.types import MusicDescription

from .vlm import build_prompt, contact_sheet, load_vlm, target_json

MANIFEST = "vmb_lora.json"
SCHEMA_VERSION = 1
# Attention projections of the language model (Llama/Qwen/Mistral/Gemma naming), never the vision tower.
TARGET_MODULES = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj)$"


@dataclass
class Pair:
    files: list[Path]  # one image, or video frames (tiled into one contact sheet when read)
    description: MusicDescription

    def images(self) -> list[np.ndarray]:
        """The pair's model input: one RGB uint8 image (H, W, 3), read from disk now."""
        from .image import load_image

        images = [load_image(f) for f in self.files]
        return [contact_sheet(images)] if len(images) > 1 else images


def load_pairs(pairs_path: str | os.PathLike) -> list[Pair]:
    """Read the JSONL training pairs (images stay on disk); raises VmbError naming the line of a bad one."""
    path = Path(pairs_path)
    if not path.is_file():
        raise VmbError(f"training pairs {str(path)!r}: file not found")
    pairs: list[Pair] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"training pairs {str(path)!r} line {n}"
        try:
            row = json.loads(line)
            description = MusicDescription.from_dict(row["description"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise VmbError(f"{where}: not a {{image|frames, description}} object ({exc})") from None
        files = [row["image"]] if "image" in row else row.get("frames") or []
        if not files:
            raise VmbError(f"{where}: needs \"image\" or \"frames\"")
        files = [Path(f) if os.path.isabs(f) else path.parent / f for f in files]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise VmbError(f"{where}: image file {missing[0]!r} not found")
        pairs.append(Pair(files=files, description=description))
    if not pairs:
        raise VmbError(f"training pairs {str(path)!r}: no pairs in the file")
    return pairs


def build_example(processor, pair: Pair) -> dict:
    """Model inputs for one pair: prompt + target tokens, labels -100 everywhere but the target."""
    import torch

    images = pair.images()
    prompt = processor(images=images, text=build_prompt(processor, len(images)), return_tensors="pt")
    tokenizer = processor.tokenizer
    target = tokenizer(target_json(pair.description), add_special_tokens=False, return_tensors="pt").input_ids
    if tokenizer.eos_token_id is not None:
        target = torch.cat([target, torch.tensor([[tokenizer.eos_token_id]])], dim=1)
    input_ids = torch.cat([prompt["input_ids"], target], dim=1)
    labels = torch.cat([torch.full_like(prompt["input_ids"], -100), target], dim=1)
    example = {k: v for k, v in prompt.items() if k not in ("input_ids", "attention_mask")}
    example.update(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), labels=labels)
    return example


def add_lora(model, *, rank: int, seed: int):
    """Wrap ``model`` with fresh LoRA adapters (rank ``rank``, alpha 2*rank) on the attention projections."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    config = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0, target_modules=TARGET_MODULES, bias="none")
    try:
        return get_peft_model(model, config)
    except ValueError as exc:
        raise VmbError(f"LoRA: no language-model attention projections found in this model ({exc})") from None


def train_lora(base_path: str | os.PathLike, pairs_path: str | os.PathLike, out_dir: str | os.PathLike, *,
               steps: int = 200, rank: int = 8, lr: float = 2e-4, seed: int = 0, device: str = "cpu",
               progress=None) -> Path:
    """Fine-tune LoRA adapters of the VLM at ``base_path`` on the pairs; returns the adapter folder.

    One pair per step, in a seeded shuffled order that repeats. ``progress(step, loss)`` is called
    after each step when given. The folder is written whole (temp folder, then renamed), so a
    failed run leaves no half-written adapter.
    """
    if steps < 1 or rank < 1 or not lr > 0:
        raise VmbError(f"LoRA: steps ({steps}) and rank ({rank}) must be >= 1 and lr ({lr}) > 0")
    try:
        import peft  # noqa: F401
        import torch
    except ImportError:
        raise VmbError("LoRA fine-tuning needs peft and torch: pip install 'vmb[vlm]'") from None
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise VmbError(f"LoRA output {str(out)!r}: folder exists and is not a vmb adapter; choose an empty folder")
    pairs = load_pairs(pairs_path)
    model, processor = load_vlm(base_path, device=device)
    model = add_lora(model, rank=rank, seed=seed)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.0)
    rng = np.random.default_rng(seed)
    order: list[int] = []
    losses: list[float] = []
    for step in range(steps):
        if not order:
            order = list(rng.permutation(len(pairs)))
        batch = {k: v.to(device) for k, v in build_example(processor, pairs[order.pop()]).items()}
        loss = model(**batch).loss
        if not torch.isfinite(loss):
            raise VmbError(f"LoRA: loss became {loss.item()} at step {step + 1}; try a smaller --lr")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(round(float(loss.item()), 5))
        if progress is not None:
            progress(step + 1, losses[-1])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        model.save_pretrained(str(tmp))
        manifest = {"schema_version": SCHEMA_VERSION, "kind": "vmb-mmdm-lora", "base_model": str(base_path),
                    "pairs": str(pairs_path), "n_pairs": len(pairs), "steps": steps, "rank": rank, "lr": lr,
                    "seed": seed, "target_modules": TARGET_MODULES, "losses": losses}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)  # only an earlier vmb adapter (checked above)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def read_manifest(adapter_dir: str | os.PathLike) -> dict:
    """The ``vmb_lora.json`` of an adapter folder; raises VmbError if missing or of a newer schema."""
    path = Path(adapter_dir) / MANIFEST
    if not path.is_file():
        raise VmbError(f"LoRA adapter {str(adapter_dir)!r}: no {MANIFEST} (train one with `vmb train mmdm`)")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("schema_version", 0) > SCHEMA_VERSION:
        raise VmbError(f"LoRA adapter {str(adapter_dir)!r}: schema {manifest['schema_version']} is newer than "
                       f"this vmb ({SCHEMA_VERSION}); upgrade vmb")
    return manifest

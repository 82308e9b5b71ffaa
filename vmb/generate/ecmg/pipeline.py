"""The ECMG generation pipeline: bridges + attributes -> lead sheet, through the DiT.

Wires the representation (piano roll), the conditions, the model and the sampler, the way a
diffusers pipeline does; one call returns an :class:`EcmgResult`. Two passes:

1. themes: one 4-bar window per distinct section letter (A, B, ...), each guided by the
   broad reference m_i* (its matching window) through the ControlFormer;
2. the piece: every window of the long-form plan, jointly denoised with shared bars
   averaged, each guided by its section's theme (theme memory: an A section comes back as a
   variation of the A theme), with the text bridge, the targeted reference m_k* and the
   attributes as cross-attention context.

Key and tempo are global (the model works relative to the tonic; the key is applied when
decoding), so every window keeps them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from vmb import VmbError
from vmb.generate.ecmg.checkpoint import load_checkpoint
from vmb.generate.ecmg.conditioning import Conditions, attribute_ids, density_range
from vmb.generate.ecmg.layout import BARS_PER_SEGMENT, SEGMENT_STEPS, STEPS_PER_BAR, step_mask
from vmb.generate.ecmg.longform import default_sections, overlap_callback, plan_windows, stitch
from vmb.generate.ecmg.model import EcmgModel
from vmb.generate.ecmg.onednn import use_onednn
from vmb.generate.ecmg.roll import PianoRoll, Representation, melody_runs
from vmb.generate.ecmg.roll_edit import crop_segment, fit_density, to_mode
from vmb.generate.ecmg.sampler import FlowSampler
from vmb.theory import bar_beats
from vmb.types import Attributes, LeadSheet, Section
from vmb.vocab import METERS, TEMPO_CLASSES, parse_key, tempo_class_of

DEFAULT_CHECKPOINT = "ecmg_default.pt"


# How much of the broad reference's shape the sampler starts from (SDEdit): sampling begins at
# flow time 1 - strength from the noised reference window, fitted to the requested mode and
# density (and, for later sections, from their theme). 0 leaves the reference to the
# ControlFormer alone, which at this training budget passes on rhythm and harmony but little of
# the melody's contour (shipped checkpoint, benchmarks/ecmg_quality.py: contour similarity to
# the reference 0.08 vs -0.02 without it at 0; 0.46 vs -0.06 at 0.5, longest copied run 1.33 bars).
REFERENCE_STRENGTH = 0.5
# A section's first window starts from its theme at the full strength; its repeats with this
# share of it, so that they vary (at the full strength for every window the melodies'
# pitch-class entropy fell below the corpus range).
THEME_RECALL = 0.5
# A take whose melody shares a longer note run than this with the broad reference is redone
# with half the reference strength: the music must be new, not the reference re-sung.
MAX_COPIED_BARS = 2.0


def project_density(roll: np.ndarray, windows: list, bins: list[int], meter: str,
                    n_bars: int, mode: str = "major") -> tuple[np.ndarray, int]:
    """Bring each window's own bars (up to the next window) into its requested density bin.

    Sampling alone meets the bin about 70-80% of the time (benchmarks/ecmg_quality.py); a
    window outside it gets the same reduction / elaboration as the references
    (:func:`fit_density`), aimed inside the bin's inner 70%. The last bar (the cadence) is
    left alone. Returns (roll, number of windows changed).
    """
    mask = step_mask(meter, n_bars)[: roll.shape[0]]
    mask[(n_bars - 1) * STEPS_PER_BAR:] = False
    fixed = 0
    for k, (w, bin_index) in enumerate(zip(windows, bins)):
        a = w.first_bar * STEPS_PER_BAR
        b = windows[k + 1].first_bar * STEPS_PER_BAR if k + 1 < len(windows) else roll.shape[0]
        span = mask[a:b]
        beats = span.sum() / 4
        if beats <= 0:
            continue
        low, high = density_range(bin_index)
        if low <= len(melody_runs(roll[a:b], span)) / beats < high:
            continue
        roll[a:b] = fit_density(roll[a:b], span, *density_range(bin_index, inner=0.7), mode)
        fixed += 1
    return roll, fixed


def default_checkpoint_path() -> Path:
    """Where the shipped checkpoint lives: ``vmb/data/ecmg_default.pt``."""
    return Path(__file__).resolve().parents[2] / "data" / DEFAULT_CHECKPOINT


def energy_to_density(energy: float) -> int:
    """Section energy 0..1 -> melody density bin (calm = sparse, intense = busy)."""
    return int(np.searchsorted((0.3, 0.55, 0.8), energy, side="right"))


def energy_to_register(energy: float) -> int | None:
    """Extreme energies pull the melody low or high; the middle leaves it to the model."""
    return 0 if energy <= 0.2 else 2 if energy >= 0.8 else None


@dataclass
class EcmgResult:
    lead_sheet: LeadSheet
    roll: np.ndarray  # (n_bars * 16, C) the generated piece, key-relative
    windows: list = field(default_factory=list)  # the long-form plan (longform.Window)
    timings_s: dict[str, float] = field(default_factory=dict)
    reference_strength: float = 0.0  # the SDEdit strength used (lowered when a take copied too much)
    copied_bars: float = 0.0  # longest note run shared with the broad reference, in bars
    density_fixed_windows: int = 0  # windows whose melody density was projected into its bin


def checkpoint_identity(path: Path, info: dict) -> dict:
    """{"name", "format_version", "step", "sha256"} of checkpoint ``path`` (``info``: its header)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"name": path.name, "format_version": info.get("version"), "step": info.get("step"),
            "sha256": digest.hexdigest()}


@contextlib.contextmanager
def torch_threads(threads: int | None):
    """Run the block with ``threads`` torch (OpenMP) threads, restored afterwards; None: as set."""
    if threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@functools.lru_cache(maxsize=2)
def load_ecmg(path: str | None = None, steps: int = 16) -> "EcmgPipeline":
    """A pipeline kept per (checkpoint, steps) for the process, so later calls are warm."""
    return EcmgPipeline.from_pretrained(path, steps=steps)


class EcmgPipeline:
    """``EcmgPipeline.from_pretrained()(attributes=..., sentence=..., broad=..., targeted=...)``."""

    def __init__(self, model: EcmgModel, *, steps: int = 16, checkpoint: str = "", threads: int | None = 1):
        self.model = use_onednn(model.eval())  # its products at twice MKL's speed on AMD (see onednn.py)
        # One thread by default: the batches are small, and on a shared or busy CPU a second
        # OpenMP thread that has to wait for a core makes every step several times slower.
        self.threads = threads
        self.representation: Representation = PianoRoll()
        self.sampler = FlowSampler(steps=steps)
        self.checkpoint = checkpoint
        # What the sidecar records: the file's name, format version, step and content hash (not
        # a path of the machine that made it), so a result names the exact weights it came from.
        self.checkpoint_info: dict | None = None

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike | None = None, *, steps: int = 16,
                        threads: int | None = 1) -> "EcmgPipeline":
        """Load ``path`` (default: the shipped checkpoint); bad files raise VmbError naming them."""
        path = Path(path) if path is not None else default_checkpoint_path()
        if not path.exists() and path == default_checkpoint_path():
            raise VmbError(
                f"checkpoint {path}: the default ECMG checkpoint is not installed; train one with "
                "`vmb train ecmg` or use --generator baseline"
            )
        with torch_threads(threads):  # as it samples: two OpenMP threads spin when a core is busy (1.4 s more)
            model, info = load_checkpoint(path, EcmgModel)
        if model.config.representation != PianoRoll.name:  # the codec the weights were trained with
            raise VmbError(f"checkpoint {path} uses the representation {model.config.representation!r}; "
                           f"this vmb decodes {PianoRoll.name!r}")
        pipe = cls(model, steps=steps, checkpoint=str(path), threads=threads)
        pipe.checkpoint_info = checkpoint_identity(path, info)
        return pipe

    # ------------------------------------------------------------------ conditions

    def _reference_window(self, sheet: LeadSheet | None, index: int, *, mode: str | None = None,
                          density: int | None = None, meter: str = "4/4") -> np.ndarray | None:
        """The ``index``-th 4-bar window (cycling) of a reference's roll, skipping a pickup bar.

        With ``mode`` and ``density`` the window is first fitted to the request: moved into the
        parallel mode, and its melody reduced or elaborated into the middle of the density bin
        (the ControlFormer then passes on the reference's shape, not its mode or busyness)."""
        if sheet is None or not sheet.melody:
            return None
        roll = self.representation.encode(sheet)
        n_bars = roll.shape[0] // STEPS_PER_BAR
        first_full = 1 if sheet.melody and min(n.start for n in sheet.melody) > 1e-6 and n_bars > 4 else 0
        starts = list(range(first_full, max(first_full, n_bars - BARS_PER_SEGMENT) + 1, BARS_PER_SEGMENT))
        window = crop_segment(roll, starts[index % len(starts)])
        if mode is not None:
            window = to_mode(window, sheet.mode, mode)
        if density is not None:
            window = fit_density(window, step_mask(meter, BARS_PER_SEGMENT), *density_range(density, inner=0.5),
                                 mode or sheet.mode)
        return window

    def _conditions(self, n: int, *, text: np.ndarray | None, targeted: np.ndarray | None,
                    broad: list[np.ndarray | None], attrs: list[list[int]], meter: str) -> Conditions:
        silent = np.full((SEGMENT_STEPS, self.model.config.channels), -1.0, np.float32)
        return Conditions(
            text=torch.from_numpy(np.repeat((text if text is not None else np.zeros(384, np.float32))[None], n, 0)),
            text_on=torch.full((n,), text is not None),
            targeted=torch.from_numpy(np.repeat((targeted if targeted is not None else silent)[None], n, 0)),
            targeted_on=torch.full((n,), targeted is not None),
            broad=torch.from_numpy(np.stack([b if b is not None else silent for b in broad])),
            broad_on=torch.tensor([b is not None for b in broad]),
            attrs=torch.tensor(attrs, dtype=torch.long),
            step_mask=torch.from_numpy(np.repeat(step_mask(meter, BARS_PER_SEGMENT)[None], n, 0)),
        )

    def _sample(self, cond: Conditions, *, seed: int, guidance: float, control_scale: float,
                callback=None, start: list[np.ndarray | None] | None = None,
                strength: float | list[float] = 0.0) -> np.ndarray:
        gen = torch.Generator().manual_seed(seed)
        uncond = cond.dropped(text=True, targeted=True, broad=True, attrs=True)
        begin = None
        strength = torch.as_tensor(strength, dtype=torch.float32)
        if bool((strength > 0).any()) and start is not None and all(r is not None for r in start):
            begin = torch.from_numpy(np.stack(start).astype(np.float32))
        x = self.sampler.sample(self.model, cond, generator=gen, guidance=guidance, uncond=uncond,
                                control_scale=control_scale, callback=callback,
                                start=begin, start_t=1.0 - strength)
        return x.numpy()

    # ------------------------------------------------------------------ call

    def __call__(self, **request) -> "EcmgResult":
        """See :meth:`generate` (run with ``self.threads`` torch threads, restored afterwards)."""
        with torch_threads(self.threads):
            return self.generate(**request)

    @torch.inference_mode()
    def generate(
        self,
        *,
        attributes: Attributes,
        sentence: str = "",
        text_embedding: np.ndarray | None = None,
        broad: LeadSheet | None = None,
        targeted: LeadSheet | None = None,
        length_beats: float | None = None,
        sections: list[Section] | None = None,
        density: int | None = None,
        seed: int = 0,
        guidance: float = 2.0,
        control_scale: float = 1.0,
        reference_strength: float = REFERENCE_STRENGTH,
        use_text: bool = True,
    ) -> EcmgResult:
        """Generate a lead sheet of ``length_beats`` beats (default: ``attributes.duration_s``
        at its tempo, else 8 bars).

        ``broad`` (m_i*) steers contour and rhythm through the ControlFormer; ``targeted``
        (m_k*) and the text bridge (``text_embedding``, else ``sentence`` encoded with MiniLM)
        are cross-attention context. ``sections`` (beats) give the form and energy curve;
        ``density`` (0..3) overrides the energy-derived note-density bin.
        """
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        key = attributes.key or (targeted.key if targeted else "C")
        key, key_mode = parse_key(key)
        mode = attributes.mode or key_mode or (targeted.mode if targeted else "major")
        meter = attributes.meter or (targeted.meter if targeted else "4/4")
        if meter not in METERS:
            raise VmbError(f"meter {meter!r} is not supported; use one of {', '.join(METERS)}")
        bpm = attributes.tempo_bpm or TEMPO_CLASSES[attributes.tempo_class or "medium"][2]
        tempo_class = attributes.tempo_class or tempo_class_of(bpm)
        per_bar = bar_beats(meter)
        if length_beats is None:
            length_beats = attributes.duration_s * bpm / 60.0 if attributes.duration_s else 8 * per_bar
        if not (0 < length_beats <= 4000):
            raise VmbError(f"length {length_beats:g} beats is out of range (0 < length <= 4000)")
        n_bars = max(1, math.ceil(length_beats / per_bar - 1e-6))
        energy = attributes.energy if attributes.energy is not None else 0.5
        sections = list(sections) if sections else default_sections(n_bars, per_bar, energy)
        windows = plan_windows(n_bars, sections, per_bar)

        if text_embedding is None and use_text and sentence:
            from vmb.embed import encode_texts

            text_embedding = encode_texts([sentence])[0]
        text = None if text_embedding is None or not use_text else np.asarray(text_embedding, np.float32)
        tgt = self._reference_window(targeted, 0)
        timings["prepare"] = time.perf_counter() - t0

        def density_of(w) -> int:
            return density if density is not None else energy_to_density(w.energy)

        def attrs_for(w) -> list[int]:
            return attribute_ids(mode=mode, tempo_class=tempo_class, meter=meter, density=density_of(w),
                                 register=energy_to_register(w.energy), role=w.role)

        def broad_window(w, index: int) -> np.ndarray | None:
            return self._reference_window(broad, index, mode=mode, density=density_of(w), meter=meter)

        # Pass 1: one theme per distinct section letter, guided by the broad reference.
        t1 = time.perf_counter()
        groups = sorted({w.group for w in windows})
        first_of = {g: next(w for w in windows if w.group == g) for g in groups}
        themes: dict[int, np.ndarray | None] = {}
        if len(windows) > 1:
            theme_refs = [broad_window(first_of[g], g) for g in groups]
            cond = self._conditions(len(groups), text=text, targeted=tgt, meter=meter, broad=theme_refs,
                                    attrs=[attrs_for(first_of[g]) for g in groups])
            rolls = self._sample(cond, seed=seed, guidance=guidance, control_scale=control_scale,
                                 start=theme_refs, strength=reference_strength)
            themes = {g: rolls[i] for i, g in enumerate(groups)}
        timings["themes"] = time.perf_counter() - t1

        # Pass 2: all windows jointly, shared bars averaged, each window recalling its theme.
        t2 = time.perf_counter()
        if len(windows) == 1:  # a single window borrows from the broad reference directly
            refs = [broad_window(windows[0], 0)]
        else:
            refs = [themes[w.group] for w in windows]
        cond = self._conditions(len(windows), text=text, targeted=tgt, broad=refs, meter=meter,
                                attrs=[attrs_for(w) for w in windows])
        rolls = self._sample(cond, seed=seed + 1, guidance=guidance, control_scale=control_scale,
                             callback=overlap_callback() if len(windows) > 1 else None,
                             start=refs,
                             strength=[reference_strength * (1.0 if w is first_of.get(w.group, w) else THEME_RECALL)
                                       for w in windows])
        timings["piece"] = time.perf_counter() - t2

        t3 = time.perf_counter()
        roll = stitch(rolls, n_bars)
        roll, fixed = project_density(roll, windows, [density_of(w) for w in windows], meter, n_bars, mode)
        lead = self.representation.decode(
            roll, key=key, mode=mode, meter=meter, sections=sections, length_beats=float(length_beats),
            title="ECMG", source=f"vmb:ecmg:{Path(self.checkpoint).name or 'untrained'}",
        )
        timings["decode"] = time.perf_counter() - t3
        result = EcmgResult(lead_sheet=lead, roll=roll, windows=windows, timings_s=timings,
                            reference_strength=reference_strength, density_fixed_windows=fixed)
        if broad is not None and broad.melody:
            from vmb.evaluate.symbolic import longest_shared_run  # a leaf module: notes in, number out

            result.copied_bars = longest_shared_run(lead.melody, broad.melody, per_bar)
            if result.copied_bars > MAX_COPIED_BARS and reference_strength > 0:  # a new take, held more loosely
                weaker = reference_strength * 0.5 if reference_strength > 0.2 else 0.0
                return self.generate(
                    attributes=attributes, sentence=sentence, text_embedding=text_embedding, broad=broad,
                    targeted=targeted, length_beats=length_beats, sections=sections, density=density,
                    seed=seed + 7919, guidance=guidance, control_scale=control_scale,
                    reference_strength=weaker, use_text=use_text,
                )
        return result

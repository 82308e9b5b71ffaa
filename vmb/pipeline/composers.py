"""The generators, behind one :class:`Composer` protocol and a registry by name.

A composer turns the resolved request (attributes, meter, length and form in beats) and the
music bridge into a lead sheet. ``baseline`` re-composes the retrieved tune it is given;
``ecmg`` is the paper's diffusion transformer, steered by the broad reference (m_i*) through its
ControlFormer and conditioned on the targeted reference (m_k*) and the text bridge. The CLI's
``--generator`` choices are :data:`COMPOSERS`' names. Heavy code is imported on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from vmb import VmbError
from vmb.types import Attributes, LeadSheet, MusicPlan, Reference, Retrieval


@dataclass
class Composition:
    """What a composer made: the lead sheet and what the sidecar should say about it."""

    lead: LeadSheet
    checkpoint: dict | None = None  # the weights' name, version, step and sha256 (ECMG)
    info: dict = field(default_factory=dict)  # references used, strength, copy check ...
    reference: Reference | None = None  # the tune the baseline re-composed


@dataclass(frozen=True)
class ComposeRequest:
    """Everything a composer may use; decided before it is called."""

    attributes: Attributes  # resolved: tempo, mode, energy, meter set
    plan: MusicPlan  # meter, length and form in quarter-note beats (the composer's own form if no sections)
    retrieval: Retrieval
    reference: Reference  # the reference the seed picked (what the baseline builds on)
    text_embedding: np.ndarray  # (384,) the text bridge
    seed: int
    checkpoint: str | None = None  # ECMG weights; None = the shipped ones


class Composer(Protocol):
    name: str
    description: str

    def compose(self, request: ComposeRequest) -> Composition: ...


class BaselineComposer:
    name = "baseline"
    description = "re-compose the retrieved tune into a new lead sheet of the exact length"

    def compose(self, request: ComposeRequest) -> Composition:
        from vmb.generate.baseline import compose_lead_sheet

        lead = compose_lead_sheet(request.reference.entry.lead_sheet, request.attributes,
                                  length_beats=request.plan.length_beats, meter=request.plan.meter,
                                  sections=request.plan.sections, seed=request.seed)
        return Composition(lead=lead, reference=request.reference)


class EcmgComposer:
    name = "ecmg"
    description = "the diffusion transformer with its ControlFormer (the shipped checkpoint or --checkpoint)"

    def compose(self, request: ComposeRequest) -> Composition:
        from vmb.generate.ecmg import load_ecmg

        ecmg = load_ecmg(request.checkpoint)
        broad = next((r for r in request.retrieval.broad if r.entry.lead_sheet is not None), None)
        targeted = next((r for r in request.retrieval.targeted if r.entry.lead_sheet is not None), None)
        made = ecmg(
            attributes=request.attributes, text_embedding=request.text_embedding,
            broad=broad.entry.lead_sheet if broad else None, targeted=targeted.entry.lead_sheet if targeted else None,
            length_beats=request.plan.length_beats, sections=request.plan.sections, seed=request.seed,
        )
        info = {
            "broad_reference": broad.entry.id if broad else None,  # m_i*: ControlFormer + start
            "targeted_reference": targeted.entry.id if targeted else None,  # m_k*: cross-attention
            "reference_strength": made.reference_strength,
            "copied_bars": round(made.copied_bars, 3),
            "density_fixed_windows": made.density_fixed_windows,
            "windows": len(made.windows),
            # bfloat16 products (where the CPU has them) play other notes than float32 ones
            "precision": getattr(ecmg.model, "inference_precision", "float32"),
        }
        return Composition(lead=made.lead_sheet, checkpoint=ecmg.checkpoint_info, info=info)


COMPOSERS: dict[str, Composer] = {c.name: c for c in (BaselineComposer(), EcmgComposer())}
DEFAULT_GENERATOR = "ecmg"  # the diffusion transformer with the shipped checkpoint


def get_composer(name: str) -> Composer:
    if name not in COMPOSERS:
        raise VmbError(f"unknown generator {name!r}; use one of {', '.join(COMPOSERS)}")
    return COMPOSERS[name]

"""The generator registry: every composer turns the same request into a lead sheet."""

from __future__ import annotations

import pytest

from vmb import VmbError
from vmb.pipeline.composers import COMPOSERS, DEFAULT_GENERATOR, ComposeRequest, get_composer
from vmb.pipeline.plan import plan_music
from vmb.testing import fake_entries
from vmb.types import Attributes, Reference, Retrieval


def test_the_cli_offers_exactly_the_registered_generators():
    from vmb.cli import build_parser

    generate = next(a for a in build_parser()._subparsers._group_actions[0].choices["generate"]._actions
                    if a.dest == "generator")
    assert generate.choices == list(COMPOSERS) and generate.default == DEFAULT_GENERATOR in COMPOSERS


def test_an_unknown_generator_is_one_clear_error():
    with pytest.raises(VmbError, match="unknown generator 'magic'; use one of baseline, ecmg"):
        get_composer("magic")


@pytest.mark.parametrize("name", list(COMPOSERS))
def test_each_composer_fills_the_requested_length_in_the_requested_meter(name):
    import numpy as np

    entry = fake_entries(2)[1]  # a 3/4 tune
    assert entry.meter == "3/4"
    ref = Reference(entry=entry, score=0.9, track="targeted")
    attrs = Attributes(tempo_bpm=100.0, tempo_class="medium", mode="minor", energy=0.5, meter="3/4", duration_s=10)
    plan = plan_music(attrs, meter="3/4", duration_s=14.4)  # 100 BPM: 24 beats
    made = get_composer(name).compose(ComposeRequest(
        attributes=attrs, plan=plan,
        retrieval=Retrieval(broad=[ref], targeted=[ref]), reference=ref,
        text_embedding=np.zeros(384, np.float32), seed=0))
    assert made.lead.meter == "3/4" and made.lead.mode == "minor"
    assert made.lead.length_beats == pytest.approx(24.0) and made.lead.melody
    assert (made.checkpoint is not None) == (name == "ecmg") and (made.reference is ref) == (name == "baseline")

"""The baseline composer: a retrieved tune re-composed into a new lead sheet of the exact length.

- :mod:`~vmb.generate.baseline.compose`: the form (intro, A A' B A'', cadence, ending) filled
  with the tune's bars, :func:`compose_lead_sheet`;
- :mod:`~vmb.generate.baseline.parts`: the bar-level building blocks (tune bars, mode mapping,
  melody range, variations, tidying).

It works on lead sheets alone: no torch, no model, no piano roll.
"""

from vmb.generate.baseline.compose import compose_lead_sheet

__all__ = ["compose_lead_sheet"]

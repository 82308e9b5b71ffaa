"""vmb.evaluate: the paper's metrics, offline. Each metric's definition is in its docstring.

- ``controls``: tempo heard, key and instruments of the score (control accuracy);
- ``symbolic``: melody musicality and reference similarity;
- ``sync``: beats and onsets against video cuts;
- ``heard``: what the bundled musicnn taggers hear (KL_musicnn, FD_musicnn, tag alignment,
  control deltas with AUCs), with the attribute -> tag table in ``tagmap``;
- ``suite``: ``vmb evaluate``'s folder run, every score by name (``report``: its table and figure).

The names above load on first use.
"""

from __future__ import annotations

from vmb import lazy_exports

# name -> the module of vmb.evaluate that defines it, imported when the name is first read (PEP 562):
# a generation that scores its own melody (symbolic) does not load the taggers' tables
_HOMES = {
    **dict.fromkeys(("auc", "control_deltas", "evaluate_attribute", "fd_musicnn", "fd_split_half", "frechet_distance",
                     "kl_musicnn", "tag_alignment", "value_scores", "zscore"), ".heard"),
    "EvaluationReport": ".suite", "evaluate_folder": ".suite",
}

__all__ = sorted(_HOMES)


__getattr__, __dir__ = lazy_exports(__name__, _HOMES)

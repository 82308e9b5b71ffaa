"""vmb.evaluate: the paper's metrics, offline. Each metric's definition is in its docstring.

- ``controls``: tempo heard, key and instruments of the score (control accuracy);
- ``symbolic``: melody musicality and reference similarity;
- ``sync``: beats and onsets against video cuts;
- ``heard``: what the bundled musicnn taggers hear (KL_musicnn, FD_musicnn, tag alignment,
  control deltas with AUCs), with the attribute -> tag table in ``tagmap``;
- ``suite``: ``vmb evaluate``'s folder run, every score by name (``report``: its table and figure).
"""

from vmb.evaluate.heard import (
    auc,
    control_deltas,
    evaluate_attribute,
    fd_musicnn,
    fd_split_half,
    frechet_distance,
    kl_musicnn,
    tag_alignment,
    value_scores,
    zscore,
)
from vmb.evaluate.suite import EvaluationReport, evaluate_folder

__all__ = [
    "EvaluationReport", "auc", "control_deltas", "evaluate_attribute", "evaluate_folder", "fd_musicnn",
    "fd_split_half", "frechet_distance", "kl_musicnn", "tag_alignment", "value_scores", "zscore",
]

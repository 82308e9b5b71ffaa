"""Heard metrics: what the bundled musicnn taggers hear in generated audio.

The offline analogues of the paper's audio-model metrics: ``vmb.listen`` (musicnn, MTT and
MSD) stands in for PaSST (KL_passt), OpenL3 (FD_openl3) and CLAP (CLAPScore, control deltas in
CLAP points), none of which installs with its weights offline. Numbers are therefore *not*
comparable with the paper's, only with each other.

Conventions
-----------
- N clips, K tags of one model (50 for each musicnn model), P patches of a clip (3 s each, as
  :class:`vmb.listen.TagResult` returns them), D = 200 dimensions of the ``penultimate``
  embedding.
- *Clip level* is the mean over a clip's patches (musicnn's own tagger pools the same way).
- *Probabilities* are the tagger's sigmoid outputs in [0, 1], independent per tag;
  *points* are 100 x probability (the unit of control deltas, like the paper's CLAP points).
- Logarithms are natural: KL is in nats.
- A *tag table* is (N, C): one row per clip, one column per (model, tag). *z-scores* are per
  column over the N clips of that table, ``(x - mean) / std`` with the population std
  (ddof 0); a column that does not vary is z = 0 throughout. z-scores are relative to the
  clips evaluated together: a folder whose clips all ask for the same thing has mean z 0.
- A *value* is a genre, mood or instrument of ``vmb.vocab``; its *score* on a clip is the mean
  of its tags' columns (:mod:`vmb.evaluate.tagmap`), of probabilities (*raw*) or of z-scores
  (*z*). Values that map to the same tags are one *candidate* when ranking.
- A clip *requests* a value when the value is in its sidecar's ``attributes`` (genres, moods,
  instruments); a clip with no value of an attribute takes no part in that attribute's scores.
- AUC = Mann-Whitney U / (n_pos * n_neg): the probability that a random positive scores above
  a random negative, ties counting 1/2; 0.5 is chance, 1 perfect separation.
- NaN means "not defined here" (a group without clips); it is never silently 0.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from vmb.evaluate.tagmap import attribute_tags, value_columns

__all__ = [
    "FD_CAVEAT", "ValueScores", "auc", "clip_distribution", "control_deltas", "evaluate_attribute",
    "fd_musicnn", "fd_split_half", "frechet_distance", "gaussian_stats", "kl_divergence", "kl_musicnn",
    "rank_of", "tag_alignment", "value_scores", "zscore",
]

FD_CAVEAT = (
    "FD is biased upward on small sets (about 1/N: with N clips the 200 x 200 covariance has rank "
    "at most N - 1); compare FDs of equal set sizes only, and against the real-vs-real floor"
)
MIN_FLOOR_CLIPS = 4


# --------------------------------------------------------------------------- KL_musicnn


def clip_distribution(logits: np.ndarray) -> np.ndarray:
    """Per-patch logits (P, K) -> the clip's tag distribution (K,): softmax of the patch mean.

    The logits are mean-pooled over patches first, then one softmax over the K tags turns them
    into a distribution (sums to 1, every entry > 0), as KL_passt does with PaSST's logits.
    """
    x = np.asarray(logits, np.float64)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or x.shape[0] == 0 or not np.isfinite(x).all():
        raise ValueError(f"expected finite logits (P, K) with P >= 1, got shape {np.shape(logits)}")
    mean = x.mean(axis=0)
    e = np.exp(mean - mean.max())
    return e / e.sum()


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) = sum_k p_k log(p_k / q_k) in nats, for two distributions over the same K tags.

    Terms with p_k = 0 are 0; q_k = 0 where p_k > 0 gives inf.
    """
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    if p.shape != q.shape or p.ndim != 1:
        raise ValueError(f"p and q must be distributions of the same length, got {p.shape} and {q.shape}")
    if (p < 0).any() or (q < 0).any() or not np.isclose(p.sum(), 1) or not np.isclose(q.sum(), 1):
        raise ValueError("p and q must be non-negative and sum to 1")
    on = p > 0
    with np.errstate(divide="ignore"):
        return float(np.sum(p[on] * (np.log(p[on]) - np.log(q[on]))))


def kl_musicnn(generated: Mapping[str, np.ndarray], reference: Mapping[str, np.ndarray]) -> dict:
    """KL_musicnn of one model: mean over paired clips of KL(generated || reference).

    ``generated`` and ``reference`` map a clip's file stem to its per-patch logits (P, K).
    Clips are paired by stem, and only when both sets hold exactly the same stems (a generated
    clip made for each reference clip); otherwise the sets are *unpaired* and no KL is computed.
    Each pair's KL is that of the two :func:`clip_distribution`\\ s. Returns ``{"KL": mean or
    None, "pairs": n, "paired": bool, "note": why not, "per_clip": {stem: KL}}``.
    """
    gen, ref = set(generated), set(reference)
    if not gen or gen != ref:
        common = len(gen & ref)
        note = (f"unpaired: {common} of {len(gen)} generated stems match the {len(ref)} reference stems; "
                "KL needs one reference per generated clip, with the same file name")
        return {"KL": None, "pairs": 0, "paired": False, "note": note, "per_clip": {}}
    per = {s: kl_divergence(clip_distribution(generated[s]), clip_distribution(reference[s])) for s in sorted(gen)}
    return {"KL": float(np.mean(list(per.values()))), "pairs": len(per), "paired": True, "note": "",
            "per_clip": per}


# --------------------------------------------------------------------------- FD_musicnn


def gaussian_stats(embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, D) embeddings -> (mean (D,), covariance (D, D) with ddof 1). Needs N >= 2."""
    x = np.asarray(embeddings, np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or not np.isfinite(x).all():
        raise ValueError(f"expected finite embeddings (N, D) with N >= 2, got shape {np.shape(embeddings)}")
    return x.mean(axis=0), np.atleast_2d(np.cov(x, rowvar=False))


def _psd_eigenvalues(w: np.ndarray) -> np.ndarray:
    """Eigenvalues of a positive semi-definite matrix, rounding noise (below 1e-12 of the
    largest, or negative) set to 0: its square root (1e-7 for 1e-14) would not be noise."""
    return np.where(w > 1e-12 * max(float(w.max(initial=0.0)), 1e-300), w, 0.0)


def _psd_sqrt(c: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((c + c.T) / 2)
    return (v * np.sqrt(_psd_eigenvalues(w))) @ v.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Fréchet distance of two Gaussians: |mu1 - mu2|^2 + Tr(C1 + C2 - 2 (C1 C2)^(1/2)).

    Tr (C1 C2)^(1/2) is computed as Tr (S C2 S)^(1/2) with S = C1^(1/2) (the same eigenvalues,
    and a symmetric positive semi-definite matrix whose square root is exact), so singular
    covariances (fewer clips than dimensions) need no regularising epsilon.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    c1, c2 = np.atleast_2d(np.asarray(cov1, np.float64)), np.atleast_2d(np.asarray(cov2, np.float64))
    if not (mu1.shape == mu2.shape and c1.shape == c2.shape == (mu1.size, mu1.size)):
        raise ValueError(f"mismatched shapes: means {mu1.shape}, {mu2.shape}; covariances {c1.shape}, {c2.shape}")
    s = _psd_sqrt(c1)
    cross = np.linalg.eigvalsh((s @ c2 @ s + (s @ c2 @ s).T) / 2)
    diff = mu1 - mu2
    fd = float(diff @ diff + np.trace(c1) + np.trace(c2) - 2 * np.sqrt(_psd_eigenvalues(cross)).sum())
    return max(fd, 0.0)  # rounding can leave -1e-12 for identical sets


def fd_musicnn(generated: np.ndarray, reference: np.ndarray) -> float:
    """FD_musicnn: :func:`frechet_distance` of Gaussians fitted to two sets of clip embeddings.

    ``generated`` (N, D) and ``reference`` (M, D) are clip-level ``penultimate`` embeddings
    (the mean of each clip's patches); N, M >= 2. Read it with :data:`FD_CAVEAT`.
    """
    return frechet_distance(*gaussian_stats(generated), *gaussian_stats(reference))


def fd_split_half(reference: np.ndarray, *, n_splits: int = 10, seed: int = 0) -> float:
    """The real-vs-real floor: mean FD between two random halves of the reference set.

    Each of ``n_splits`` splits shuffles the M >= 4 clips (``np.random.default_rng(seed)``)
    and takes FD(first floor(M/2), the rest). It is what FD_musicnn reads for sets that differ
    only by sampling; being measured at half the size, it overstates the floor of the full set.
    """
    x = np.asarray(reference, np.float64)
    if x.ndim != 2 or len(x) < MIN_FLOOR_CLIPS:
        raise ValueError(f"a split-half floor needs at least {MIN_FLOOR_CLIPS} reference clips, got {len(x)}")
    rng = np.random.default_rng(seed)
    half = len(x) // 2
    fds = []
    for _ in range(n_splits):
        order = rng.permutation(len(x))
        fds.append(fd_musicnn(x[order[:half]], x[order[half:]]))
    return float(np.mean(fds))


# --------------------------------------------------------------------------- ranks and z-scores


def auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """Mann-Whitney AUC of ``positive`` over ``negative`` (ties 1/2); NaN if either is empty."""
    pos, neg = np.asarray(positive, np.float64).ravel(), np.asarray(negative, np.float64).ravel()
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([pos, neg]))  # average ranks: a tie gives each side 1/2
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2
    return float(u / (pos.size * neg.size))


def zscore(table: np.ndarray) -> np.ndarray:
    """Per-column z-scores of an (N, C) table over its N rows (ddof 0; a constant column is 0)."""
    x = np.asarray(table, np.float64)
    if x.ndim != 2:
        raise ValueError(f"expected a table (N, C), got shape {x.shape}")
    std = x.std(axis=0)
    z = np.zeros_like(x)
    varies = std > 1e-12
    z[:, varies] = (x[:, varies] - x[:, varies].mean(axis=0)) / std[varies]
    return z


@dataclass(frozen=True)
class ValueScores:
    """One attribute's mapped values scored on N clips (see the module conventions).

    ``values`` (V,) in vocabulary order; ``candidate`` (V,) a candidate id per value (values
    with the same tags share one); ``raw`` and ``z`` (N, V); ``unmapped`` the values that have
    no tag in the table's models.
    """

    attribute: str
    values: tuple[str, ...]
    candidate: tuple[int, ...]
    raw: np.ndarray
    z: np.ndarray
    unmapped: tuple[str, ...]

    @property
    def n_candidates(self) -> int:
        return len(set(self.candidate))


def value_scores(attribute: str, probs: np.ndarray, columns: Sequence[tuple[str, str]]) -> ValueScores:
    """Score every value of ``attribute`` on a tag table ``probs`` (N, C) with ``columns``."""
    probs = np.asarray(probs, np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(columns):
        raise ValueError(f"table {probs.shape} does not have the {len(columns)} columns named")
    mapping = value_columns(attribute, columns)
    values = tuple(v for v, idx in mapping.items() if idx)
    ids: dict[tuple[int, ...], int] = {}
    candidate = tuple(ids.setdefault(tuple(sorted(mapping[v])), len(ids)) for v in values)
    z_table = zscore(probs) if len(probs) else probs
    raw = np.stack([probs[:, list(mapping[v])].mean(axis=1) for v in values], axis=1) if values else np.zeros((len(probs), 0))
    z = np.stack([z_table[:, list(mapping[v])].mean(axis=1) for v in values], axis=1) if values else np.zeros((len(probs), 0))
    unmapped = tuple(v for v, idx in mapping.items() if not idx)
    return ValueScores(attribute, values, candidate, raw, z, unmapped)


def rank_of(row: np.ndarray, j: int, candidate: Sequence[int]) -> int:
    """Rank (1 = best) of value ``j`` in one clip's value scores ``row`` (V,).

    1 + the number of *other candidates* scoring strictly higher: values sharing ``j``'s tags
    do not count against it, and an exact tie is resolved in its favour.
    """
    best: dict[int, float] = {}
    for c, s in zip(candidate, row):
        best[c] = max(best.get(c, -np.inf), float(s))
    own = candidate[j]
    return 1 + sum(1 for c, s in best.items() if c != own and s > row[j])


# --------------------------------------------------------------------------- deltas and alignment


def _groups(requested: Sequence[Collection[str]], value: str) -> tuple[np.ndarray, np.ndarray]:
    """(clips requesting ``value``, clips requesting another value of the attribute but not it)."""
    asks = np.array([value in r for r in requested], bool)
    other = np.array([bool(r) and value not in r for r in requested], bool)
    return asks, other


def control_deltas(scores: ValueScores, requested: Sequence[Collection[str]]) -> dict[str, dict]:
    """The paper's Table 5 on musicnn: for each value some clip requests, how its tags move.

    ``requested`` holds one collection of this attribute's values per clip (row of
    ``scores``). For value v with raw score s_v: ``delta`` = mean s_v over the clips that
    request v minus mean s_v over the clips that request another value of the attribute and
    not v, in points; ``auc`` = :func:`auc` of s_v between those two groups; ``n``,
    ``n_other`` their sizes. NaN where a group is empty. Values without a tag are left out.
    """
    if len(requested) != len(scores.raw):
        raise ValueError(f"{len(requested)} requests for {len(scores.raw)} clips")
    asked = {v for r in requested for v in r}
    out = {}
    for j, value in enumerate(scores.values):
        if value not in asked:
            continue
        asks, other = _groups(requested, value)
        s = scores.raw[:, j]
        delta = 100 * (s[asks].mean() - s[other].mean()) if asks.any() and other.any() else float("nan")
        out[value] = {"delta": float(delta), "auc": auc(s[asks], s[other]),
                      "n": int(asks.sum()), "n_other": int(other.sum())}
    return out


def tag_alignment(scores: ValueScores, requested: Sequence[Collection[str]], *, ks: Sequence[int] = (1, 3)) -> dict:
    """How well the heard tags match the request: the offline analogue of CLAPScore.

    Over every (clip, requested value with a tag) pair: ``mean_z`` = mean z score of the
    requested value; ``top{k}_z`` / ``top{k}_raw`` = share of pairs where the value ranks in
    the clip's top k (:func:`rank_of`) among the attribute's ``candidates`` by z / raw score
    (chance is about k / candidates). Also ``per_value``: the same per value, and ``pairs``.
    """
    if len(requested) != len(scores.raw):
        raise ValueError(f"{len(requested)} requests for {len(scores.raw)} clips")
    index = {v: j for j, v in enumerate(scores.values)}
    rows: dict[str, list[tuple[float, dict[str, bool]]]] = {}
    for i, asked in enumerate(requested):
        for value in asked:
            j = index.get(value)
            if j is None:
                continue
            hits = {}
            for k in ks:
                hits[f"top{k}_z"] = rank_of(scores.z[i], j, scores.candidate) <= k
                hits[f"top{k}_raw"] = rank_of(scores.raw[i], j, scores.candidate) <= k
            rows.setdefault(value, []).append((float(scores.z[i, j]), hits))

    def summary(items: list[tuple[float, dict[str, bool]]]) -> dict:
        out = {"pairs": len(items), "mean_z": float(np.mean([z for z, _ in items])) if items else float("nan")}
        for name in (f"top{k}_{kind}" for k in ks for kind in ("z", "raw")):
            out[name] = float(np.mean([h[name] for _, h in items])) if items else float("nan")
        return out

    everything = [item for items in rows.values() for item in items]
    return summary(everything) | {"candidates": scores.n_candidates,
                                  "per_value": {v: summary(rows[v]) for v in scores.values if v in rows}}


def evaluate_attribute(attribute: str, probs: np.ndarray, columns: Sequence[tuple[str, str]],
                       requested: Sequence[Collection[str]], *, ks: Sequence[int] = (1, 3)) -> dict:
    """Every heard score of one attribute by name: per value and the means over values.

    ``probs`` (N, C) clip-level probabilities with ``columns`` (model, tag); ``requested`` the
    attribute's values per clip. Returns ``{"values": {v: delta, auc, n, n_other, mean_z,
    top{k}_z, top{k}_raw}, "mean_delta", "mean_auc" (over values with both), "alignment":
    :func:`tag_alignment` without per_value, "unmapped": values requested that have no tag}``.
    """
    scores = value_scores(attribute, probs, columns)
    deltas = control_deltas(scores, requested)
    align = tag_alignment(scores, requested, ks=ks)
    per_value = {v: deltas[v] | {k: x for k, x in align["per_value"].get(v, {}).items() if k != "pairs"}
                 for v in deltas}
    defined = [d for d in deltas.values() if np.isfinite(d["delta"])]
    known = set(attribute_tags(attribute))
    asked = {v for r in requested for v in r}
    return {
        "values": per_value,
        "mean_delta": float(np.mean([d["delta"] for d in defined])) if defined else float("nan"),
        "mean_auc": float(np.mean([d["auc"] for d in defined])) if defined else float("nan"),
        "alignment": {k: v for k, v in align.items() if k != "per_value"},
        "unmapped": sorted(v for v in asked if v in scores.unmapped or v not in known),
    }

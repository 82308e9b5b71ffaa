"""An :class:`~vmb.evaluate.suite.EvaluationReport` as a readable table and as a figure.

:func:`format_report` is what ``vmb evaluate`` prints; :func:`plot_report` writes the
``--plot`` PNG: the control deltas (points) and AUCs per attribute value, and a heat map of
the z-scored tags (the mapped tags of :mod:`vmb.evaluate.tagmap`) over the clips.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from vmb.evaluate import heard
from vmb.evaluate.suite import MODELS, EvaluationReport
from vmb.evaluate.tagmap import TAG_MAP, parse_tag

__all__ = ["backend_line", "format_report", "plot_report"]

SHORT = {"MTT_musicnn": "MTT", "MSD_musicnn": "MSD"}


def _num(x, fmt: str = ".3f", none: str = "-") -> str:
    return none if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, fmt)


def _pct(x) -> str:
    return _num(None if x is None else 100 * x, ".0f") + ("%" if x is not None and math.isfinite(x) else "")


def backend_line(backends: list[dict]) -> str:
    """One line on the paper's model-based metrics: why they did not run."""
    missing = [f"{b['metric']} ({'/'.join(b['modules'])})" for b in backends if not b["installed"]]
    present = [f"{b['metric']} ({'/'.join(b['installed'])})" for b in backends if b["installed"]]
    parts = []
    if missing:
        parts.append(f"not run: {', '.join(missing)}: not installed (their weights download on first use, "
                     "so none runs offline); the musicnn analogues stand in")
    if present:
        parts.append(f"found {', '.join(present)}, not run: vmb has no local-weights backend for them yet")
    return "; ".join(parts)


def _table(header: list[str], rows: list[list[str]], text: int = 1, *, left: tuple[int, ...] = ()) -> list[str]:
    """Aligned columns: the first ``text`` columns and those in ``left`` left-aligned, the rest
    (numbers) right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < text or i in left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    return [line(header), *map(line, rows)]


def _clip_rows(report: EvaluationReport) -> list[str]:
    rows = []
    for c in report.clips:
        req = c.requested
        asked = ", ".join(req.get("genres", []) + req.get("moods", []) + req.get("instruments", [])) or "-"
        tempo = "-" if not c.tempo else (f"{_num(c.tempo['requested'], '.0f')}/{_num(c.tempo['measured'], '.0f')}"
                                         + ("" if c.tempo["ok"] is None else " ok" if c.tempo["ok"] else " off"))
        key = "-" if not c.key else f"{c.key['found']}{' ok' if c.key['ok'] else ' off'}"
        heard_tags = " | ".join(", ".join(f"{t} {p:.2f}" for t, p in c.top(m, 3)) for m in MODELS)
        rows.append([c.name, f"{c.duration_s:.1f}", asked, tempo, key, heard_tags])
    rows = [[r[0], r[1], r[3], r[4], r[2], r[5]] for r in rows]
    return _table(["clip", "s", "BPM req/heard", "key (MIDI)", "requested", "top tags MTT | MSD"], rows, left=(3, 4, 5))


def format_report(report: EvaluationReport) -> str:
    """The whole report as text (the default stdout of ``vmb evaluate``)."""
    out = [f"{len(report.clips)} clip(s) in {report.generated}"
           + (f", {report.reference_clips} reference clip(s) in {report.reference}" if report.reference else "")
           + (f"; {len(report.skipped)} file(s) skipped" if report.skipped else "")]
    out += ["", *_clip_rows(report)]
    for c in report.clips:
        out += [f"  note {c.name}: {n}" for n in c.notes]

    if report.reference:
        out += ["", "against the reference (musicnn analogues of KL_passt and FD_openl3)"]
        rows = []
        for m in MODELS:
            kl, fd = report.kl.get(m, {}), report.fd.get(m, {})
            rows.append([SHORT[m], _num(kl.get("KL")), str(kl.get("pairs", 0)), _num(fd.get("FD"), ".2f"),
                         _num(fd.get("floor"), ".2f"), f"{fd.get('n_generated', 0)} vs {fd.get('n_reference', 0)}"])
        out += _table(["model", "KL_musicnn", "pairs", "FD_musicnn", "real-vs-real floor", "clips"], rows)
        notes = {n for d in (*report.kl.values(), *report.fd.values()) if (n := d.get("note"))}
        out += [f"  {n}" for n in sorted(notes)] + [f"  {heard.FD_CAVEAT}"]

    if report.attributes:
        n = len(report.clips)
        out += ["", f"tag alignment (offline CLAPScore analogue; z over the {n} clips, top-k among candidates)"]
        rows = []
        for attr, res in report.attributes.items():
            a = res["alignment"]
            rows.append([attr, str(a["pairs"]), str(a["candidates"]), _num(a["mean_z"], "+.2f"), _pct(a["top1_z"]),
                         _pct(a["top3_z"]), _pct(a["top1_raw"]), _pct(a["top3_raw"])])
        out += _table(["attribute", "pairs", "candidates", "mean z", "top-1 z", "top-3 z", "top-1 raw", "top-3 raw"], rows)
        out += ["", "control deltas (requested minus other requests of the attribute, points = 100 x probability)"]
        rows = []
        for attr, res in report.attributes.items():
            for value, d in res["values"].items():
                rows.append([attr, value, str(d["n"]), str(d["n_other"]), _num(d["delta"], "+.1f"), _num(d["auc"], ".2f"),
                             _pct(d.get("top1_z")), _pct(d.get("top3_z"))])
            rows.append([attr, "mean", "", "", _num(res["mean_delta"], "+.1f"), _num(res["mean_auc"], ".2f"), "", ""])
        out += _table(["attribute", "value", "n", "other", "delta", "AUC", "top-1 z", "top-3 z"], rows, text=2)
        unmapped = sorted({v for res in report.attributes.values() for v in res["unmapped"]})
        if unmapped:
            out.append(f"  no musicnn tag (not scored): {', '.join(unmapped)}")

    ctl = report.controls
    lines = []
    for name, what in (("tempo", "tempo heard within 3 % (or x2, /2)"), ("key", "key of the MIDI"),
                       ("instruments", "requested instruments in the MIDI"),
                       ("excluded_instruments", "excluded instruments absent")):
        c = ctl.get(name, {})
        if c.get("n"):
            lines.append(f"  {what}: {c['ok']}/{c['n']} ({_pct(c['share'])})")
    if report.symbolic:
        s = report.symbolic
        lines.append(f"  melody (mean of {s['n']}): pitch-class entropy {s['pitch_class_entropy']:.2f} bits, scale "
                     f"consistency {s['scale_consistency']:.2f}, groove consistency {s['groove_consistency']:.2f}, "
                     f"{s['note_density']:.1f} notes per bar")
    if lines:
        out += ["", "controls and symbolic metrics", *lines]
    if report.sync:
        s = report.sync
        out += ["", (f"video sync on the heard onsets (mean of {s['n']} cue sheet(s)): coverage@50ms "
                     f"{_pct(s['coverage@50ms'])}, Beats Hit@50ms {_pct(s['hit@50ms'])}, median cut-to-onset "
                     f"{s['median_error_s'] * 1000:.0f} ms, BCS {s['BCS']:.2f}, BHS {s['BHS']:.2f}")]
    line = backend_line(report.backends)
    if line:
        out += ["", line]
    return "\n".join(out)


def _heat_columns(report: EvaluationReport) -> list[int]:
    """Indices of the table columns that some attribute value maps to, in model then tag order."""
    mapped = {parse_tag(t) for table in TAG_MAP.values() for tags in table.values() for t in tags}
    return [i for i, col in enumerate(report.columns) if col in mapped]


def plot_report(report: EvaluationReport, path: str | os.PathLike) -> Path:
    """Write the figure: deltas and AUCs per attribute value (if any), then the tag heat map."""
    from matplotlib.figure import Figure  # not pyplot: no global figure registry, no backend to set
    from matplotlib.patches import Rectangle

    from vmb.render.writers import atomic_path

    bars = [(attr, v, d) for attr, res in report.attributes.items() for v, d in res["values"].items()
            if math.isfinite(d["delta"])]  # a value every clip requests has no contrast
    cols = _heat_columns(report)
    z = heard.zscore(report.probs[:, cols]) if len(cols) else np.zeros((len(report.clips), 0))
    n_clips = len(report.clips)
    heat_h = max(3.0, 0.22 * n_clips + 1.5)
    heights = ([2.4, 2.0] if bars else []) + [heat_h]
    width = max(10.0, 0.22 * max(len(cols), len(bars)) + 3)
    fig = Figure(figsize=(width, sum(heights) + 1))
    axes = fig.subplots(len(heights), 1, gridspec_kw={"height_ratios": heights})
    axes = np.atleast_1d(axes)
    if bars:
        colours = {a: f"C{i}" for i, a in enumerate(dict.fromkeys(a for a, _, _ in bars))}
        x = np.arange(len(bars))
        c = [colours[a] for a, _, _ in bars]
        deltas = [d["delta"] for _, _, d in bars]
        aucs = [d["auc"] for _, _, d in bars]
        axes[0].bar(x, deltas, color=c)
        axes[0].axhline(0, color="k", lw=0.6)
        axes[0].set_ylabel("delta (points)")
        axes[0].set_title("control deltas: the requested value's tags when requested minus when another is")
        axes[1].bar(x, aucs, color=c)
        axes[1].axhline(0.5, color="k", lw=0.6, ls="--")
        axes[1].set_ylim(0, 1)
        axes[1].set_ylabel("AUC")
        for ax in axes[:2]:
            ax.set_xticks(x, [f"{v}" for _, v, _ in bars], rotation=60, ha="right", fontsize=7)
            ax.set_xlim(-0.6, len(bars) - 0.4)
        handles = [Rectangle((0, 0), 1, 1, color=col) for col in colours.values()]
        axes[0].legend(handles, list(colours), fontsize=7, loc="upper right")
    ax = axes[-1]
    im = ax.imshow(z, aspect="auto", cmap="coolwarm", vmin=-3, vmax=3, interpolation="nearest")
    ax.set_xticks(range(len(cols)), [f"{SHORT.get(report.columns[i][0], report.columns[i][0])}:{report.columns[i][1]}"
                                     for i in cols], rotation=70, ha="right", fontsize=6)
    labels = [c.name + (f" ({', '.join(c.requested.get('genres', []) + c.requested.get('moods', []) + c.requested.get('instruments', []))})"
                        if c.requested else "") for c in report.clips]
    ax.set_yticks(range(n_clips), labels, fontsize=6 if n_clips > 20 else 7)
    ax.set_title(f"tags heard (z-scored over the {n_clips} clips)")
    fig.colorbar(im, ax=ax, fraction=0.02, pad=0.01, label="z")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return Path(path)

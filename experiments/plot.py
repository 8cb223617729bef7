"""A PNG of an experiment report: each metric's relative lift with its intervals.

One row per metric, one line per treatment variant: the dot is the relative
lift, the thick bar its fixed-horizon 95% interval, the thin bar the wider
always-valid (sequential) interval, the dashed line zero. Colour says what the
adjusted p-value says: green a significant improvement, red a significant
regression (a guardrail's "better" may be lower, as for rebuffering), grey
nothing significant.

Renders with the Agg canvas on a private ``Figure``, never through pyplot, so
it needs no display, keeps no global state and is safe to call from a server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from experiments.analysis import ExperimentReport, MetricResult
from experiments.metrics import METRICS

_BETTER: Final = "#1a7f37"
_WORSE: Final = "#cf222e"
_NEUTRAL: Final = "#57606a"


def plot_report(report: ExperimentReport, path: str | Path, *, dpi: int = 120) -> Path:
    """Write the lift plot of *report* to *path* as a PNG and return the path."""
    metrics = list(dict.fromkeys(result.metric for result in report.metrics))
    variants = list(dict.fromkeys(result.variant for result in report.metrics))
    figure = Figure(figsize=(8, 0.9 + (0.5 + 0.4 * len(variants)) * max(len(metrics), 1)))
    FigureCanvasAgg(figure)
    title = f"{report.experiment_key} (phase {report.phase}): relative lift vs {report.control}"
    if report.srm.flagged:
        title += (
            f"\nSAMPLE RATIO MISMATCH (p = {report.srm.p_value:.1e}): results are not trustworthy"
        )
    figure.suptitle(title, color=_WORSE if report.srm.flagged else "black", fontsize=10)
    if not metrics:
        figure.text(0.5, 0.5, "no metrics", ha="center")
    else:
        axes = figure.subplots(len(metrics), 1, squeeze=False)[:, 0]
        for ax, metric in zip(axes, metrics, strict=True):
            rows = [r for r in report.metrics if r.metric == metric]
            _draw_metric(ax, rows, variants)
        axes[-1].set_xlabel("relative lift (%): thick 95% CI, thin always-valid CI")
    figure.tight_layout()
    out = Path(path)
    figure.savefig(out, format="png", dpi=dpi)
    return out


def _draw_metric(ax: Axes, rows: list[MetricResult], variants: list[str]) -> None:
    primary = rows[0].primary
    ax.set_title(f"{rows[0].metric}{' (primary)' if primary else ''}", loc="left", fontsize=9)
    ax.axvline(0, color="black", linestyle="--", linewidth=0.8)
    ax.set_yticks(range(len(variants)), variants, fontsize=8)
    ax.set_ylim(-0.6, len(variants) - 0.4)
    ax.invert_yaxis()
    ax.tick_params(axis="x", labelsize=8)
    if all(row.rel_lift is None for row in rows):
        ax.set_xlim(-1, 1)  # keep the zero line centred rather than on the frame
    for row in rows:
        y = variants.index(row.variant)
        if row.rel_lift is None:
            ax.text(0, y, " not enough data", va="center", fontsize=8, color=_NEUTRAL)
            continue
        colour = _colour(row)
        if row.sequential_rel_ci_low is not None and row.sequential_rel_ci_high is not None:
            ax.hlines(
                y, 100 * row.sequential_rel_ci_low, 100 * row.sequential_rel_ci_high, colour, lw=1
            )
        if row.rel_ci_low is not None and row.rel_ci_high is not None:
            ax.hlines(y, 100 * row.rel_ci_low, 100 * row.rel_ci_high, colour, lw=4)
        ax.plot([100 * row.rel_lift], [y], "o", color=colour, markersize=5)
        label = f"{100 * row.rel_lift:+.2f}%"
        if row.p_adjusted is not None:
            label += f"  q={row.p_adjusted:.3g}"
        ax.annotate(
            label,
            (100 * row.rel_lift, y),
            (0, 7),
            textcoords="offset points",
            ha="center",
            fontsize=7,
        )


def _colour(row: MetricResult) -> str:
    if not row.significant or row.abs_lift is None:
        return _NEUTRAL
    improved = (row.abs_lift > 0) == METRICS[row.metric].higher_is_better
    return _BETTER if improved else _WORSE

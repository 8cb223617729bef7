"""``flix experiments``: results for the people who run experiments."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import create_async_engine

from datasources import experiments as store
from experiments import codec
from experiments.analysis import ExperimentReport
from resolvers.experiments import report_for
from server.cli.migrate import require_database_url
from server.settings import Settings

app = typer.Typer(help="Experiment commands.", no_args_is_help=True)


async def _report(database_url: str, key: str) -> ExperimentReport | None:
    engine = create_async_engine(database_url)
    try:
        found = await store.definition(engine, key=key)
        return await report_for(engine, codec.from_json(found[1])) if found else None
    finally:
        await engine.dispose()


def _number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def _table(report: ExperimentReport) -> Table:
    table = Table(title=f"{report.experiment_key} · phase {report.phase} · vs {report.control}")
    for column in (
        "metric",
        "variant",
        "control",
        "treatment",
        "lift",
        "95% CI (rel)",
        "always-valid CI (rel)",
        "p",
        "p (BH)",
        "CUPED",
    ):
        table.add_column(column)
    for r in report.metrics:
        table.add_row(
            ("★ " if r.primary else "") + r.metric,
            r.variant,
            _number(r.control_mean),
            _number(r.treatment_mean),
            f"{_number(None if r.rel_lift is None else 100 * r.rel_lift)}%",
            f"[{_number(r.rel_ci_low)}, {_number(r.rel_ci_high)}]",
            f"[{_number(r.sequential_rel_ci_low)}, {_number(r.sequential_rel_ci_high)}]",
            _number(r.p_value),
            _number(r.p_adjusted),
            "yes" if r.cuped_applied else "no",
            style="bold" if r.significant else None,
        )
    return table


@app.command()
def report(
    key: str,
    plot: Path = typer.Option(Path("experiment-report.png"), help="Where to write the PNG."),
) -> None:
    """Per-metric lifts with confidence intervals, the SRM check, and a PNG of the lifts."""
    found = asyncio.run(_report(require_database_url(Settings()), key))
    # Made now, not at import: the width is the terminal's (or COLUMNS) when the command runs.
    console = Console(soft_wrap=True)
    if found is None:
        console.print(f"[red]no experiment with key {key!r}")
        raise typer.Exit(1)
    console.print(_table(found))
    srm = found.srm
    verdict = "[red]MISMATCH — do not trust the lifts" if srm.flagged else "[green]ok"
    console.print(
        f"sample ratio: observed {dict(srm.observed)}, p = {_number(srm.p_value)}: {verdict}"
    )
    # matplotlib is imported here, not with the command line: every other `flix` command,
    # `flix worker` among them, would pay its 0.4 s import at each start.
    from experiments.plot import plot_report

    console.print(f"plot written to {plot_report(found, plot)}")

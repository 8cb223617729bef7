"""The committed SDL (schema.graphql) is what the code exports: clients generate from it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from server.cli import app as cli
from server.cli.schema import SDL_PATH, drift, sdl


def test_committed_sdl_matches_the_code() -> None:
    committed = SDL_PATH.read_text(encoding="utf-8")
    diff = drift(committed, sdl(), SDL_PATH.name)
    assert not diff, "run `flix schema export` and commit schema.graphql:\n" + "".join(diff[:60])


def test_check_fails_with_a_diff_when_the_file_differs(tmp_path: Path) -> None:
    stale = tmp_path / "schema.graphql"
    stale.write_text(sdl().replace("enum RowKind {", "enum RowKind {\n  GONE"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["schema", "export", "--check", "--path", str(stale)])
    assert result.exit_code == 1
    assert "-  GONE" in result.output and "out of date" in result.output


def test_export_writes_what_check_accepts(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    written = CliRunner().invoke(cli, ["schema", "export", "--path", str(target)])
    assert written.exit_code == 0, written.output
    assert target.read_text(encoding="utf-8") == sdl()
    checked = CliRunner().invoke(cli, ["schema", "export", "--check", "--path", str(target)])
    assert checked.exit_code == 0, checked.output

"""``ntm import facts`` and ``ntm import template``: facts from CSV or Excel, and blank templates."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from geo.db import make_session_factory, transaction
from webmap.commands.importing import import_group

KIND_CHOICE = click.Choice(
    ["assessments", "classifications", "ntm-levels", "departments", "sponsorships"]
)


def _default_by() -> str:
    try:
        return f"dòng lệnh ({getpass.getuser()})"
    except (KeyError, OSError):
        return "dòng lệnh"


@import_group.command("facts")
@click.argument("kind", type=KIND_CHOICE)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--by", "by", default=None, help="Who is importing (recorded with every fact).")
def import_facts(kind: str, file: Path, dry_run: bool, by: str | None) -> None:
    """Import facts of KIND from FILE (.csv UTF-8 or .xlsx), all rows or none.

    KIND: assessments, classifications, ntm-levels, departments or sponsorships.
    Get a file with the right columns from `ntm import template KIND OUT.xlsx`.
    """
    from services import fact_import
    from webmap.cli import _engine

    table = fact_import.read_table(file)
    engine = _engine()
    try:
        with (
            transaction(make_session_factory(engine)) as session,
            click.progressbar(length=len(table.rows), label="Đang kiểm tra các dòng") as bar,
        ):
            report = fact_import.import_table(
                session, kind, table, by=by or _default_by(), dry_run=dry_run, progress=bar.update
            )
    finally:
        engine.dispose()
    for warning in report.warnings:
        click.echo(f"Lưu ý: {warning}")
    for outcome in report.outcomes:
        if outcome.status != "accepted":
            click.echo(str(outcome), err=outcome.status == "refused")
    click.echo(report.summary())
    if report.refused:
        raise SystemExit(1)


@import_group.command("template")
@click.argument("kind", type=KIND_CHOICE)
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def import_template(kind: str, out: Path) -> None:
    """Write an Excel template for KIND to OUT.xlsx: headers, an example row, a guide sheet."""
    from services.fact_columns import template_workbook

    out.write_bytes(template_workbook(kind))
    click.echo(f"Đã ghi mẫu {kind} vào {out}")


#: the subcommands live in ``import_group`` (registered by ``webmap.commands.importing``)
commands: list[click.Command] = []

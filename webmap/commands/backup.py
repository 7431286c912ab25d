"""``ntm db backup`` and ``ntm db restore`` (services/backup.py; docs/deployment.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from services import backup as backups
from webmap.cli import _settings, db


@db.command("backup")
@click.argument("destination", type=click.Path(path_type=Path), required=False)
def db_backup(destination: Path | None) -> None:
    """Back up the database while the app runs (pg_dump, or SQLite's online backup).

    DESTINATION defaults to instance/backups/ntm-<date-time>.(dump|sqlite)."""
    url = _settings()["DATABASE_URL"]
    if destination is None:
        suffix = "sqlite" if url.startswith("sqlite") else "dump"
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        destination = Path("instance") / "backups" / f"ntm-{stamp}.{suffix}"
    path = backups.backup(url, destination)
    click.echo(f"Đã sao lưu vào {path} ({path.stat().st_size:,} byte).")


@db.command("restore")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def db_restore(source: Path, yes: bool) -> None:
    """Replace the whole database with the backup SOURCE (all or nothing).

    Stop the web server and workers first."""
    if not yes:
        click.confirm(f"Thay toàn bộ cơ sở dữ liệu bằng bản sao lưu {source}?", abort=True)
    backups.restore(_settings()["DATABASE_URL"], source)
    click.echo(f"Đã khôi phục từ {source}.")


commands: list[click.Command] = []  # both live in the ``db`` group

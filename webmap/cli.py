"""``ntm``: the one command-line entry point of ntm-map.

Every command has ``--help``; long work shows a progress bar.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from geo import schema
from geo.db import make_engine, make_session_factory, transaction
from geo.errors import NtmError
from webmap.settings import from_environment


def _settings() -> dict[str, str]:
    return from_environment()


def _engine():
    url = _settings()["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return make_engine(url)


def _data_dir() -> Path | None:
    value = _settings()["NTM_DATA_DIR"]
    return Path(value) if value else None


@click.group()
def main() -> None:
    """ntm-map: planning the "Ngày thứ 7 vì nông thôn mới" movement of Quảng Trị."""


@main.group()
def db() -> None:
    """Create, upgrade and inspect the database."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target Alembic revision.")
def db_upgrade(revision: str) -> None:
    """Create the database or bring it to the newest schema."""
    engine = _engine()
    schema.upgrade(engine, revision)
    click.echo(f"Database at revision {schema.current_revision(engine)}.")


@db.command("current")
def db_current() -> None:
    """Show the schema revision of the database and the newest one."""
    engine = _engine()
    click.echo(f"database: {schema.current_revision(engine)}  newest: {schema.head_revision()}")


@main.group("load")
def load() -> None:
    """Load reference data and the demo scenario."""


@load.command("reference")
@click.option("--no-boundaries", is_flag=True, help="Load the facts only, not the polygons.")
def load_reference(no_boundaries: bool) -> None:
    """Load the real units, lineage, criteria, classifications and boundaries."""
    from services import reference_data

    engine = _engine()
    with (
        click.progressbar(length=335, label="Đang nạp dữ liệu tham chiếu") as bar,
        transaction(make_session_factory(engine)) as session,
    ):
        counts = reference_data.load_all(
            session, _data_dir(), lambda label, n: bar.update(n), boundaries=not no_boundaries
        )
    for name, count in counts.items():
        click.echo(f"  {name}: {count}")


@main.command("serve")
@click.option("--host", default=None, help="Address to listen on (default NTM_HOST).")
@click.option("--port", default=None, type=int, help="Port (default NTM_PORT).")
@click.option("--workers", default=None, type=int, help="Worker processes (default NTM_WORKERS).")
@click.option(
    "--dev",
    is_flag=True,
    help="Werkzeug's development server in one process (reloads, debugger off); never in "
    "production.",
)
def serve(host: str | None, port: int | None, workers: int | None, dev: bool) -> None:
    """Serve the app with gunicorn (production), or Werkzeug with --dev."""
    from webmap.app import MissingSecretKey, create_app

    settings = _settings()
    host = host or settings["NTM_HOST"]
    port = port or int(settings["NTM_PORT"])
    if dev:
        from webmap.export_worker import start_inline
        from webmap.request_log import configure_logging

        configure_logging()
        app = create_app()
        start_inline(app)  # exports in this process; in production `ntm worker` runs beside
        app.run(host=host, port=port, threaded=True)
        return
    from webmap import server

    try:
        create_app(production=True).extensions["ntm_router"].dispose()  # fail fast, here
    except MissingSecretKey as exc:
        raise click.ClickException(str(exc)) from None
    n = workers or int(settings["NTM_WORKERS"] or server.default_workers())
    click.echo(f"ntm-map: gunicorn, {n} workers, http://{host}:{port}")
    server.run(host, port, n, int(settings["NTM_TIMEOUT"]))


def _register_command_modules() -> None:
    from importlib import import_module

    from webmap.commands import MODULES

    for name in MODULES:
        for command in import_module(f"webmap.commands.{name}").commands:
            main.add_command(command)


_register_command_modules()


def run() -> None:
    """Entry point that turns typed errors into a message and exit code 1."""
    try:
        main(standalone_mode=False)
    except NtmError as exc:
        click.echo(f"Lỗi: {exc.user_msg}", err=True)
        for detail in exc.details:
            click.echo(f"  - {detail}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)

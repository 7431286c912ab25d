"""``ntm import boundaries``: import commune boundaries from a GIS file, all or nothing."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

import click

from webmap.commands.importing import import_group


class VietnameseDate(click.ParamType):
    """A date typed as dd/mm/yyyy."""

    name = "dd/mm/yyyy"

    def convert(self, value, param, ctx) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.datetime.strptime(value.strip(), "%d/%m/%Y").date()
        except ValueError:
            self.fail(f"'{value}' không phải ngày dạng dd/mm/yyyy (ví dụ 01/07/2025).", param, ctx)


def _who() -> str:
    try:
        return f"dòng lệnh ({getpass.getuser()})"
    except (KeyError, OSError):
        return "dòng lệnh"


@import_group.command("boundaries")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--valid-from",
    required=True,
    type=VietnameseDate(),
    help="Date the boundaries take effect (dd/mm/yyyy); codes match the communes valid then.",
)
@click.option(
    "--crs",
    default=None,
    help="CRS of the coordinates when the file declares none (or a wrong one): EPSG:3405, "
    "EPSG:3406, EPSG:4326, vn2000-quang-tri (TM-3, central meridian 106°15'), "
    "vn2000-quang-binh (106°00', former Quảng Bình), vn2000-tm3-<cm>.",
)
@click.option(
    "--encoding",
    default=None,
    help="Text encoding of a shapefile without .cpg, e.g. utf-8 or cp1258.",
)
@click.option(
    "--layer", default=None, help="Layer to import (GeoPackage, or an archive with several)."
)
@click.option(
    "--source", default=None, help="Where the boundaries come from (default: the file name)."
)
@click.option("--licence", default=None, help="Licence of the data.")
@click.option("--attribution", default=None, help="Attribution the source requires.")
@click.option(
    "--status",
    default="imported",
    show_default=True,
    type=click.Choice(["official", "provisional", "derived", "imported"]),
    help="Legal standing of the boundaries.",
)
@click.option(
    "--code-column",
    default=None,
    help="Column with the official code (default: found by name, e.g. code, ma_xa).",
)
@click.option(
    "--name-column",
    default=None,
    help="Column with the name (default: found by name, e.g. fullName, ten_xa, name).",
)
@click.option("--by", "by", default=None, help="Who is importing (recorded with the load).")
@click.option("--dry-run", is_flag=True, help="Check everything and report; write nothing.")
@click.option(
    "--create-missing",
    is_flag=True,
    help="Create new communes for unknown codes (default: refuse them).",
)
def import_boundaries(file: Path, by: str | None, **options) -> None:
    """Import commune boundaries from FILE (GeoJSON, GeoPackage, zipped Shapefile, KML/KMZ).

    One transaction: on any problem nothing is written and every bad feature is listed.
    """
    from geo.db import make_session_factory, transaction
    from services.boundary_import import import_boundaries as run_import
    from webmap.cli import _engine

    options["source"] = options["source"] or file.name
    engine = _engine()
    try:
        with (
            click.progressbar(length=4, label=f"Đang nhập {file.name}") as bar,
            transaction(make_session_factory(engine)) as session,
        ):

            def progress(label: str, n: int) -> None:
                if label == "features":
                    bar.length = 3 + n
                else:
                    bar.update(n)

            report = run_import(session, file, loaded_by=by or _who(), progress=progress, **options)
    finally:
        engine.dispose()
    for line in report.lines():
        click.echo(f"  {line}")
    if report.dataset_load_id is not None:
        click.echo(f"Đã ghi lần nạp dữ liệu số {report.dataset_load_id}.")

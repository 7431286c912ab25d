"""Back up a database, change it, restore it: the backup's state returns, on both engines,
through the ``ntm db backup`` / ``ntm db restore`` commands an operator uses."""

from __future__ import annotations

import pytest
import shapely
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import Session

from geo import schema
from geo.errors import NtmError
from geo.models import AdminUnit, UnitGeometry
from geo.spatial import to_db_geometry
from services import backup
from tests.conftest import _fresh_engine
from webmap.cli import main

SQUARE = shapely.MultiPolygon([shapely.box(107.0, 16.7, 107.1, 16.8)])


def _state(engine: sa.Engine) -> tuple[list[str], list[float]]:
    with Session(engine) as session:
        names = sorted(session.scalars(sa.select(AdminUnit.name)))
        areas = [
            round(a, 6) for a in session.scalars(sa.select(sa.func.ST_Area(UnitGeometry.geom)))
        ]
    return names, areas


def _cli(monkeypatch, url: str, *args: str):
    monkeypatch.setenv("DATABASE_URL", url)
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def test_backup_change_restore(backend, tmp_path_factory, tmp_path, monkeypatch):
    engine = _fresh_engine(backend, "restore", tmp_path_factory)
    url = engine.url.render_as_string(False)
    schema.upgrade(engine)
    with Session(engine) as session:
        unit = AdminUnit(name="Xã Hướng Lập", level="commune", kind="xa")
        unit.geometries.append(
            UnitGeometry(geom=to_db_geometry(SQUARE), area_km2=117.0, source="test")
        )
        session.add(unit)
        session.commit()
    before = _state(engine)
    assert before == (["Xã Hướng Lập"], [0.01])

    result = _cli(monkeypatch, url, "db", "backup", str(tmp_path / "ntm.backup"))
    assert result.exit_code == 0 and "Đã sao lưu" in result.output

    with Session(engine) as session:  # the day's mistakes
        session.execute(sa.delete(UnitGeometry))
        session.add(AdminUnit(name="Xã nhập nhầm", level="commune", kind="xa"))
        session.commit()
    assert _state(engine) != before

    result = _cli(monkeypatch, url, "db", "restore", "--yes", str(tmp_path / "ntm.backup"))
    assert result.exit_code == 0, result.output
    engine.dispose()
    assert _state(engine) == before
    assert schema.current_revision(engine) == schema.head_revision()
    engine.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(backend, tmp_path_factory, tmp_path):
    engine = _fresh_engine(backend, "restore", tmp_path_factory)
    schema.upgrade(engine)
    url = engine.url.render_as_string(False)
    bogus = tmp_path / "notes.txt"
    bogus.write_text("không phải bản sao lưu", encoding="utf-8")
    with pytest.raises(NtmError, match="không phải bản sao lưu"):
        backup.restore(url, bogus)
    assert schema.current_revision(engine) == schema.head_revision()  # untouched
    engine.dispose()

"""``ntm import boundaries`` end to end on a SpatiaLite file: report, progress, refusals."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from geo.db import make_engine
from tests.boundary_samples import real_communes, write_geojson, write_shapefile_zip
from tests.conftest import data_dir
from webmap.cli import main


@pytest.fixture
def cli_env(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'ntm.db'}", "NTM_DATA_DIR": str(data_dir())}
    runner = CliRunner()
    for args in (["db", "upgrade"], ["load", "reference"]):
        result = runner.invoke(main, args, env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return runner, env


def _count(env, table: str) -> int:
    engine = make_engine(env["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))
    finally:
        engine.dispose()


def test_help_lists_every_option():
    result = CliRunner().invoke(main, ["import", "boundaries", "--help"])
    assert result.exit_code == 0
    for option in (
        "--valid-from",
        "--crs",
        "--encoding",
        "--source",
        "--licence",
        "--create-missing",
    ):
        assert option in result.output


def test_import_prints_the_report(cli_env, tmp_path):
    runner, env = cli_env
    path = write_shapefile_zip(
        real_communes(n=3), tmp_path / "xa.zip", encoding="cp1258", cpg=False
    )
    before = _count(env, "unit_geometry")
    result = runner.invoke(
        main,
        [
            "import",
            "boundaries",
            str(path),
            "--valid-from",
            "01/07/2025",
            "--encoding",
            "cp1258",
            "--source",
            "Sở Nông nghiệp và Môi trường",
            "--licence",
            "CC BY 4.0",
        ],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "Tệp xa.zip (Shapefile (zip)): 3 đối tượng, hiệu lực từ 01/07/2025." in result.output
    assert "Đã thêm phiên bản ranh giới mới cho 3 đơn vị có sẵn" in result.output
    assert "Bảng mã: cp1258 (khai báo)." in result.output
    assert _count(env, "unit_geometry") == before + 3


def test_refusal_is_reported_and_nothing_written(cli_env, tmp_path, monkeypatch, capsys):
    from webmap.cli import run

    _, env = cli_env
    communes = real_communes(n=3)
    communes.loc[0, "code"] = "99999"
    path = write_geojson(communes, tmp_path / "xa.geojson")
    before = _count(env, "unit_geometry"), _count(env, "dataset_load")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    argv = ["ntm", "import", "boundaries", str(path), "--valid-from", "01/07/2025"]
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as exited:
        run()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "Lỗi: Không nhập tệp xa.geojson: 1 lỗi, chưa ghi gì vào cơ sở dữ liệu." in err
    assert "  - đối tượng thứ 1 (mã 99999, Phường Đồng Thuận): mã 99999 không khớp" in err
    assert (_count(env, "unit_geometry"), _count(env, "dataset_load")) == before


def test_bad_date_is_refused_by_the_option(cli_env, tmp_path):
    runner, env = cli_env
    path = write_geojson(real_communes(n=1), tmp_path / "xa.geojson")
    result = runner.invoke(
        main, ["import", "boundaries", str(path), "--valid-from", "2025-07-01"], env=env
    )
    assert result.exit_code == 2
    assert "không phải ngày dạng dd/mm/yyyy" in result.output

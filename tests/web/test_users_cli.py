"""``ntm users``: create (prompt or stdin), list, disable, enable, password."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from geo import schema
from geo.db import make_engine
from geo.models import Organisation
from services import accounts
from webmap.cli import main


@pytest.fixture
def database(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    engine = make_engine(url)
    schema.upgrade(engine)
    with Session(engine) as s:
        s.add(Organisation(code="QT45-SXD-2025", name="Sở Xây dựng", kind="department"))
        s.commit()
    yield url, engine
    engine.dispose()


def _run(url, *args, input=None):
    return CliRunner().invoke(main, list(args), input=input, env={"DATABASE_URL": url})


def test_create_list_disable(database):
    url, engine = database
    made = _run(url, "users", "create", "can.bo", "--role", "department_officer",
                "--organisation", "QT45-SXD-2025", "--name", "Cán Bộ", "--password-stdin",
                input="mat-khau-rat-dai\n")  # fmt: skip
    assert made.exit_code == 0, made.output
    prompted = _run(url, "users", "create", "xem", "--role", "viewer",
                    input="mat-khau-rat-dai\nmat-khau-rat-dai\n")  # fmt: skip
    assert prompted.exit_code == 0, prompted.output
    listed = _run(url, "users", "list")
    assert "can.bo\tdepartment_officer\tQT45-SXD-2025\tactive\tCán Bộ" in listed.output
    assert "xem\tviewer\t-\tactive" in listed.output
    assert _run(url, "users", "disable", "xem").exit_code == 0
    assert "xem\tviewer\t-\tdisabled" in _run(url, "users", "list").output
    with Session(engine) as s, pytest.raises(accounts.AuthenticationError):
        accounts.authenticate(s, "xem", "mat-khau-rat-dai")
    assert _run(url, "users", "enable", "xem").exit_code == 0
    assert _run(url, "users", "password", "xem", "--password-stdin",
                input="mat-khau-moi-nua\n").exit_code == 0  # fmt: skip
    with Session(engine) as s:
        assert accounts.authenticate(s, "xem", "mat-khau-moi-nua").username == "xem"


def test_errors_are_told_in_vietnamese(database):
    url, _ = database
    unknown = _run(url, "users", "create", "a1", "--role", "department_officer",
                   "--organisation", "KHONG-CO", "--password-stdin", input="mat-khau-rat-dai\n")  # fmt: skip
    assert unknown.exit_code != 0
    assert "KHONG-CO" in str(unknown.exception.user_msg)
    short = _run(url, "users", "create", "a2", "--role", "viewer", "--password-stdin",
                 input="ngan\n")  # fmt: skip
    assert "ít nhất 10 ký tự" in short.exception.user_msg
    assert _run(url, "users", "--help").exit_code == 0

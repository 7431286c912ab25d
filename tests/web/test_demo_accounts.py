"""`ntm users demo`: one demo account per role, random passwords that really sign in."""

from __future__ import annotations

import stat

from click.testing import CliRunner

from tests.conftest import data_dir
from webmap.app import create_app
from webmap.cli import main


def test_demo_accounts_sign_in(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("NTM_DATA_DIR", str(data_dir()))
    runner = CliRunner()
    for args in (["db", "upgrade"], ["load", "reference", "--no-boundaries"]):
        assert runner.invoke(main, args).exit_code == 0
    out = tmp_path / "accounts.txt"
    first = runner.invoke(main, ["users", "demo", "--file", str(out)])
    assert first.exit_code == 0, first.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = [line.split() for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    assert [r[0] for r in rows] == ["demo-admin", "demo-planner", "demo-so-nnmt", "demo-viewer"]
    passwords = {r[0]: r[1] for r in rows}

    again = runner.invoke(main, ["users", "demo", "--file", str(out)])
    assert again.exit_code == 0
    new_passwords = {r.split()[0]: r.split()[1] for r in again.output.splitlines()[1:]}
    assert new_passwords.keys() == passwords.keys() and new_passwords != passwords

    app = create_app({"TESTING": True, "DATABASE_URL": url, "NTM_SECRET_KEY": "t"})
    try:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        response = client.post(
            "/login",
            data={"username": "demo-planner", "password": new_passwords["demo-planner"],
                  "csrf_token": token},
        )  # fmt: skip
        assert response.status_code == 302
        wrong = client.post(
            "/login",
            data={"username": "demo-viewer", "password": passwords["demo-viewer"],
                  "csrf_token": token},
        )  # fmt: skip
        assert wrong.status_code != 302
    finally:
        app.extensions["ntm_engine"].dispose()

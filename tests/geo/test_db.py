"""Engines for both databases: what every connection is set up with."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from geo.db import make_engine


def _postgis_test_url() -> str:
    base = os.environ.get("NTM_TEST_POSTGIS_URL")
    if not base:
        pytest.skip("NTM_TEST_POSTGIS_URL is not set (make test sets it)")
    return f"{base}_empty"


def test_postgis_sessions_run_without_jit_and_keep_given_options():
    plain = make_engine(_postgis_test_url())
    with_path = make_engine(_postgis_test_url(), connect_args={"options": "-c search_path=public"})
    try:
        with plain.connect() as conn:
            assert conn.scalar(sa.text("SHOW jit")) == "off"
        with with_path.connect() as conn:
            assert conn.scalar(sa.text("SHOW jit")) == "off"
            assert conn.scalar(sa.text("SHOW search_path")) == "public"
    finally:
        plain.dispose()
        with_path.dispose()


def test_spatialite_connections_enforce_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fk.sqlite'}")
    try:
        with engine.connect() as conn:
            assert conn.scalar(sa.text("PRAGMA foreign_keys")) == 1
            assert conn.scalar(sa.text("SELECT spatialite_version()"))
    finally:
        engine.dispose()

"""What a proxy, systemd or a browser asks of the server itself: liveness, readiness, favicon.

- ``/healthz``: the process answers (200, no database work);
- ``/readyz`` (or ``/healthz?ready=1``): the primary database answers (else 503); each replica
  is listed with its state; a replica down makes the answer ``degraded``, still 200, as reads
  then go to the primary.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request, send_from_directory

from webmap.db import Router

bp = Blueprint("server", __name__)


@bp.get("/healthz")
def healthz():
    if request.args.get("ready"):
        return readyz()
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    router: Router = current_app.extensions["ntm_router"]
    try:
        with router.primary.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        current_app.logger.error("readiness: primary database unreachable: %s", exc)
        return jsonify(status="unavailable", database="unreachable"), 503
    replicas = [
        {
            "name": r.name,
            "usable": r.check(router.max_lag_s, force=True),
            "lag_s": None if r.lag_s is None else round(r.lag_s, 1),
        }
        for r in router.replicas
    ]
    status = "ok" if all(r["usable"] for r in replicas) else "degraded"
    return jsonify(status=status, database="ok", replicas=replicas)


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder or "", "favicon.ico", max_age=7 * 86400)

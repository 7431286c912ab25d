"""``ntm serve``: gunicorn, a production WSGI server, running ``webmap.wsgi:app``.

Why gunicorn: the reference pre-fork WSGI server for Linux, kept by an active project, with
worker supervision (a worker that hangs past ``NTM_TIMEOUT`` or dies is replaced), graceful
reloads on SIGHUP and restarts under systemd. Sync workers suit this app: each request is short
CPU work in Python and GeoPandas plus a database query, and nothing keeps a connection open;
the slow exports run in ``ntm worker``, not here. (waitress, the other well-kept pure-Python
server, runs threads in one process, which the GIL limits to one core for this CPU-bound app.)
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication


def default_workers() -> int:
    """gunicorn's advice, 2 × cores + 1, capped at 9 (each worker holds GeoPandas in memory)."""
    return min(2 * (os.cpu_count() or 1) + 1, 9)


def gunicorn_options(host: str, port: int, workers: int, timeout: int) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        "timeout": timeout,
        "graceful_timeout": 30,
        "keepalive": 5,
        # a worker is replaced after about this many requests (memory growth of long runs)
        "max_requests": 5000,
        "max_requests_jitter": 500,
        # the app logs one line per request itself (with the user); gunicorn logs its own events
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "ntm-web",
        # behind the proxy of docs/deployment.md, on the same machine
        "forwarded_allow_ips": "127.0.0.1,::1",
    }


class Server(BaseApplication):
    """gunicorn running ``webmap.wsgi:app`` in each worker."""

    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from webmap.wsgi import app

        return app


def run(host: str, port: int, workers: int, timeout: int) -> None:
    Server(gunicorn_options(host, port, workers, timeout)).run()

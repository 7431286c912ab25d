"""``ntm worker``: run the export jobs of the database queue."""

from __future__ import annotations

import logging
import signal
import threading

import click

from webmap.export_worker import Worker


@click.command("worker")
@click.option("--once", is_flag=True, help="Run the jobs waiting now, then stop.")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between looks at the queue.")
def worker_command(once: bool, poll: float) -> None:
    """Render the exports (map PNG/PDF, meeting packs, report PDFs) that users queued.

    Each worker runs one job at a time in its own headless Chromium; start several for more
    (`make demo` starts one). Stops cleanly on SIGTERM or Ctrl-C after the job in hand.
    """
    from webmap.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    app = create_app()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = Worker(app, stop)
    click.echo(f"ntm worker {worker.name}: chờ lượt xuất trong cơ sở dữ liệu …")
    taken = worker.run(once=once, poll_s=poll)
    click.echo(f"ntm worker {worker.name}: đã chạy {taken} lượt xuất.")


commands = [worker_command]

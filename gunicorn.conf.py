"""gunicorn settings for the `web` process (Procfile: `gunicorn -c gunicorn.conf.py wsgi:app`).

/metrics in multiprocess mode: each sync worker is its own process, so
prometheus_client keeps the request counters in files under
PROMETHEUS_MULTIPROC_DIR and sums them at scrape time. The directory is
emptied when the master starts (stale files would add old counts) and a dead
worker's gauges are dropped (`child_exit`). Request durations for the service
levels are flushed to the database by each worker when it exits.
"""
import os
import shutil
import tempfile

_metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                                     os.path.join(tempfile.gettempdir(), f"frontdesk-prometheus-{os.getuid()}"))

bind = "0.0.0.0:" + os.environ.get("PORT", "5000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = "-"


def on_starting(server):
    """Start from an empty metrics directory (the master runs this once, before any worker)."""
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)


def child_exit(server, worker):
    """A worker ended: its live gauges no longer count (its counters stay summed)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def worker_exit(server, worker):
    """Write the worker's last request durations before it goes (atexit does too; this covers SIGTERM)."""
    try:
        from app.observability import requests as recorder
        from wsgi import app

        with app.app_context():
            recorder.flush()
    except Exception:  # noqa: BLE001 - a worker that cannot flush still exits
        pass

"""A gunicorn server for the HTTP benchmarks (bench/booking.py, bench/search.py)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """`gunicorn --workers N --worker-class sync` in the repository root, its own log lines kept
    in bench/results/server-<tag>.log (out of the tables)."""

    def __init__(self, target: str, env: dict[str, str], workers: int, tag: str):
        self.port = free_port()
        RESULTS.mkdir(exist_ok=True)
        self.log_path = RESULTS / f"server-{tag}.log"
        with open(self.log_path, "w") as log_file:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                 "--worker-class", "sync", "--log-level", "warning", target],
                cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, start_new_session=True,
                stdout=log_file, stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def error_lines(self) -> int:
        """ERROR lines and tracebacks in the server's log."""
        text = self.log_path.read_text(errors="replace")
        return text.count('"level": "ERROR"') + text.count(" ERROR ") + text.count("Traceback")

"""CPU time of processes, from /proc (Linux): who spends the machine's cores.

Throughput on a shared 2-core machine is noisy; CPU seconds per request are
much less so, and they say where a request's cost goes (client, Python
server, PostgreSQL backend).
"""
from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """utime + stime of one process in seconds (0.0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out.extend(int(c) for c in (task / "children").read_text().split())
        except FileNotFoundError:
            continue
    return out


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of a process and its children, by pid."""
    return {p: process_cpu(p) for p in [pid, *children(pid)]}


def delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU spent between two snapshots by the processes alive at the end
    (processes that started in between count from zero)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


class PgBackends:
    """CPU of the PostgreSQL backends serving one database (same machine)."""

    def __init__(self, conn):
        self.conn = conn

    def snapshot(self) -> dict[int, float]:
        pids = [r[0] for r in self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'")]
        return {pid: process_cpu(pid) for pid in pids}

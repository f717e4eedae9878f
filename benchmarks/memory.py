"""Wall time and peak resident memory of one stage (with its worker processes), sampled from /proc."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


def process_rss_mb(pid: str) -> float:
    try:
        lines = (PROC / pid / "status").read_text().splitlines()
    except OSError:
        return 0.0
    for line in lines:
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def descendants(pid: str) -> list[str]:
    """Child processes (validation workers) and theirs; a process that ended has none."""
    children = []
    try:
        for task in (PROC / pid / "task").iterdir():
            children += (task / "children").read_text().split()
    except OSError:
        return []
    return children + [d for child in children for d in descendants(child)]


def rss_mb() -> float:
    """Resident memory of this process and every process it started."""
    return sum(process_rss_mb(pid) for pid in ["self", *descendants("self")])


@dataclass
class Measurement:
    seconds: float = 0.0
    peak_mb: float = 0.0


@contextmanager
def measured(interval: float = 0.05) -> Iterator[Measurement]:
    """Measure the block: seconds, and the highest RSS seen every `interval` seconds."""
    result = Measurement(peak_mb=rss_mb())
    done = threading.Event()

    def sample() -> None:
        while not done.wait(interval):
            result.peak_mb = max(result.peak_mb, rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        result.peak_mb = max(result.peak_mb, rss_mb())

"""Wall time and peak resident memory of one stage, sampled from /proc while it runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

STATUS = Path("/proc/self/status")


def rss_mb() -> float:
    for line in STATUS.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


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

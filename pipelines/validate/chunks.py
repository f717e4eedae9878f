"""Run the GX suite over a batch's chunks on every core: GX on pandas is single-threaded Python."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from itertools import chain

import pyarrow as pa

from pipelines.validate.gx_runner import CheckResult, validate_frame
from pipelines.validate.suites import ExpectationSpec


def validate_chunk(
    name: str, chunk: pa.RecordBatch, specs: list[ExpectationSpec]
) -> list[CheckResult]:
    """One chunk, converted to pandas where it runs (Arrow travels to a worker cheaply)."""
    return validate_frame(name, chunk.to_pandas(), specs)


class ChunkRunner:
    """Validates chunks in worker processes once a batch has more than one chunk."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None

    def parallel(self) -> bool:
        """Workers help only with more than one core, and a daemon (a Celery worker) may not fork."""
        return self.workers > 1 and not multiprocessing.current_process().daemon

    def executor(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self.pool

    def results(
        self, name: str, chunks: Iterator[pa.RecordBatch], specs: list[ExpectationSpec]
    ) -> Iterator[list[CheckResult]]:
        """Each chunk's results, in chunk order."""
        head = [chunk for chunk in (next(chunks, None), next(chunks, None)) if chunk is not None]
        if len(head) < 2 or not self.parallel():
            for chunk in chain(head, chunks):
                yield validate_chunk(name, chunk, specs)
            return
        pending: deque[Future[list[CheckResult]]] = deque()
        for chunk in chain(head, chunks):
            pending.append(self.executor().submit(validate_chunk, name, chunk, specs))
            if len(pending) > self.workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None


@contextmanager
def chunk_runner(workers: int) -> Iterator[ChunkRunner]:
    runner = ChunkRunner(workers)
    try:
        yield runner
    finally:
        runner.close()

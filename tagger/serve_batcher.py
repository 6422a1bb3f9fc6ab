"""The service's model worker: every segment and tag request's texts run in one thread, the
requests queued meanwhile together (tagger/serve.py).
"""
from __future__ import annotations

import concurrent.futures
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from .memory import release_free_memory


@dataclass
class Job:
    run: Callable[[Sequence[str], str | None], list]  # a Tagger's segment_lines or label_lines
    standard: str | None
    texts: list[str]
    future: concurrent.futures.Future


class Batcher:
    """Runs the model calls of all requests in one thread, the jobs queued meanwhile together.

    Why one thread: the model's batches are length-grouped, so one call over many requests'
    texts runs wider, fuller batches than one call each. The worker never waits for more work:
    it takes what is queued when it is free, up to `batch_chars` characters. A job whose future
    was cancelled (its client hung up) is dropped unrun. When the queue runs empty, the heap's
    free pages go back to the system (tagger/memory.py), so memory returns to its level after a
    burst of load."""

    def __init__(self, batch_chars: int):
        self.batch_chars = batch_chars
        self.jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self.chars_per_second: float | None = None  # the model's recent speed, for Retry-After
        self.thread = threading.Thread(target=self._work, name="tagger-batcher", daemon=True)
        self.thread.start()

    def submit(self, run, texts: list[str], standard: str | None) -> concurrent.futures.Future:
        job = Job(run, standard, texts, concurrent.futures.Future())
        self.jobs.put(job)
        return job.future

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join(timeout=10)

    def _work(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            batch, chars = [], 0
            while job is not None:
                if job.future.set_running_or_notify_cancel():  # False: cancelled, dropped unrun
                    batch.append(job)
                    chars += sum(map(len, job.texts))
                if chars >= self.batch_chars:
                    break
                try:
                    job = self.jobs.get_nowait()
                except queue.Empty:
                    break
            self._run_timed(batch, chars)
            if job is None:  # close() was called while jobs were queued
                return
            if self.jobs.empty():
                release_free_memory()

    def _run_timed(self, batch: list[Job], chars: int) -> None:
        started = time.perf_counter()
        self._run(batch)
        if chars >= 1_000:
            speed = chars / max(time.perf_counter() - started, 1e-6)
            self.chars_per_second = speed if self.chars_per_second is None else \
                0.8 * self.chars_per_second + 0.2 * speed

    def _run(self, batch: list[Job]) -> None:
        groups: dict[tuple, list[Job]] = {}
        for job in batch:
            groups.setdefault((job.run, job.standard), []).append(job)
        for (run, standard), jobs in groups.items():
            try:
                outputs = run([text for job in jobs for text in job.texts], standard)
            except Exception as error:  # noqa: BLE001 (handed to the requests that caused it)
                if len(jobs) == 1:
                    jobs[0].future.set_exception(error)
                else:  # find the job at fault; the others still get their answers
                    for job in jobs:
                        self._run([job])
                continue
            at = 0
            for job in jobs:
                job.future.set_result(outputs[at:at + len(job.texts)])
                at += len(job.texts)


def parts(texts: list[str], chars: int) -> Iterable[list[str]]:
    """`texts` in consecutive parts of about `chars` characters (each at least one text)."""
    part: list[str] = []
    size = 0
    for text in texts:
        if part and size + len(text) > chars:
            yield part
            part, size = [], 0
        part.append(text)
        size += len(text)
    if part or not texts:
        yield part

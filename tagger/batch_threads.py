"""The network's batches run side by side in worker threads, one torch thread each.

Why: with one batch at a time on N torch threads, the threads meet at every LSTM step, and
when another process holds a core, every step waits for the thread the OS has parked: loaded
with 2 threads on an idle 2-core machine, the NER model ran 44-51k chars/s in float32 once one
busy process started beside it (128-133k idle). N workers on one thread each wait for no one:
beside that process they ran 99-115k, and the default segmenter 161-198k against 91-104k
(1.8-2.3 times in float32 and bfloat16; `scripts/bench/batch_threads_ab.py --busy 1`,
results/speed/batch_threads_busy1.json). torch releases the interpreter's lock while it
computes, so one worker encodes while another's batch is in the kernel, and the caller decodes
meanwhile. Each batch computes exactly as before: the same entities and words (checked by that
script on the PKU and MSRA NER test texts).

A worker's batch holds its share of a batch's characters (half, with two workers;
`Tagger.log_prob_batches`): as much text is in the network at once as with one batch at a
time, so the peak memory stays where it was. Full batches in each worker ran 1.00-1.25 times
as fast on the idle machine (median ratios per model and precision, one run of that script),
but took `tagger tag` on the MSRA NER test text from 359-361 to 402 MB (shares: 376-378 MB).
Idle, shares run about as fast as one batch at a time did: median ratios 0.96-1.06 over three
alternations for the shipped models (results/speed/batch_threads.json), except the POS model in
bfloat16: 0.76, 0.96 and 0.90 over three runs (the last two of five alternations;
batch_threads_pos5.json holds the last), as its decoding of 176 tags, a larger share of its
time, shares the interpreter with the workers (in float32 1.06, 0.94 and 0.99). Beside a busy
process the POS model gains 1.7-1.8 times, the fast model 1.35 (batch_threads_busy1_fast_pos.json).

Only a torch network on the CPU runs this way. The numpy engine's BLAS pool is shared by the
whole process (two workers would each ask it for every core), and a GPU runs one batch at a
time anyway.
"""
from __future__ import annotations

import collections
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
AHEAD_PER_WORKER = 2  # batches queued per worker: one computing, one ready for it


def batch_workers(network, device: str) -> int:
    """Threads to run `network`'s batches in: the calling thread's torch threads where every
    network that runs is a torch module on the CPU (the members of an ensemble, the engine an
    auto network uses now), else 1: one batch at a time, in the calling thread."""
    torch = sys.modules.get("torch")
    if torch is None or str(device) != "cpu":
        return 1
    members = getattr(network, "__dict__", {}).get("models") or [network]  # an ensemble's members
    if not all(isinstance(_in_use(member), torch.nn.Module) for member in members):
        return 1
    return torch.get_num_threads()


def _in_use(network):
    """The network that runs the next batch: for engine "auto", the numpy or torch one it uses
    now. Asked of the class first: an auto network hands any attribute it lacks to its torch
    network, building it (importing torch's layers and reading the file again)."""
    return network.in_use if hasattr(type(network), "in_use") else network


def in_order(run: Callable[[Item], Result], items: Iterable[Item], workers: int) -> Iterator[Result]:
    """`run(item)` of each item, yielded in the items' order. With two or more workers, the
    items run in that many threads, each computing with one torch thread, a few items ahead
    of the caller; an error in one is raised here, in order."""
    if workers <= 1:
        yield from map(run, items)
        return
    pool = ThreadPoolExecutor(workers, initializer=_one_torch_thread, thread_name_prefix="tagger-batch")
    ahead: collections.deque[Future] = collections.deque()
    try:
        for item in items:
            ahead.append(pool.submit(run, item))
            if len(ahead) > AHEAD_PER_WORKER * workers:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _one_torch_thread() -> None:
    """A worker computes on one torch thread (torch's thread count is kept per thread)."""
    sys.modules["torch"].set_num_threads(1)

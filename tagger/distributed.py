"""Data-parallel training over processes with torch.distributed (DDP).

`torchrun --nproc_per_node N -m tagger train ...` starts N processes; each trains on every N-th
mini-batch of the same shuffled epoch, and DDP averages the gradients, so all processes hold the
same weights after every step (gloo on CPU, nccl on GPU). Dev scoring runs on every process with
identical weights, so early-stopping decisions agree without extra messages; only rank 0 writes.
"""
from __future__ import annotations

import os

import torch


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def is_main() -> bool:
    return rank() == 0


def setup() -> bool:
    """Join the process group when started by torchrun; True when training is distributed."""
    if world_size() <= 1 or not torch.distributed.is_available():
        return False
    if not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    return True


def wrap(model: torch.nn.Module) -> torch.nn.Module:
    return torch.nn.parallel.DistributedDataParallel(model) if setup() else model


def shard(batches: list) -> list:
    """This process's share of the batches; every process gets the same count (DDP needs it)."""
    size = world_size()
    if size <= 1:
        return batches
    usable = len(batches) - len(batches) % size
    return batches[rank():usable:size]

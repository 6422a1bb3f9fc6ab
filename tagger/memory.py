"""Hand freed heap memory back to the operating system.

Loading a model builds large temporary structures (the unpickled file, the dictionary's and
the vocabulary's lookup tables) and drops them. glibc keeps the freed pages in its heap, where
they are fragmented around what stays, so they count in the process's resident memory for
good (docs/speed.md, "Memory of a stream", has the figures). glibc's `malloc_trim(0)` returns the free
pages inside the heap as well as at its top. Elsewhere (macOS, musl) this does nothing, as
does `one_heap_arena`, which keeps torch's threads from each fragmenting a heap of their own.
"""
from __future__ import annotations

import ctypes
from functools import lru_cache


M_ARENA_MAX = -8  # mallopt's parameter number for the arena limit (glibc's malloc.h)


@lru_cache(maxsize=1)
def _libc():
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:  # not glibc
        return None


def release_free_memory() -> None:
    """Return the heap's free pages to the system (glibc only; a few milliseconds)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def one_heap_arena() -> None:
    """Have every thread allocate from the main heap (glibc's M_ARENA_MAX=1); call before any
    threads start. By default each of torch's threads gets its own arena, and each arena keeps
    its own fragmented free pages, which raised the peak memory of `tagger segment` at the same
    speed (docs/speed.md, "Memory of a stream")."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(M_ARENA_MAX, 1)

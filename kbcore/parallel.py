"""A map over worker processes for the build's CPU-bound steps (jieba), results in input order.

Worker processes are spawned, not forked: the build may run inside a process with threads (a
test, a server) and a forked child would inherit their locks. Spawning costs each worker about
a second (imports, jieba's dictionary), so small jobs run in this process.
"""
import multiprocessing
from typing import Callable, Iterable, Iterator, TypeVar

from .limits import BUILD_WORKERS, PARALLEL_MIN_ITEMS

In, Out = TypeVar("In"), TypeVar("Out")


def ordered_map(fn: Callable[[In], Out], items: list[In], workers: int = BUILD_WORKERS,
                initializer: Callable | None = None, initargs: tuple = ()) -> Iterator[Out]:
    """fn over items, yielding results in order as they are ready (so a caller can write each and
    let it go). `fn` and `initializer` must be importable module-level functions; `initializer(*initargs)`
    sets up what every call shares (it also runs here when the work stays in this process)."""
    if workers <= 1 or len(items) < PARALLEL_MIN_ITEMS:
        if initializer:
            initializer(*initargs)
        yield from map(fn, items)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=initializer, initargs=initargs) as pool:
        yield from pool.imap(fn, items, chunksize=1)


def chunks(items: Iterable, size: int) -> list[list]:
    """items in lists of at most size (a worker's unit of work)."""
    out, current = [], []
    for item in items:
        current.append(item)
        if len(current) == size:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out

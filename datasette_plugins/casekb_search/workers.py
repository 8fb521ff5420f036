"""The plugin's own work pool: searches, comparisons, mechanism and overview pages, course packs.

Datasette answers its pages from three SQL threads; when search and Word packs ran there (or on
the event loop), a 13 ms table page waited 19 s behind them. So every route of the plugin hands
its work, as one function of a connection, to run() here:

- a small ThreadPoolExecutor (work_threads workers), each job on a read-only connection of the
  pool's own (index.search.connect_readonly), one per worker, all opened at start-up: a rebuild
  that swaps a new file in keeps the site on the file it opened;
- at most work_threads + work_queue jobs at once; the next is refused at once with Busy (503 and
  Retry-After), never queued without bound;
- a request waits at most request_seconds, then TimedOut (503): a job still queued is cancelled,
  a running one has its SQL interrupted at the deadline (a progress handler) and its result dropped.

Settings (metadata.yml, plugins: casekb:) work_threads, work_queue, request_seconds; defaults in
kbcore.limits.
"""
import asyncio
import queue
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, TypeVar
from weakref import WeakKeyDictionary

from index.connection import connect_readonly
from kbcore.limits import REQUEST_SECONDS, RETRY_AFTER_SECONDS, WORK_QUEUE, WORK_THREADS

from .web import config

THREAD_PREFIX = "casekb-work"
PROGRESS_STEPS = 1000  # SQLite instructions between deadline checks (as Datasette's own time limit)
T = TypeVar("T")


class Unavailable(Exception):
    """The work was not done; the message says why, for a 503 with Retry-After."""
    retry_after = RETRY_AFTER_SECONDS


class Busy(Unavailable):
    pass


class TimedOut(Unavailable):
    pass


def busy_message(capacity: int) -> str:
    return (f"服务器繁忙，请稍后再试 (the server is busy: {capacity} searches, comparisons or packs "
            f"are already running or waiting; try again in a few seconds)")


def timeout_message(seconds: float) -> str:
    return (f"请求超时：处理超过 {seconds:g} 秒，已中止；请缩小范围或稍后再试 "
            f"(the request took longer than {seconds:g} s and was stopped)")


class Pool:
    """Bounded workers over read-only connections to one database file."""

    def __init__(self, path: Path, threads: int = WORK_THREADS, waiting: int = WORK_QUEUE,
                 seconds: float = REQUEST_SECONDS):
        self.seconds, self.capacity = seconds, threads + waiting
        self._connections: queue.SimpleQueue = queue.SimpleQueue()
        for _ in range(threads):  # opened now, in start-up: the file being served is this one
            self._connections.put(connect_readonly(path))
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=THREAD_PREFIX)
        self._lock = threading.Lock()
        self._pending = 0  # submitted and not finished (running or queued)

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            if self._pending >= self.capacity:
                raise Busy(busy_message(self.capacity))
            self._pending += 1
        deadline = time.monotonic() + self.seconds
        try:
            future = self._executor.submit(self._work, work, deadline)
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)  # also when cancelled before it started
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.seconds)
        except asyncio.TimeoutError:  # wait_for cancelled the future: dropped if queued, ignored if running
            raise TimedOut(timeout_message(self.seconds)) from None

    def _finished(self, _future) -> None:
        with self._lock:
            self._pending -= 1

    def _work(self, work, deadline: float):
        if time.monotonic() >= deadline:
            raise TimedOut(timeout_message(self.seconds))  # nobody waits for it any more
        conn = self._connections.get()  # one per worker: never waits
        conn.set_progress_handler(lambda: time.monotonic() >= deadline, PROGRESS_STEPS)
        try:
            return work(conn)
        except sqlite3.OperationalError as e:
            if str(e) == "interrupted":
                raise TimedOut(timeout_message(self.seconds)) from None
            raise
        finally:
            conn.set_progress_handler(None, PROGRESS_STEPS)
            self._connections.put(conn)


class OnDatasette:
    """A case base without a file (in memory): the work runs on Datasette's connection, under the
    same time limit, as Datasette's own SQL does."""

    def __init__(self, db, seconds: float = REQUEST_SECONDS):
        self.db, self.seconds = db, seconds

    async def run(self, work):
        try:
            return await asyncio.wait_for(self.db.execute_fn(work), self.seconds)
        except asyncio.TimeoutError:
            raise TimedOut(timeout_message(self.seconds)) from None


_POOLS: "WeakKeyDictionary[object, Pool | OnDatasette]" = WeakKeyDictionary()


def settings(datasette) -> tuple[int, int, float]:
    """(work_threads, work_queue, request_seconds) from the plugin's settings, checked."""
    cfg = config(datasette)
    threads, waiting = int(cfg.get("work_threads", WORK_THREADS)), int(cfg.get("work_queue", WORK_QUEUE))
    seconds = float(cfg.get("request_seconds", REQUEST_SECONDS))
    if threads < 1 or waiting < 0 or not seconds > 0:
        raise ValueError("casekb: work_threads must be >= 1, work_queue >= 0 and request_seconds > 0")
    return threads, waiting, seconds


def open_pool(datasette, database: str) -> Pool | OnDatasette:
    """The pool of this Datasette instance for the case base (called once, at start-up)."""
    threads, waiting, seconds = settings(datasette)
    db = datasette.databases[database]
    pool = Pool(Path(db.path), threads, waiting, seconds) if db.path else OnDatasette(db, seconds)
    _POOLS[datasette] = pool
    return pool


async def run(datasette, work: Callable[[sqlite3.Connection], T]) -> T:
    """work(conn) on the case base's pool; Busy or TimedOut when it cannot be done in time."""
    pool = _POOLS.get(datasette)
    if pool is None:
        raise Busy("casekb 插件尚未启动 (the plugin has not started)")
    return await pool.run(work)


async def hold_datasette_connections(datasette, database: str, wait: float = 5) -> None:
    """Have each of Datasette's SQL threads open its connection to the database now.

    Datasette connects lazily, per thread; a thread first used after a rebuild swapped the file
    would read the new build while the rest of the site (and the search index) serve the old one.
    The threads meet at a barrier, so each one runs a job and opens its connection."""
    threads = datasette.setting("num_sql_threads")
    if not threads or not datasette.databases[database].path:
        return
    barrier = threading.Barrier(threads, timeout=wait)

    def meet(conn):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:  # a thread was busy: it connects when first used
            pass
    await asyncio.gather(*(datasette.databases[database].execute_fn(meet) for _ in range(threads)))

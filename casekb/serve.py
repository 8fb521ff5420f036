"""The published site as a process: the one `datasette serve` argument list, the multi-process server
that serves it (`casekb serve`: granian, one Datasette per worker, casekb.asgi), and a server that a
test or a benchmark starts for itself and waits for.

Each worker is its own process with its own encoder, vectors and bounded work pool (its 503s are its
own). granian's settings bound what idle or slow clients can hold: a client must send its headers
within HEADER_TIMEOUT_SECONDS of connecting, and a worker holds at most SERVER_CONNECTIONS connections
(fewer when its file limit is low), so idle sockets cannot exhaust the worker's file descriptors.
SIGTERM to the server stops every worker, after the requests in flight (at most SHUTDOWN_SECONDS).
"""
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from kbcore.limits import (
    FACET_SUGGEST_MS,
    FILE_RESERVE,
    HEADER_TIMEOUT_SECONDS,
    SERVER_BACKLOG,
    SERVER_CONNECTIONS,
    SHUTDOWN_SECONDS,
)

from .asgi import ARGUMENTS_VARIABLE

STARTUP_TIMEOUT = 30  # seconds for the site to answer /-/search (the encoder loads at start-up)
ROOT = Path(__file__).resolve().parents[1]
# Datasette's pages in Chinese, with the site's navigation bar and home page (they extend Datasette's own).
TEMPLATE_DIR = ROOT / "datasette_plugins" / "templates_zh"
METADATA = ROOT / "metadata.yml"  # the site's titles, descriptions and canned queries, wherever it is started from


def datasette_arguments(db: Path, metadata: Path) -> list[str]:
    """What follows `datasette serve` for the site (every server of it parses these)."""
    return ["-i", str(Path(db).resolve()), "--metadata", str(Path(metadata).resolve()),
            "--setting", "sql_time_limit_ms", "3000", "--setting", "facet_suggest_time_limit_ms", str(FACET_SUGGEST_MS),
            "--template-dir", str(TEMPLATE_DIR)]


def default_workers() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def raise_file_limit() -> int:
    """The soft limit on open files raised to the hard one (the server and its workers inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return soft


def connections_per_worker(file_limit: int) -> int:
    """SERVER_CONNECTIONS, or what the file limit leaves after the worker's own files."""
    infinite = file_limit == resource.RLIM_INFINITY or file_limit < 0
    return max(1, SERVER_CONNECTIONS if infinite else min(SERVER_CONNECTIONS, file_limit - FILE_RESERVE))


def casekb_serve_command(db: Path, metadata: Path, host: str = "127.0.0.1", port: int = 8001,
                         workers: int | None = None, header_timeout: float = HEADER_TIMEOUT_SECONDS) -> list[str]:
    """`casekb serve …` as this Python runs it: the one command line of the site, for tests and benchmarks."""
    return [sys.executable, "-m", "casekb", "serve", "--db", str(Path(db).resolve()),
            "--metadata", str(Path(metadata).resolve()), "--host", host, "--port", str(port),
            "--workers", str(workers or default_workers()), "--header-timeout", str(header_timeout)]


def server_command(db: Path, metadata: Path, host: str = "127.0.0.1", port: int = 8001, workers: int | None = None,
                   header_timeout: float = HEADER_TIMEOUT_SECONDS) -> tuple[list[str], dict]:
    """(argv, environment) that `casekb serve` runs: granian with `workers` processes, each serving
    casekb.asgi's Datasette. Raises this process's file limit first (raise_file_limit)."""
    workers = workers or default_workers()
    env = {**os.environ, ARGUMENTS_VARIABLE: json.dumps(datasette_arguments(db, metadata))}
    argv = [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--no-ws", "--http", "1",
            "--host", host, "--port", str(port), "--workers", str(workers),
            "--http1-header-read-timeout", str(max(1, round(header_timeout * 1000))),
            "--backpressure", str(connections_per_worker(raise_file_limit())), "--backlog", str(SERVER_BACKLOG),
            "--workers-kill-timeout", str(SHUTDOWN_SECONDS), "casekb.asgi:app"]
    return argv, env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(db: Path, metadata: Path, timeout: float = STARTUP_TIMEOUT, workers: int = 1,
                   header_timeout: float = HEADER_TIMEOUT_SECONDS, preexec_fn=None):
    """Base URL of the site, served as `casekb serve --workers N` serves it, on a free loopback port
    once /-/search answers; stopped with SIGTERM on exit.

    RuntimeError, with the server's output, if it exits or does not answer within `timeout`.
    """
    with served(db, metadata, timeout, workers, header_timeout, preexec_fn) as (base, _proc):
        yield base


@contextlib.contextmanager
def served(db: Path, metadata: Path, timeout: float = STARTUP_TIMEOUT, workers: int = 1,
           header_timeout: float = HEADER_TIMEOUT_SECONDS, preexec_fn=None):
    """running_server(), yielding (base URL, the server's Popen) for tests of the process itself."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = casekb_serve_command(db, metadata, port=port, workers=workers, header_timeout=header_timeout)
    with tempfile.TemporaryFile() as log:
        # preexec_fn: a test's resource limit (setrlimit) for the server, set in the child before exec
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec_fn)  # noqa: PLW1509
        try:
            _wait_until_answering(proc, f"{base}/-/search", timeout, log)
            yield base, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=SHUTDOWN_SECONDS + 5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_until_answering(proc, url: str, timeout: float, log) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{_read(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer {url} within {timeout}s:\n{_read(log)}")
        time.sleep(0.2)


def _read(log) -> str:
    log.seek(0)
    return log.read().decode("utf-8", errors="replace")

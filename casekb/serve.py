"""The published site as a process: the one `datasette serve` command line (`casekb serve`
runs it), and a server that a test or a benchmark starts for itself and waits for."""
import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

STARTUP_TIMEOUT = 30  # seconds for the site to answer /-/search (the encoder loads at start-up)
ROOT = Path(__file__).resolve().parents[1]
# Datasette's pages in Chinese, with the site's navigation bar and home page (they extend Datasette's own).
TEMPLATE_DIR = ROOT / "datasette_plugins" / "templates_zh"
METADATA = ROOT / "metadata.yml"  # the site's titles, descriptions and canned queries, wherever it is started from


def datasette_command(db: Path, metadata: Path, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    return [sys.executable, "-m", "datasette", "serve", "-i", str(Path(db).resolve()),
            "--metadata", str(Path(metadata).resolve()),
            "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "3000",
            "--template-dir", str(TEMPLATE_DIR)]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(db: Path, metadata: Path, timeout: float = STARTUP_TIMEOUT):
    """Base URL of the site on a free loopback port once /-/search answers; stopped on exit.

    RuntimeError, with the server's output, if it exits or does not answer within `timeout`.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(datasette_command(db, Path(metadata).resolve(), port=port),
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_answering(proc, f"{base}/-/search", timeout, log)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_until_answering(proc, url: str, timeout: float, log) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"datasette exited with {proc.returncode}:\n{_read(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"datasette did not answer {url} within {timeout}s:\n{_read(log)}")
        time.sleep(0.2)


def _read(log) -> str:
    log.seek(0)
    return log.read().decode("utf-8", errors="replace")

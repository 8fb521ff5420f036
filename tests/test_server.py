"""The served process (`casekb serve`, casekb/serve.py): worker processes that each answer and all stop on
SIGTERM, and idle connections that cannot take the file descriptors a request needs (issue 21 item 3).
Each test starts the real `casekb serve` command line on a loopback port."""
import os
import resource
import signal
import socket
import time
import urllib.request
from pathlib import Path

from casekb.serve import served

ROOT = Path(__file__).resolve().parents[1]
METADATA = ROOT / "metadata.yml"


def get_json(url: str, timeout: float = 10) -> dict:
    import json
    with urllib.request.urlopen(url, timeout=timeout) as r:
        assert r.status == 200
        return json.loads(r.read())


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_two_workers_both_answer_and_stop_on_sigterm(built_db):
    with served(built_db, METADATA, timeout=120, workers=2) as (base, proc):
        pids = set()
        # Each request on a new connection; the server spreads connections over the workers that are up,
        # and a worker still loading its encoder on a busy machine takes none yet: ask until both answered.
        deadline = time.monotonic() + 90
        while len(pids) < 2 and time.monotonic() < deadline:
            info = get_json(f"{base}/-/casekb.json")
            pids.add(info["worker"]["pid"])
            assert info["search"]["on"] and info["worker"]["rss_mib"] > 0
            time.sleep(0.02)
        assert len(pids) == 2, pids
        assert proc.pid not in pids  # the workers are processes of their own
        found = get_json(f"{base}/-/search.json?q=%E7%A4%BE%E5%8C%BA%E5%87%8F%E8%B4%9F")  # 社区减负
        assert found["results"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pids)


def low_file_limit(limit: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    return apply


def test_idle_connections_do_not_stop_requests_under_a_low_file_limit(built_db):
    """300 sockets that connect and send nothing, against a server with 256 files: requests still answer
    (idle sockets are closed after the header timeout; a worker holds no more connections than its limit allows)."""
    with served(built_db, METADATA, timeout=120, workers=1, header_timeout=1,
                preexec_fn=low_file_limit(256)) as (base, _proc):
        pid = get_json(f"{base}/-/casekb.json")["worker"]["pid"]
        port = int(base.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(300)]
        try:
            for _ in range(3):
                assert get_json(f"{base}/-/search.json?q=%E5%9E%83%E5%9C%BE", timeout=60)["results"]  # 垃圾
            closed = 0
            for s in idle:
                s.settimeout(0.05)
                try:
                    closed += s.recv(1) == b""
                except OSError:
                    pass
            assert closed > 0  # the server let go of idle sockets
            assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] != 256
            assert Path(f"/proc/{pid}/limits").read_text().count(" 256 ") >= 1  # the worker ran under the low limit
        finally:
            for s in idle:
                s.close()


def test_bad_metadata_is_refused_in_one_line_before_any_worker_starts(built_db, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from casekb.cli import main
    bad = tmp_path / "metadata.yml"
    bad.write_text("title: [unclosed\n", encoding="utf-8")
    started = []
    monkeypatch.setattr(os, "execvpe", lambda *args: started.append(args))
    result = CliRunner().invoke(main, ["serve", "--db", str(built_db), "--metadata", str(bad)])
    assert result.exit_code == 1 and not started
    assert f"{bad}: Metadata is not valid JSON or YAML" in result.output and "Traceback" not in result.output


def test_slow_headers_and_idle_kept_alive_connections_are_closed_after_the_header_timeout(built_db):
    with served(built_db, METADATA, timeout=120, workers=1, header_timeout=1) as (base, _proc):
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as kept, \
                socket.create_connection(("127.0.0.1", port)) as slow:
            kept.sendall(b"GET /-/casekb.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            slow.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never finished
            kept.settimeout(10)
            assert kept.recv(65536).startswith(b"HTTP/1.1 200")
            slow.settimeout(10)
            assert slow.recv(1) == b""  # closed by the server, not by the 10 s timeout (which would raise)
            deadline = time.monotonic() + 10
            while kept.recv(65536) != b"":  # the rest of the answer, then the close
                assert time.monotonic() < deadline

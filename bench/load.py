"""Many clients at once on loopback: does every route keep answering, and how fast?

Starts the site itself as `casekb serve --workers N` does (casekb.serve.served, 127.0.0.1 only), for
each worker count, then for each client count runs that many concurrent clients for a fixed time over
a mix of routes (search, search page, case pages, table pages, compare, overview, mechanism pages,
packs, SQL, the home page), each client picking routes in a fixed rotation; no two searches of a run ask
the same question. Each client is one keep-alive HTTP/1.1 connection on asyncio streams, a client that
costs the shared cores little. Bounded in time and in requests. Prints requests/s beside this process's
own CPU seconds, the server's, and those of other processes (a run shared with another job shows it),
requests, errors and p50/p95/p99 per route, and each server process's resident memory before and after.

Usage: python bench/load.py [--db data/casekb.db] [--workers 1 2] [--clients 20 50 100] [--seconds 20]
Goal on a quiet 2-core machine with the default workers (the cores): 0 errors and p95 <= 500 ms on
every route at 50 clients, 0 errors at 100.
"""
import argparse
import asyncio
import itertools
import os
import resource
import time
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import yaml

from casekb.serve import default_workers, served

ROOT = Path(__file__).resolve().parents[1]
MAX_REQUESTS = 20_000  # per client count: a hard stop whatever the timing
REQUEST_TIMEOUT = 30   # seconds for one answer, else it counts as an error
GOAL_P95_MS = 500
SEARCH = "{q}"  # a route's parameter standing for the next question: no two searches of a run are the same


def routes() -> list[tuple[str, str, dict]]:
    """(route name, path, params): the mix an office of officials, researchers and trainers sends."""
    return [
        *[("search.json", "/-/search.json", {"q": SEARCH, "limit": 10}) for _ in range(6)],
        *[("search page", "/-/search", {"q": SEARCH}) for _ in range(3)],
        ("case page", "/casekb/cases/mca2015-03-2", {}),
        ("case page", "/casekb/cases/taicang100-009", {}),
        ("table page", "/casekb/cases", {"_size": 20}),
        ("table page", "/casekb/passages", {"_facet": "field"}),
        ("compare", "/-/compare", {"cases": "mca2015-03-2,mca2015-03-1,mca2015-03-4"}),
        ("overview", "/-/overview", {}),
        ("mechanism", "/-/mechanisms/社区减负", {}),
        ("pack html", "/-/pack", {"mechanism": "社区减负", "format": "html"}),
        ("pack docx", "/-/pack", {"ids": "mca2015-03-2,mca2015-03-1", "format": "docx"}),
        ("sql", "/casekb.json", {"sql": "select region, count(*) from real_cases group by region"}),
        ("home page", "/", {}),
    ]


def questions(queries: list[str]):
    """Every question of bench/dev_queries.yml, then each joined with another: all different."""
    yield from queries
    for second in queries:
        for first in queries:
            yield f"{first} {second}"


class Connection:
    """One keep-alive HTTP/1.1 connection (asyncio streams): GET, a body by Content-Length, chunked or
    to the close. Opened again after an error or a `Connection: close`."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def get(self, target: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode("latin-1"))
        status = int((await self.reader.readline()).split(b" ", 2)[1])
        headers = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip().lower()
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            while await self.reader.readline() not in (b"\r\n", b"\n", b""):  # trailers
                pass
        else:
            await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection") == "close":
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def target(path: str, params: dict, asked) -> str:
    params = {k: next(asked) if v == SEARCH else v for k, v in params.items()}
    return quote(path) + ("?" + urlencode(params) if params else "")


async def client_loop(base, mix, offset, deadline, results, budget, asked):
    url = urlsplit(base)
    connection = Connection(url.hostname, url.port)
    try:
        for name, path, params in itertools.islice(itertools.cycle(mix), offset, None):
            if time.monotonic() > deadline or budget[0] <= 0:
                return
            budget[0] -= 1
            start = time.perf_counter()
            try:
                ok = await asyncio.wait_for(connection.get(target(path, params, asked)), REQUEST_TIMEOUT) == 200
            except (OSError, EOFError, ValueError, IndexError, asyncio.IncompleteReadError, asyncio.TimeoutError):
                ok = False
                connection.close()
            results.setdefault(name, []).append(((time.perf_counter() - start) * 1000, ok))
    finally:
        connection.close()


def rss_mib(pids) -> dict[int, float]:
    """Resident memory of these processes (Linux /proc), in MiB."""
    found = {}
    for pid in pids:
        try:
            fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                          if ":" in line)
            found[pid] = int(fields["VmRSS"].split()[0]) / 1024
        except (OSError, KeyError):
            found[pid] = float("nan")
    return found


def server_pids(main_pid: int) -> list[int]:
    """The server process and its workers (its children)."""
    children = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(fields.get("PPid", "0")) == main_pid:
            children.append(int(status.parent.name))
    return [main_pid, *sorted(children)]


def describe_memory(main_pid: int, pids: list[int]) -> str:
    return ", ".join(f"{'server' if pid == main_pid else 'worker'} {mib:.0f} MiB" for pid, mib in rss_mib(pids).items())


async def run(base, mix, clients, seconds, asked) -> dict:
    results: dict[str, list] = {}
    deadline = time.monotonic() + seconds
    budget = [MAX_REQUESTS]
    await asyncio.gather(*(client_loop(base, mix, i, deadline, results, budget, asked) for i in range(clients)))
    return results


def cpu_seconds(pids) -> tuple[float, float, float]:
    """CPU seconds used so far by the whole machine, the server's processes `pids` and this process (the load
    generator): what else ran during a run is the machine's less the other two."""
    tick = os.sysconf("SC_CLK_TCK")
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    machine = sum(int(fields[i]) for i in (0, 1, 2, 5, 6, 7)) / tick  # user nice system irq softirq steal
    server = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            server += (int(stat[11]) + int(stat[12])) / tick  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return machine, server, usage.ru_utime + usage.ru_stime


def percentile(sorted_ms, q):
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


def report(clients, results, seconds, cpu) -> bool:
    total = sum(len(rows) for rows in results.values())
    machine, server, generator = cpu
    print(f"\n{clients} clients: {total} requests, {total / seconds:.1f} requests/s; CPU s in {seconds:.1f} s: "
          f"server {server:.1f}, load generator {generator:.1f}, other processes {machine - server - generator:.1f}")
    print(f"{'route':<13} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    met = True
    for name, rows in sorted(results.items()):
        ms = sorted(t for t, _ in rows)
        errors = sum(not ok for _, ok in rows)
        p95 = percentile(ms, 0.95)
        met = met and errors == 0 and p95 <= GOAL_P95_MS
        print(f"{name:<13} {len(rows):>8} {errors:>6} {percentile(ms, 0.5):>8.1f} "
              f"{p95:>8.1f} {percentile(ms, 0.99):>8.1f}")
    return met


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=ROOT / "data/casekb.db")
    parser.add_argument("--workers", type=int, nargs="+", default=sorted({1, default_workers()}))
    parser.add_argument("--clients", type=int, nargs="+", default=[20, 50, 100])
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    queries = [q["q"] for q in yaml.safe_load((ROOT / "bench/dev_queries.yml").read_text("utf-8"))["queries"]]
    asked = itertools.cycle(questions(queries))
    mix = routes()
    for workers in args.workers:
        print(f"\n=== {workers} worker(s) ===")
        with served(args.db, ROOT / "metadata.yml", timeout=120, workers=workers) as (base, proc):
            asyncio.run(run(base, mix, workers * 2, 2, asked))  # warm-up of every worker, not reported
            pids = server_pids(proc.pid)
            print(f"memory (RSS) before: {describe_memory(proc.pid, pids)}")
            verdicts = {}
            for clients in args.clients:
                started, cpu = time.monotonic(), cpu_seconds(pids)
                results = asyncio.run(run(base, mix, clients, args.seconds, asked))
                used = [after - before for after, before in zip(cpu_seconds(pids), cpu, strict=True)]
                verdicts[clients] = report(clients, results, time.monotonic() - started, used)
            print(f"\nmemory (RSS) after: {describe_memory(proc.pid, pids)}")
        goal = 50 if 50 in verdicts else args.clients[-1]
        print(f"goal (0 errors, p95 <= {GOAL_P95_MS} ms on every route at {goal} clients), {workers} worker(s): "
              f"{'met' if verdicts[goal] else 'NOT met'}")


if __name__ == "__main__":
    main()

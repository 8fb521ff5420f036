"""Many clients at once on loopback: does every route keep answering, and how fast?

Starts the site itself as `casekb serve --workers N` does (casekb.serve.served, 127.0.0.1 only), for
each worker count, then for each client count runs that many concurrent clients for a fixed time over
a mix of routes (search, search page, case pages, table pages, compare, overview, mechanism pages,
packs, SQL, the home page), each client picking routes in a fixed rotation. Bounded in time and in
requests. Prints requests/s, and requests, errors and p50/p95/p99 per route, and each server
process's resident memory before and after.

Usage: python bench/load.py [--db data/casekb.db] [--workers 1 2] [--clients 20 50 100] [--seconds 20]
Goal on a quiet 2-core machine with the default workers (the cores): 0 errors and p95 <= 500 ms on
every route at 50 clients, 0 errors at 100.
"""
import argparse
import asyncio
import itertools
import time
from pathlib import Path

import httpx
import yaml

from casekb.serve import default_workers, served

ROOT = Path(__file__).resolve().parents[1]
MAX_REQUESTS = 20_000  # per client count: a hard stop whatever the timing
GOAL_P95_MS = 500


def routes(queries: list[str]) -> list[tuple[str, str, dict]]:
    """(route name, path, params): the mix an office of officials, researchers and trainers sends."""
    qs = itertools.cycle(queries)
    return [
        *[("search.json", "/-/search.json", {"q": next(qs), "limit": 10}) for _ in range(6)],
        *[("search page", "/-/search", {"q": next(qs)}) for _ in range(3)],
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


async def client_loop(client, base, mix, offset, deadline, results, budget):
    for name, path, params in itertools.islice(itertools.cycle(mix), offset, None):
        if time.monotonic() > deadline or budget[0] <= 0:
            return
        budget[0] -= 1
        start = time.perf_counter()
        try:
            r = await client.get(base + path, params=params)
            ok = r.status_code == 200
        except httpx.HTTPError:
            ok = False
        results.setdefault(name, []).append(((time.perf_counter() - start) * 1000, ok))


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


async def run(base, mix, clients, seconds) -> dict:
    results: dict[str, list] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        deadline = time.monotonic() + seconds
        budget = [MAX_REQUESTS]
        await asyncio.gather(*(client_loop(client, base, mix, i, deadline, results, budget)
                               for i in range(clients)))
    return results


def percentile(sorted_ms, q):
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


def report(clients, results, seconds) -> bool:
    total = sum(len(rows) for rows in results.values())
    print(f"\n{clients} clients: {total} requests, {total / seconds:.1f} requests/s")
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
    mix = routes(queries)
    for workers in args.workers:
        print(f"\n=== {workers} worker(s) ===")
        with served(args.db, ROOT / "metadata.yml", timeout=120, workers=workers) as (base, proc):
            asyncio.run(run(base, mix, workers * 2, 2))  # warm-up of every worker, not reported
            pids = server_pids(proc.pid)
            print(f"memory (RSS) before: {describe_memory(proc.pid, pids)}")
            verdicts = {}
            for clients in args.clients:
                started = time.monotonic()
                results = asyncio.run(run(base, mix, clients, args.seconds))
                verdicts[clients] = report(clients, results, time.monotonic() - started)
            print(f"\nmemory (RSS) after: {describe_memory(proc.pid, pids)}")
        goal = 50 if 50 in verdicts else args.clients[-1]
        print(f"goal (0 errors, p95 <= {GOAL_P95_MS} ms on every route at {goal} clients), {workers} worker(s): "
              f"{'met' if verdicts[goal] else 'NOT met'}")


if __name__ == "__main__":
    main()

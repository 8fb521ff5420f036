"""p50/p95 latency of /-/search.json over loopback HTTP, against a server this script starts.

Usage: python bench/search_latency.py [--db data/casekb.db] [--rounds 5]
Goal: p95 <= 50 ms on 2 cores.
"""
import argparse
import statistics
import time
from pathlib import Path

import httpx
import yaml

from casekb.serve import running_server

ROOT = Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=ROOT / "data/casekb.db")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    queries = [q["q"] for q in yaml.safe_load((ROOT / "bench/dev_queries.yml").read_text("utf-8"))["queries"]]
    with running_server(args.db, ROOT / "metadata.yml", timeout=60) as base, httpx.Client(timeout=10) as client:
        url = f"{base}/-/search.json"
        client.get(url, params={"q": "社区"})  # warm-up, not timed
        times = []
        for _ in range(args.rounds):
            for q in queries:
                start = time.perf_counter()
                r = client.get(url, params={"q": q, "limit": 10})
                times.append((time.perf_counter() - start) * 1000)
                assert r.status_code == 200, r.text
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(f"/-/search.json over loopback: {len(times)} requests ({len(queries)} dev queries x {args.rounds})")
    print(f"p50 {p(0.50):.1f} ms   p95 {p(0.95):.1f} ms   max {times[-1]:.1f} ms   mean {statistics.mean(times):.1f} ms")
    print(f"goal p95 <= 50 ms: {'met' if p(0.95) <= 50 else 'NOT met'}")


if __name__ == "__main__":
    main()

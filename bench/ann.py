"""Approximate FAISS indexes against the exact one, on the vectors of a casekb database.

`casekb build --index FACTORY` trains an approximate index at build time and stores it in the
database; this measures what that buys and costs, for Flat (exact inner product, served by default)
and each FAISS index factory string given, built exactly as the build builds it (index.vector_index:
IVF lists cut to what the vectors can train, the stored search parameters nprobe / efSearch):

* build   seconds to train and fill it (the build's 2 threads), and its size serialised (MB in the database;
          Flat is not stored: it is made from the `embeddings` table at start-up);
* load    seconds to deserialise it (what a site's start-up pays for it; Flat: to fill it from the vectors);
* p50/p95 per-query search time, one query at a time on one thread (as served), k = 100 (what the
          semantic retriever asks for), in milliseconds;
* R@10    recall@10 against Flat: of each query's 10 nearest vectors by the exact index, the share in
          the approximate index's first 10; R@100 the same over the 100 the retriever takes;
* err     mean |approximate - exact cosine| of the 10 returned first (PQ stores compressed vectors, so its
          scores, which the relevance floor reads, are approximate; Flat, HNSW and IVF,Flat scores are exact).

Queries: `--queries N` passages drawn at random (seeded) and held out of every index, so they are new
to it as a user's query is; or `--dev`: the queries of bench/dev_queries.yml embedded with the database's
model. `--grow N` measures at N vectors when the database has fewer: its vectors repeated with Gaussian
noise (sigma 0.02 a dimension, then unit length again), a stand-in whose neighbourhoods are tighter than
real text's. Figures are noisy on a shared machine: compare runs on the same one.

Usage: python bench/ann.py --db data/casekb.db [--factory HNSW32 --factory IVF256,PQ64 ...]
       [--factory 'IVF256,Flat@nprobe=8' (search parameters after @)] [--queries 200 | --dev] [--grow 100000]
bench/scale.py calls compare() and print_comparison().
"""
import argparse
import statistics
import sys
import time
from contextlib import closing
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path and bench/ingest.py would shadow `ingest`.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index.connection import connect_readonly  # noqa: E402
from index.embeddings import from_blobs  # noqa: E402
from index.vector_index import FLAT, build_index, check_factory  # noqa: E402
from index.vectors import SEARCH_THREADS  # noqa: E402

DEFAULT_FACTORIES = ("HNSW32", "IVF256,Flat", "IVF256,PQ64")
K = 100          # what the semantic retriever asks for (index.search.CANDIDATES)
RECALL_AT = 10
BUILD_THREADS = 2
NOISE = 0.02
SEED = 12


def stored_vectors(db_path: Path) -> tuple[np.ndarray, str]:
    """(every stored vector in FAISS id order, the model that made them)."""
    with closing(connect_readonly(Path(db_path))) as conn:
        (model,) = conn.execute("select model from embeddings limit 1").fetchone()
        matrix = from_blobs([b for (b,) in conn.execute("select embedding from embeddings order by id")])
    return matrix, model


def grown(matrix: np.ndarray, size: int, seed: int = SEED) -> np.ndarray:
    """`size` unit vectors: the matrix's, then copies of them with Gaussian noise, normalised."""
    if size <= len(matrix):
        return matrix
    rng = np.random.default_rng(seed)
    extra = matrix[rng.integers(0, len(matrix), size - len(matrix))]
    extra = extra + rng.normal(0, NOISE, extra.shape).astype(np.float32)
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    return np.ascontiguousarray(np.vstack([matrix, extra]), dtype=np.float32)


def dev_queries(model: str) -> np.ndarray:
    """The dev set's queries embedded on the model's query side, as served."""
    import yaml

    from index.encoders import load_encoder
    from kbcore.words import fold_query
    texts = [q["q"] for q in yaml.safe_load((ROOT / "bench/dev_queries.yml").read_text("utf-8"))["queries"]]
    return load_encoder(model, threads=BUILD_THREADS).encode_query([fold_query(t) for t in texts])


def compare(db_path: Path, factories=DEFAULT_FACTORIES, queries: int = 200, dev: bool = False,
            grow: int | None = None, seed: int = SEED) -> list[dict]:
    """One row per index, Flat first: factory (asked; `@params` overrides the search parameters),
    used (after IVF lists were cut), params, vectors, build_s, size_mb, load_s, p50_ms, p95_ms, mean_ms,
    recall_at_10, recall_at_100, score_error; `error` instead when FAISS could not build it."""
    matrix, model = stored_vectors(db_path)
    if grow:
        matrix = grown(matrix, grow, seed)
    if dev:
        base, probe = matrix, dev_queries(model)
    else:
        held = np.random.default_rng(seed).choice(len(matrix), size=min(queries, len(matrix) // 10 or 1),
                                                  replace=False)
        keep = np.ones(len(matrix), dtype=bool)
        keep[held] = False
        base, probe = np.ascontiguousarray(matrix[keep]), matrix[held]
    rows, exact = [], None
    for asked in [FLAT, *[f for f in factories if f.split("@")[0].strip() != FLAT]]:
        try:
            row, index = _build(base, check_factory(asked))
        except ValueError as e:
            rows.append({"factory": asked, "vectors": len(base), "error": str(e)})
            continue
        times, scores, ids = _search(index, probe)
        if exact is None:
            exact = ids
        row.update(factory=asked, vectors=len(base), queries=len(probe),
                   p50_ms=statistics.median(times) * 1e3, p95_ms=_percentile(times, 95) * 1e3,
                   mean_ms=statistics.fmean(times) * 1e3,
                   recall_at_10=_recall(ids, exact, RECALL_AT), recall_at_100=_recall(ids, exact, K),
                   score_error=_score_error(base, probe, scores, ids))
        rows.append(row)
    return rows


def _build(base: np.ndarray, factory: str) -> tuple[dict, faiss.Index]:
    started = time.perf_counter()
    if factory == FLAT:
        index = faiss.IndexFlatIP(base.shape[1])
        index.add(base)
        built = time.perf_counter() - started
        return {"used": FLAT, "params": "", "build_s": built, "size_mb": None, "load_s": built}, index
    index, used, params, _ = build_index(base, factory, BUILD_THREADS)
    built = time.perf_counter() - started
    blob = faiss.serialize_index(index)
    started = time.perf_counter()
    index = faiss.deserialize_index(blob)
    if params:
        faiss.ParameterSpace().set_index_parameters(index, params)
    loaded = time.perf_counter() - started
    return {"used": used, "params": params, "build_s": built, "size_mb": blob.nbytes / 2**20,
            "load_s": loaded}, index


def _search(index: faiss.Index, probe: np.ndarray):
    """Per-query seconds, and the (queries, K) scores and ids, searched one query at a time on one thread."""
    faiss.omp_set_num_threads(SEARCH_THREADS)
    k = min(K, index.ntotal)
    index.search(probe[:1], k)  # warm
    times, scores, ids = [], np.zeros((len(probe), k), np.float32), np.full((len(probe), k), -1, np.int64)
    for n, q in enumerate(probe):
        q = np.ascontiguousarray(q.reshape(1, -1))
        started = time.perf_counter()
        s, i = index.search(q, k)
        times.append(time.perf_counter() - started)
        scores[n], ids[n] = s[0], i[0]
    faiss.omp_set_num_threads(BUILD_THREADS)
    return times, scores, ids


def _score_error(base: np.ndarray, probe: np.ndarray, scores: np.ndarray, ids: np.ndarray) -> float:
    """Mean |returned score - exact cosine| over the first RECALL_AT vectors returned."""
    errors = [abs(float(s) - float(base[i] @ q)) for q, row, found in zip(probe, scores, ids)
              for s, i in zip(row[:RECALL_AT], found[:RECALL_AT]) if i >= 0]
    return float(np.mean(errors)) if errors else float("nan")


def _recall(found: np.ndarray, exact: np.ndarray, at: int) -> float:
    at = min(at, exact.shape[1])
    return float(np.mean([len(set(f[:at]) & set(e[:at])) / at for f, e in zip(found, exact)]))


def _percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def print_comparison(rows: list[dict], out=None) -> None:
    """The rows of compare() as a table."""
    out = out or sys.stdout
    first = next((r for r in rows if "error" not in r), None)
    if first:
        print(f"FAISS indexes over {first['vectors']:,} vectors, {first['queries']} queries, k={K}, "
              f"one thread a search:", file=out)
    print(f"{'index':<24} {'params':<14} {'build s':>8} {'MB':>7} {'load s':>7} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'R@10':>6} {'R@100':>6} {'err':>7}", file=out)
    for r in rows:
        name = r["factory"] if r.get("used") in (None, r["factory"].split("@")[0]) else f"{r['factory']}->{r['used']}"
        if "error" in r:
            print(f"{name:<24} error: {r['error']}", file=out)
            continue
        size = "-" if r["size_mb"] is None else f"{r['size_mb']:.1f}"
        print(f"{name:<24} {r['params'] or '-':<14} {r['build_s']:>8.2f} {size:>7} {r['load_s']:>7.3f} "
              f"{r['p50_ms']:>7.2f} {r['p95_ms']:>7.2f} {r['recall_at_10']:>6.3f} {r['recall_at_100']:>6.3f} "
              f"{r['score_error']:>7.4f}", file=out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True, help="a built casekb database (read only)")
    parser.add_argument("--factory", action="append", help=f"FAISS index factory string, repeatable "
                        f"(default: {' '.join(DEFAULT_FACTORIES)}); FACTORY@nprobe=8 sets search parameters")
    parser.add_argument("--queries", type=int, default=200, help="passages held out as queries")
    parser.add_argument("--dev", action="store_true", help="the dev queries, embedded, instead of passages")
    parser.add_argument("--grow", type=int, help="measure at this many vectors (the stored ones with noise)")
    args = parser.parse_args()
    print_comparison(compare(args.db, args.factory or DEFAULT_FACTORIES, args.queries, args.dev, args.grow))


if __name__ == "__main__":
    main()

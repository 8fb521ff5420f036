"""How well does the automatic domain tagger (ingest/classify.py) work?

(a) Leave-one-out on the book: each of the 66 labelled book titles is scored as if it had
    no chapter, with the other 65 titles as labelled neighbours; the best-scoring domain is
    compared with its chapter. Shown for the shipped scorer (rules + neighbours) and for each
    signal alone. Caveat: ingest/domain_terms.yml was written by someone who had read the
    titles and ingest/domains.yml (whose descriptions paraphrase them), so the rule figures are
    optimistic; the neighbours-only figure is the one that learns nothing from the held-out title.
(b) Precision / recall / F1 of the multi-label tags on bench/tagging_gold.yml: the journal
    cases, the award project and the two articles, labelled by hand with reasons.

Run: .venv/bin/python bench/tagging.py
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.classify import (  # noqa: E402
    MIN_SCORE,
    Example,
    Neighbours,
    combine,
    domain_ids,
    index_tokens,
    labelled_neighbours,
    rule_evidence,
    score_case,
    select,
    term_counts,
)
from ingest.pipeline import ingest_tables  # noqa: E402
from ingest.records import passages_by_case  # noqa: E402
from ingest.tag import chapter_domain_rows  # noqa: E402

GOLD_FILE = Path(__file__).with_name("tagging_gold.yml")


def table(header: list[str], rows: list[list], aligns: str | None = None) -> str:
    """A plain text table; CJK characters count as two columns."""
    def width(s: str) -> int:
        return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in s)

    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(width(r[i]) for r in cells) for i in range(len(header))]
    aligns = aligns or "l" * len(header)

    def fmt(row):
        out = []
        for i, c in enumerate(row):
            pad = " " * (widths[i] - width(c))
            out.append(pad + c if aligns[i] == "r" else c + pad)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(cells[0]), rule] + [fmt(r) for r in cells[1:]])


def score_text(text: str, examples: list[Example] = (), rules: bool = True) -> dict[str, float]:
    """The classifier's score of each domain for a text: its rules (unless rules=False) mixed with
    the vote of the labelled examples (none: rules only), so each signal can be measured alone."""
    near = Neighbours(examples).nearest_to_tokens(index_tokens([text])) if examples else []
    return combine(rule_evidence(term_counts(text)) if rules else {}, near)


def score_cases(cases: list[dict], passages: list[dict]) -> dict[str, dict[str, float]]:
    """{case id: {domain: score}} over all eight domains for every case without a chapter domain,
    as the build scores them, so other cut-offs than the shipped one can be tried."""
    labelled = {r["case_id"]: r["domain"] for r in chapter_domain_rows(cases)}
    neighbours = labelled_neighbours(cases, labelled)
    by_case = passages_by_case(passages)
    return {c["id"]: score_case(c, by_case.get(c["id"], []), neighbours)[1]
            for c in cases if c["id"] not in labelled}


def best(scores: dict[str, float]) -> str | None:
    return max(scores, key=lambda d: (scores[d], -domain_ids().index(d))) if any(scores.values()) else None


def leave_one_out(examples: list[Example]) -> None:
    modes = {"rules + neighbours (shipped)": {"neighbours": True, "rules": True},
             "rules only": {"neighbours": False, "rules": True},
             "neighbours only": {"neighbours": True, "rules": False}}
    results = {}
    per_domain = {m: Counter() for m in modes}
    misses = []
    for mode, opts in modes.items():
        correct = no_signal = 0
        for i, ex in enumerate(examples):
            others = examples[:i] + examples[i + 1:] if opts["neighbours"] else ()
            predicted = best(score_text(ex.title, others, rules=opts["rules"]))
            if predicted is None:
                no_signal += 1
            elif predicted == ex.domain:
                correct += 1
                per_domain[mode][ex.domain] += 1
            elif mode.endswith("(shipped)"):
                misses.append([ex.case_id, ex.title, ex.domain, predicted])
        results[mode] = (correct, no_signal)
    n = len(examples)
    majority, majority_n = Counter(e.domain for e in examples).most_common(1)[0]
    print(f"(a) Leave-one-out on the {n} book titles (predicted = best-scoring domain; "
          "no signal counts as wrong)\n")
    rows = [[mode, f"{c}/{n}", f"{c / n:.1%}", ns] for mode, (c, ns) in results.items()]
    rows.append([f"baseline: always {majority}", f"{majority_n}/{n}", f"{majority_n / n:.1%}", "-"])
    rows.append(["baseline: random of 8", "-", f"{1 / 8:.1%}", "-"])
    print(table(["scorer", "correct", "accuracy", "no signal"], rows, "lrrr"))
    print()
    counts = Counter(e.domain for e in examples)
    rows = [[d, counts[d]] + [f"{per_domain[m][d]}/{counts[d]}" for m in modes] for d in domain_ids()]
    print(table(["chapter domain", "titles", "shipped", "rules", "neighbours"], rows, "lrrrr"))
    print("\nMisses of the shipped scorer (no-signal titles not listed):")
    print(table(["case", "title", "chapter", "predicted"], misses))


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def gold_eval(cases: list[dict], passages: list[dict]) -> None:
    gold = yaml.safe_load(GOLD_FILE.read_text(encoding="utf-8"))["cases"]
    scores = score_cases(cases, passages)
    missing = sorted(set(gold) - set(scores))
    if missing:
        raise SystemExit(f"gold cases not classified (not in the corpus, or they have a chapter): {missing}")
    print(f"\n(b) Multi-label tags vs {GOLD_FILE.name} ({len(gold)} cases; "
          f"a domain is tagged when its score >= {MIN_SCORE}, best domain always)\n")
    rows, tp, fp, fn, top_ok = [], 0, 0, 0, 0
    for cid, g in gold.items():
        s = scores[cid]
        predicted = select(s)
        gset = set(g["domains"])
        hit = [d for d in predicted if d in gset]
        tp, fp, fn = tp + len(hit), fp + len(predicted) - len(hit), fn + len(gset) - len(hit)
        top_ok += predicted[0] in gset
        rows.append([cid, "、".join(g["domains"]),
                     "、".join(f"{d}{s[d]:.2f}" + ("" if d in gset else "✗") for d in predicted),
                     "、".join(d for d in g["domains"] if d not in predicted) or "-"])
    print(table(["case", "gold", "predicted (score; ✗ = not in gold)", "missed"], rows))
    p, r, f = prf(tp, fp, fn)
    print(f"\nmicro: TP {tp}  FP {fp}  FN {fn}   precision {p:.2f}  recall {r:.2f}  F1 {f:.2f}"
          f"   top domain in gold: {top_ok}/{len(gold)}")
    print("\nThreshold sensitivity (same scores, other cut-offs; the shipped one is marked *):")
    rows = []
    for cut in (0.10, 0.15, 0.20, 0.25, 0.30, 1.01):
        t = f_ = n_ = 0
        for cid, g in gold.items():
            predicted, gset = select(scores[cid], cut), set(g["domains"])
            hit = len([d for d in predicted if d in gset])
            t, f_, n_ = t + hit, f_ + len(predicted) - hit, n_ + len(gset) - hit
        p, r, f = prf(t, f_, n_)
        label = "top-1 only" if cut > 1 else f"score >= {cut:.2f}" + (" *" if abs(cut - MIN_SCORE) < 1e-9 else "")
        rows.append([label, t, f_, n_, f"{p:.2f}", f"{r:.2f}", f"{f:.2f}"])
    print(table(["cut-off", "TP", "FP", "FN", "P", "R", "F1"], rows, "lrrrrrr"))


def main() -> None:
    tables, _ = ingest_tables(ROOT / "corpus")
    cases, passages = tables["cases"], tables["passages"]
    by_id = {c["id"]: c for c in cases}
    examples = [Example(by_id[r["case_id"]]["title"], r["domain"], r["case_id"])
                for r in chapter_domain_rows(cases)]
    leave_one_out(examples)
    gold_eval(cases, passages)


if __name__ == "__main__":
    main()

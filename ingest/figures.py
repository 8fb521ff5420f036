"""Key figures: the clauses of a case's passages that state quantities (ingest/figures.yml).

Trainers compare cities by what they did in numbers ("取消……72项台账", "78项 → 28项").
Each figure is quoted verbatim with its passage id and character offsets
(passage.text[start:end] == quote), so every number on a comparison page can be traced.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from kbcore.rules import get, read_rules
from kbcore.textrules import SENTENCE_END

from .records import passages_by_case
from .rulefiles import rule_file

FIGURES_FILE = Path(__file__).with_name("figures.yml")
_NUMBER = r"\d+(?:\.\d+)?"
MIN_QUOTE_CHARS = 12  # a shorter clause is quoted with the one before it
_SENTENCE_ENDS = SENTENCE_END + "\n"  # a paragraph ends a sentence too


def load_rules(path: Path | None = None) -> dict:
    """figures.yml (the corpus' own, or the package's: ingest.rulefiles) compiled."""
    return _load_rules(path or rule_file("figures.yml"))


@lru_cache(maxsize=4)
def _load_rules(path: Path) -> dict:
    """figures.yml compiled: the quantity pattern, the change and target verbs, the clause
    separators and the cue weights (every word taken literally, never as a regex)."""
    data = read_rules(path)
    words = {key: list(map(str, get(data, key, "texts")))
             for key in ("units", "magnitudes", "approximate", "change_verbs", "target_verbs")}
    words["units"].sort(key=len, reverse=True)  # 人次 before 人
    cues = get(data, "cues", "mapping", default={})
    for cue in cues:
        get(cues, cue, "number", "cues")
    either = lambda key: "|".join(map(re.escape, words[key]))
    one_of = lambda key: f"[{re.escape(''.join(words[key]))}]"
    quantity = (rf"(?<![\d.])(?P<number>{_NUMBER}(?:[~～至\-—]{_NUMBER})?)"
                rf"(?P<magnitude>{one_of('magnitudes')}?)(?P<approx>{one_of('approximate')}?)"
                rf"(?P<unit>{either('units')})")
    return {"quantity": re.compile(quantity),
            "change_verbs": re.compile(either("change_verbs")),
            "target": re.compile(rf"(?:{either('target_verbs')})\D{{0,3}}?(?={_NUMBER})"),
            "separators": re.compile(f"[{re.escape(str(get(data, 'separators', 'text')))}]"),
            "cues": {str(k): float(v) for k, v in cues.items()},
            "change_weight": float(get(data, "change_weight", "number", default=0))}


def quantities(text: str) -> list[re.Match]:
    return list(load_rules()["quantity"].finditer(text))


def clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause, separators excluded, blank clauses skipped."""
    spans, start = [], 0
    for m in load_rules()["separators"].finditer(text + "\n"):
        if text[start:m.start()].strip():
            spans.append((start, m.start()))
        start = m.end()
    return spans


def change(text: str, spans: list[tuple[int, int]], i: int) -> tuple[str | None, int]:
    """('78项 → 28项', where the quote must start) when clause i states a before/after, else (None, its start).

    Two shapes: "……78项……，最终减至27项" (the old value earlier in the same sentence) and
    "28项基本公共服务，比部门清理前的78项减少了" (the old value after 比, the new one just before).
    """
    start, end = spans[i]
    clause = text[start:end]
    rules = load_rules()
    target = rules["target"].search(clause)
    if target:
        after = next(iter(quantities(clause[target.end():])), None)
        sentence = max(text.rfind(c, 0, start) for c in _SENTENCE_ENDS) + 1
        before = [q for q in quantities(text[sentence:start + target.start()])
                  if after and q.group("unit") == after.group("unit")]
        if before:
            at = sentence + before[-1].start()
            return f"{before[-1].group()} → {after.group()}", next(s for s, e in spans if s <= at < e)
    if i and clause.startswith("比") and rules["change_verbs"].search(clause):
        reference = [q for q in quantities(clause) if q.group("unit") != "%"]
        newer = [q for q in quantities(text[spans[i - 1][0]:spans[i - 1][1]])
                 if reference and q.group("unit") == reference[0].group("unit")]
        if newer:
            return f"{reference[0].group()} → {newer[-1].group()}", spans[i - 1][0]
    return None, start


def passage_figures(passage: dict) -> list[dict]:
    """The figures of one passage, in text order; a clause joins the one before it when it
    completes a change or is too short to read alone ("清理率为60.3%")."""
    rules, text = load_rules(), passage["text"]
    spans, rows = clauses(text), []
    for i, (start, end) in enumerate(spans):
        if not quantities(text[start:end]):
            continue
        shift, start = change(text, spans, i)
        if i and start == spans[i][0] and end - start < MIN_QUOTE_CHARS:
            start = spans[i - 1][0]
        if rows and rows[-1]["end"] > start:  # overlapping quotes become one
            earlier = rows.pop()
            start, shift = min(start, earlier["start"]), shift or earlier["change"]
        quote = text[start:end]
        weight = sum(w for cue, w in rules["cues"].items() if cue in quote)
        rows.append({"passage_id": passage["id"], "start": start, "end": end, "quote": quote,
                     "quantities": json.dumps([q.group() for q in quantities(quote)], ensure_ascii=False),
                     "change": shift, "weight": round(weight + (rules["change_weight"] if shift else 0), 2)})
    return rows


def figure_rows(passages: list[dict]) -> list[dict]:
    """case_figures rows: every quantity clause of every case, ranked within its case by weight.

    Ids are numbered within their passage (…-001-f1, -f2) so they survive edits elsewhere.
    """
    rows = []
    for case_id, case_passages in passages_by_case(passages).items():
        found = [{"id": f"{p['id']}-f{n}", "case_id": case_id, **f}
                 for p in case_passages for n, f in enumerate(passage_figures(p), 1)]
        for rank, f in enumerate(sorted(found, key=lambda f: -f["weight"]), 1):  # stable: text order on ties
            f["rank"] = rank
        rows += found
    return rows

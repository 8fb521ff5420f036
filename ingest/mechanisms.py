"""Governance mechanisms (ingest/mechanisms.yml) and where each case uses them.

A mechanism is detected in a case when one of its terms occurs in the case's passages
(evidence: the ids of exactly those passages, and the terms found) or in its title.
Terms are matched longest first without overlap (社区减负 is not also counted as 减负).
Title-only book cases have nothing but their title, so a hit there carries no passage
evidence. The score (0..1) grows with the number of occurrences: 1 - exp(-n / 2),
a title hit counting as two (one hit 0.39, two 0.63, four 0.86).
"""
from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path

from kbcore.rules import get, mappings, read_rules, unique
from kbcore.text import CJK, count_terms

from . import IngestError
from .records import passages_by_case
from .rulefiles import rule_file

MECHANISMS_FILE = Path(__file__).with_name("mechanisms.yml")
TITLE_WEIGHT = 2
_ID = re.compile(rf"^[{CJK}A-Za-z0-9]+$")


def load_mechanisms(path: Path | None = None) -> tuple[dict, ...]:
    """The mechanisms of mechanisms.yml (the corpus' own, or the package's: ingest.rulefiles) in order,
    each with id, name_zh, description and terms."""
    return _load_mechanisms(path or rule_file("mechanisms.yml"))


@lru_cache(maxsize=4)
def _load_mechanisms(path: Path) -> tuple[dict, ...]:
    items = mappings(read_rules(path), "mechanisms", "id, name_zh, description, terms")
    mechanisms = []
    for m in items:
        mid = str(get(m, "id", "text", "mechanism")).strip()
        if not _ID.match(mid):
            raise IngestError(f"{m.where('id')}: mechanism id {mid!r} must be a short name "
                              "(Chinese characters, letters, digits)")
        what = f"mechanism {mid}"
        mechanisms.append({"id": mid, "name_zh": str(get(m, "name_zh", "text", what)),
                           "description": str(get(m, "description", "text", what)),
                           "terms": tuple(dict.fromkeys(str(t).strip() for t in get(m, "terms", "texts", what)))})
    unique(items, "id", "mechanism")
    return tuple(mechanisms)


def mechanism_rows() -> list[dict]:
    """Rows of the `mechanisms` table; `terms` is a JSON array."""
    return [{"id": m["id"], "name_zh": m["name_zh"], "description": m["description"],
             "terms": json.dumps(list(m["terms"]), ensure_ascii=False)} for m in load_mechanisms()]


def score(occurrences: float) -> float:
    return round(1 - math.exp(-occurrences / 2), 3)


def detect_mechanisms(cases: list[dict], passages: list[dict]) -> list[dict]:
    """case_mechanisms rows: one per (case, mechanism) found, with its evidence."""
    by_case = passages_by_case(passages)
    rows = []
    for case in cases:
        case_passages = by_case.get(case["id"], [])
        for m in load_mechanisms():
            counts: dict[str, int] = {}
            evidence_ids = []
            for p in case_passages:
                found = count_terms(p["text"], m["terms"])
                if found:
                    evidence_ids.append(p["id"])
                    for t, n in found.items():
                        counts[t] = counts.get(t, 0) + n
            in_title = count_terms(case.get("title") or "", m["terms"])
            for t, n in in_title.items():
                counts[t] = counts.get(t, 0) + n
            if not counts:
                continue
            occurrences = sum(counts.values()) + (TITLE_WEIGHT - 1) * sum(in_title.values())
            rows.append({
                "case_id": case["id"], "mechanism": m["id"], "score": score(occurrences),
                "evidence_passage_ids": json.dumps(evidence_ids),
                "evidence_terms": json.dumps(sorted(counts, key=lambda t: (-counts[t], m["terms"].index(t))),
                                             ensure_ascii=False),
            })
    return rows

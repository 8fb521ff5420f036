"""Domain tags: the eight domains (the book's chapters) and each case's tags.

A book case carries its chapter's domain (source `book_chapter`). Cases without a
chapter are tagged by the classifier in ingest/classify.py.
"""
from functools import lru_cache
from pathlib import Path

from kbcore.rules import get, mappings, read_rules, unique

from .rulefiles import rule_file

DOMAINS_FILE = Path(__file__).with_name("domains.yml")
FIELDS = ("id", "chapter", "name_en", "description")


def load_domains(path: Path | None = None) -> tuple[dict, ...]:
    """The domains of domains.yml (the corpus' own, or the package's: ingest.rulefiles) in order,
    each with id, chapter, name_en and description."""
    return _load_domains(path or rule_file("domains.yml"))


@lru_cache(maxsize=4)
def _load_domains(path: Path) -> tuple[dict, ...]:
    items = mappings(read_rules(path), "domains", ", ".join(FIELDS))
    domains = [{key: str(get(d, key, "text", "domain")) for key in FIELDS} for d in items]
    unique(items, "id", "domain")
    return tuple(domains)


def domain_rows() -> list[dict]:
    return [{"id": d["id"], "name_zh": d["id"], "name_en": d["name_en"],
             "chapter": d["chapter"], "description": d["description"]} for d in load_domains()]


def chapter_domain_rows(cases: list[dict]) -> list[dict]:
    by_numeral = {d["chapter"]: d["id"] for d in load_domains()}
    return [{"case_id": c["id"], "domain": by_numeral[c["chapter"].split()[0]],
             "source": "book_chapter", "score": 1.0, "evidence": c["chapter"]}
            for c in cases if c["kind"] == "book_case" and c["chapter"]
            and c["chapter"].split()[0] in by_numeral]

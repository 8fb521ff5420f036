"""read -> clean -> segment -> tag: the corpus as table rows, ready to write."""
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from . import IngestError
from .classify import classify_domains, set_label_columns
from .figures import figure_rows
from .clean import clean, load_repairs
from .keywords import keyword_rows, place_rows
from .manifest import load_manifest
from .mechanisms import detect_mechanisms, mechanism_rows
from .read import read_text
from kbcore.schema import CASE_KINDS

from .records import case_rows, source_row
from .segment.article import segment_article
from .segment.award import segment_award
from .segment.book import segment_book
from .segment.journal import segment_journal
from .tag import chapter_domain_rows, domain_rows


def segment(entry: dict, lines) -> list[dict]:
    kind, path = entry["kind"], entry["path"]
    if not lines:
        raise IngestError(f"{path}: nothing left after cleaning")
    if kind in ("book", "book_cases"):
        return segment_book(lines, path)
    if kind == "journal_feature":
        return segment_journal(lines, path, entry["case_regions"])
    if kind == "award_page":
        return segment_award(lines, path, entry["title"])
    return segment_article(lines, path)


def ingest(corpus_dir: Path, progress: bool = True) -> tuple[dict[str, list[dict]], dict]:
    """All table rows for the corpus, and a summary of what was found and removed."""
    entries = load_manifest(corpus_dir)
    repairs = load_repairs(corpus_dir)
    sources, segmented, removed_by_source = [], {}, {}
    for entry in tqdm(entries, desc="read+clean+segment", unit="file", disable=not progress):
        raw = read_text(entry["path"])
        lines, removed = clean(raw, entry["file"], repairs.get(entry["file"]))
        segmented[entry["id"]] = segment(entry, lines)
        removed_by_source[entry["id"]] = removed
        sources.append(source_row(entry, raw, removed))
    books = {e["id"]: e for e in entries if e["kind"] == "book"}
    for entry in entries:
        if entry["kind"] == "book_cases":
            book = segmented[entry["part_of"]]
            segmented[entry["part_of"]] = merge_book_part(book, segmented.pop(entry["id"]), entry["path"])
    cases, passages = [], []
    for entry in tqdm([e for e in entries if e["id"] in segmented], desc="records", unit="source",
                      disable=not progress):
        book_title = books.get(entry["id"], entry)["title"]
        c, p = case_rows({**entry, "book_title": book_title}, segmented[entry["id"]])
        cases += c
        passages += p
    case_domains = chapter_domain_rows(cases) + classify_domains(cases, passages)
    case_mechanisms = detect_mechanisms(cases, passages)
    set_label_columns(cases, case_domains, case_mechanisms)
    tables = {"sources": sources, "domains": domain_rows(), "cases": cases, "passages": passages,
              "case_domains": case_domains, "mechanisms": mechanism_rows(),
              "case_mechanisms": case_mechanisms, "case_keywords": keyword_rows(cases, passages),
              "case_places": place_rows(cases, passages), "case_figures": figure_rows(passages)}
    return tables, summarise(tables, removed_by_source)


def merge_book_part(book_docs: list[dict], part_docs: list[dict], path) -> list[dict]:
    """Case text from a `book_cases` file fills the book's cases by number.

    A case whose text is in both files is ambiguous: an error naming the part's file and line.
    """
    by_number = {d["number"]: d for d in book_docs if d["kind"] == "book_case"}
    merged = list(book_docs)
    for doc in part_docs:
        if doc["kind"] != "book_case":
            merged.append(doc)
            continue
        existing = by_number.get(doc["number"])
        if existing is None:
            merged.append(doc)
        elif existing["blocks"] and doc["blocks"]:
            raise IngestError(f"{path}:{doc['line']}: duplicate case number {doc['number']}: "
                              "the book already has its text")
        else:
            existing.update({k: v for k, v in doc.items()
                             if k in ("blocks", "comment_blocks") or (v and not existing.get(k))})
    return sorted(merged, key=lambda d: (d["kind"] == "book_case", d["number"] or 0))


def summarise(tables, removed_by_source) -> dict:
    cases = [c for c in tables["cases"] if c["kind"] in CASE_KINDS]
    return {
        "sources": len(tables["sources"]),
        "cases": len(cases),
        "other_documents": len(tables["cases"]) - len(cases),
        "passages": len(tables["passages"]),
        "title_only_cases": sum(c["status"] == "title_only" for c in cases),
        "residue_removed": {k: dict(v) for k, v in removed_by_source.items()},
        "kinds": dict(Counter(c["kind"] for c in tables["cases"])),
    }

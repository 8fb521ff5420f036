"""read -> clean -> segment -> tag: the corpus as table rows, ready to write."""
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from kbcore.schema import CASE_KINDS

from . import IngestError
from .classify import classify_domains, set_label_columns
from .clean import REPAIRS_FILE, RESIDUE_FILE, clean, load_repairs, load_residue
from .figures import figure_rows
from .keywords import keyword_rows, place_rows, tag_cases
from .manifest import load_manifest
from .mechanisms import detect_mechanisms, mechanism_rows
from .read import read_text
from .records import case_rows, source_row
from .segment import SOURCE_KINDS
from .tag import chapter_domain_rows, domain_rows


def segment(entry: dict, lines) -> list[dict]:
    """The documents of one source, by the segmenter of its kind."""
    if not lines:
        raise IngestError(f"{entry['path']}: nothing left after cleaning")
    return SOURCE_KINDS[entry["kind"]].segment(entry, lines)


def ingest(corpus_dir: Path, progress: bool = True) -> tuple[dict[str, list[dict]], dict]:
    """All table rows for the corpus, and a summary of what was found and removed."""
    entries = load_manifest(corpus_dir)
    residue = load_residue(Path(corpus_dir) / RESIDUE_FILE)
    repairs = load_repairs(Path(corpus_dir) / REPAIRS_FILE)
    sources, segmented, removed_by_source = [], {}, {}
    for entry in tqdm(entries, desc="read+clean+segment", unit="file", disable=not progress):
        raw = read_text(entry["path"])
        lines, removed = clean(raw, entry["file"], residue, repairs.get(entry["file"], ()))
        segmented[entry["id"]] = segment(entry, lines)
        removed_by_source[entry["id"]] = removed
        sources.append(source_row(entry, raw, removed))
    for entry in entries:  # a part's documents join the source it is part of
        merge = SOURCE_KINDS[entry["kind"]].merge
        if merge:
            segmented[entry["part_of"]] = merge(segmented[entry["part_of"]], segmented.pop(entry["id"]), entry)
    cases, passages = [], []
    for entry in tqdm([e for e in entries if e["id"] in segmented], desc="records", unit="source",
                      disable=not progress):
        c, p = case_rows(entry, segmented[entry["id"]])
        cases += c
        passages += p
    case_domains = chapter_domain_rows(cases) + classify_domains(cases, passages)
    case_mechanisms = detect_mechanisms(cases, passages)
    set_label_columns(cases, case_domains, case_mechanisms)
    tagged = tag_cases(cases, passages)
    tables = {"sources": sources, "domains": domain_rows(), "cases": cases, "passages": passages,
              "case_domains": case_domains, "mechanisms": mechanism_rows(),
              "case_mechanisms": case_mechanisms, "case_keywords": keyword_rows(tagged, passages),
              "case_places": place_rows(tagged), "case_figures": figure_rows(passages)}
    return tables, summarise(tables, removed_by_source)


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

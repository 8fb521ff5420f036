"""One source group, from files to rows: read, clean, segment, records, then the tags that need
nothing but the case itself (mechanisms, key figures, and what jieba finds: case_tokens).

A group is a source and the parts that join it (a book and its book_cases). Groups are
independent, so the build reads them in worker processes (kbcore.parallel); `start` gives each
worker the rules once, and `read_group` is called per group.
"""
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from kbcore import words
from kbcore.schema import is_case

from . import IngestError
from .classify import compared, index_tokens
from .clean import REPAIRS_FILE, RESIDUE_FILE, clean, load_repairs, load_residue, rejoins
from .figures import figure_rows
from .keywords import case_region, case_terms
from .mechanisms import detect_mechanisms
from .read import read_text
from .records import case_rows, passages_by_case, source_row
from .rulefiles import use_corpus
from .segment import SOURCE_KINDS
from .whole import check_whole

_rules: dict = {}


def start(corpus_dir: Path) -> None:
    """Load the rules every group is read with (a worker's initializer); the rule files are the
    corpus' own where it brings them (ingest.rulefiles)."""
    use_corpus(corpus_dir)
    _rules["residue"] = load_residue(Path(corpus_dir) / RESIDUE_FILE)
    _rules["repairs"] = load_repairs(Path(corpus_dir) / REPAIRS_FILE)


def repairs() -> dict:
    return _rules["repairs"]


def source_groups(entries: list[dict]) -> list[list[dict]]:
    """The manifest's sources in groups, in manifest order: each source with the parts that join it."""
    heads = [e for e in entries if not SOURCE_KINDS[e["kind"]].merge]
    parts: dict[str, list[dict]] = {}
    for e in entries:
        if SOURCE_KINDS[e["kind"]].merge:
            parts.setdefault(e["part_of"], []).append(e)
    return [[head, *parts.get(head["id"], [])] for head in heads]


def segment(entry: dict, lines, removed=None) -> list[dict]:
    """The documents of one source, by the segmenter of its kind, checked to hold every line
    (ingest.whole; the lines its segmenter sets aside are counted in `removed` by rule)."""
    if not lines:
        raise IngestError(f"{entry['path']}: nothing left after cleaning")
    kind = SOURCE_KINDS[entry["kind"]]
    docs = kind.segment(entry, lines)
    check_whole(entry, lines, docs, Counter() if removed is None else removed, kind.sets_aside)
    return docs


def read_group(group: list[dict]) -> dict[str, list]:
    """Rows of every table the group fills (sources, cases, passages, case_tokens, case_mechanisms,
    case_figures); cases.domains and cases.mechanisms are left for the corpus-wide pass."""
    sources, docs = [], None
    for entry in group:
        raw = read_text(entry["path"])
        lines, removed = clean(raw, entry["file"], _rules["residue"], _rules["repairs"].get(entry["file"], ()),
                               rejoin=rejoins(entry))
        found = segment(entry, lines, removed)
        docs = found if docs is None else SOURCE_KINDS[entry["kind"]].merge(docs, found, entry)
        sources.append(source_row(entry, raw, removed))
    place_cases(group[0], docs)
    cases, passages = case_rows(group[0], docs)
    return {"sources": sources, "cases": cases, "passages": passages,
            "case_tokens": token_rows(cases, passages), **tag_rows(cases, passages)}


def place_cases(source: dict, docs: list[dict]) -> None:
    """Each case without a region of its own (case_regions) takes the region and province its title,
    else its opening paragraph, names, unless the source gives one region for all (`region:`, --region):
    the cases of a compilation from several cities each get their own."""
    if source.get("region"):
        return
    for doc in docs:
        if is_case(doc["kind"]) and not doc["region"]:
            opening = [text for _, text in doc["blocks"][:1] if text]
            doc["region"], found = case_region([doc["title"], *opening])
            doc["province"] = doc["province"] or source.get("province") or found


def tag_rows(cases: list[dict], passages: list[dict]) -> dict[str, list[dict]]:
    """The tags that follow one rule file each (ingest.reuse.STAGE_RULES), by table."""
    return {"case_mechanisms": detect_mechanisms(cases, passages), "case_figures": figure_rows(passages)}


def token_rows(cases: list[dict], passages: list[dict]) -> list[dict]:
    """case_tokens rows: each case's title and passages cut by jieba once, for the corpus-wide passes;
    each passage's search-mode cut also gives its text_seg (cut_passages)."""
    by_case = passages_by_case(passages)
    rows = []
    for case in cases:
        own = by_case.get(case["id"], [])
        title = case.get("title") or ""
        terms = case_terms([title] + [p["text"] for p in own])
        tokens = index_tokens([title])
        for cut in cut_passages(own):
            tokens.update(compared(cut))
        rows.append({"case_id": case["id"], "keyword_counts": _json(terms.keywords), "keyword_total": terms.total,
                     "places": _json(terms.places), "bare_names": _json(terms.bare),
                     "index_tokens": _json(tokens)})
    return rows


def cut_passages(passages: list[dict]) -> Iterator[list[str]]:
    """Each passage's text cut in search mode (kbcore.words.cut_for_index), setting its text_seg, the
    keyword index's column, on the way: the cut of passage_text, which is its section's cut and then
    its text's (jieba never joins words across the space between them; tests/test_fts.py checks)."""
    sections: dict[str, list[str]] = {}
    for p in passages:
        cut = words.cut_for_index(p["text"])
        section = p.get("section") or ""
        if section and section not in sections:
            sections[section] = words.cut_for_index(section)
        p["text_seg"] = " ".join(sections.get(section, []) + cut)
        yield cut


def _json(counts: dict) -> str:
    return json.dumps(counts, ensure_ascii=False, separators=(",", ":"))

"""Segmented documents -> rows for sources, cases and passages, with stable ids.

Ids are derived from the manifest's source id and the case number (or role), never
from order of processing, so a rebuild yields the same ids and the same rows.
Text is stored Simplified for search and display; `*_original` keeps the source script.
"""
import hashlib
import json

from kbcore.schema import DOCUMENT_KINDS
from kbcore.text import to_simplified
from kbcore.textrules import chinese_numeral

from . import IngestError
from .passages import join_blocks, split_passages


def source_row(entry: dict, raw_text: str, removed: dict) -> dict:
    return {
        "id": entry["id"], "file": entry["file"], "title": entry["title"], "kind": entry["kind"],
        "part_of": entry.get("part_of"), "editor": entry.get("editor"),
        "publisher": entry.get("publisher"), "place": entry.get("place"), "date": entry["date"],
        "isbn": entry.get("isbn"),
        "url": entry.get("url"), "script": entry["script"], "region": entry.get("region"),
        "province": entry.get("province"), "expected_cases": entry.get("expected_cases"),
        "note": entry.get("note"), "chars": len(raw_text),
        "sha256": hashlib.sha256(raw_text.encode("utf-8")).hexdigest(),
        "residue_removed": json.dumps(dict(sorted(removed.items())), ensure_ascii=False),
    }


def case_id(source_id: str, doc: dict, seen: set) -> str:
    """The id pattern of the document's kind (kbcore.schema), made unique within the source."""
    base = DOCUMENT_KINDS[doc["kind"]].id_pattern.format(source=source_id, number=doc["number"])
    cid, k = base, 2
    while cid in seen:  # a second essay in the same book: -overview-2
        cid, k = f"{base}-{k}", k + 1
    seen.add(cid)
    return cid


def case_rows(source: dict, docs: list[dict]) -> tuple[list[dict], list[dict]]:
    """(cases, passages) rows for one source's documents."""
    cases, passages, seen = [], [], set()
    for doc in docs:
        cid = case_id(source["id"], doc, seen)
        body_original, body_spans = join_blocks(doc["blocks"])
        comment_original, comment_spans = join_blocks(doc["comment_blocks"])
        body, comment = _simplified(body_original, source), _simplified(comment_original, source)
        cases.append({
            "id": cid, "source_id": source["id"], "kind": doc["kind"], "number": doc["number"],
            "title": to_simplified(doc["title"]), "title_original": str(doc["title"]),
            "region": doc["region"] or (source.get("region") if doc["kind"] != "feature_intro" else None),
            "province": doc["province"] or (source.get("province") if doc["kind"] != "feature_intro" else None),
            "chapter_no": doc["chapter_no"],
            "chapter": chapter_label(doc),
            "page": doc["page"], "author": doc["author"],
            "body": body, "body_original": body_original,
            "comment": comment or None, "comment_original": comment_original or None,
            "status": "full_text" if body else "title_only",
            "chars": len(body), "source_line": doc["line"],
            "citation": citation(source, doc),
        })
        seq = 0
        for field, text, text_original, spans in (("body", body, body_original, body_spans),
                                                  ("comment", comment, comment_original, comment_spans)):
            for p in split_passages(text, spans):
                seq += 1
                passages.append({
                    "id": f"{cid}-{seq:03d}", "case_id": cid, "seq": seq, "field": field,
                    "section": to_simplified(p["section"]) if p["section"] else None,
                    "heading_path": to_simplified(p["heading_path"]) if p["heading_path"] else None,
                    "text": text[p["start"]:p["end"]], "text_original": text_original[p["start"]:p["end"]],
                    "start": p["start"], "end": p["end"], "chars": p["end"] - p["start"],
                })
    return cases, passages


def passages_by_case(passages: list[dict]) -> dict[str, list[dict]]:
    """Each case's passages in reading order (the taggers all read cases this way)."""
    by_case: dict[str, list[dict]] = {}
    for p in sorted(passages, key=lambda p: (p["case_id"], p["seq"])):
        by_case.setdefault(p["case_id"], []).append(p)
    return by_case


def _simplified(text: str, source: dict) -> str:
    converted = to_simplified(text)
    if len(converted) != len(text):
        raise IngestError(f"corpus/{source['file']}: Traditional->Simplified conversion changed "
                          "the text length, so passage offsets would not match body_original")
    return converted


def chapter_label(doc: dict) -> str | None:
    """"一 “政社互动”与政府管理": the numeral and the chapter title, as the book prints them."""
    if not doc["chapter_no"]:
        return None
    return f"{chinese_numeral(doc['chapter_no'])} {doc['chapter_title'] or ''}".strip()


def citation(source: dict, doc: dict) -> str:
    """How a trainer or researcher cites this document."""
    title = to_simplified(doc["title"])
    if source["kind"] == "book":  # a book_cases part is cited as its book (its cases join it)
        editor = source.get("editor")
        parts = [f"{editor}主编《{source['title']}》" if editor else f"《{source['title']}》",
                 source.get("publisher"), source.get("date")]
        if doc["chapter_no"]:
            parts.append(f"第{chinese_numeral(doc['chapter_no'])}章{doc['chapter_title'] or ''}")
        if doc["number"] and doc["kind"] == "book_case":
            parts.append(f"案例{doc['number']}：{title}")
        elif doc["kind"] != "book_case":
            parts.append(title)
        if doc["page"]:
            parts.append(f"第{doc['page']}页")
    else:
        parts = [f"《{source['title']}》", source.get("publisher"), source.get("date")]
        if doc["number"] and doc.get("numbered", True):  # a numbered case of a journal feature or a collection
            parts.append(f"案例{doc['number']}：{title}")
        elif doc["number"]:  # a part the source does not number is named by its own heading
            parts.append(title)
    return "，".join(p for p in parts if p)

"""Search results described for people: case fields, domains, snippet, the passage to open,
matched terms and why, in plain words.

All results are described by one set of batched queries (cases, domains, passages,
mechanisms), however many there are.
"""
import json
import re
from collections import defaultdict

from kbcore.schema import CASE_KINDS, STATUS_LABELS, TITLE_ONLY_NOTE
from kbcore.text import CJK_CHAR, fold

from .connection import marks, named_rows
from .fusion import Fused
from .snippets import highlight, window

# Said when the gate finds the question is not about anything the case base holds (the site and the CLI
# show it with suggestions()); an English question is also told to try Chinese.
NO_ANSWER = "没有找到很相关的案例"
NO_ANSWER_ENGLISH = (NO_ANSWER + "。案例都是中文写的，请试着用中文描述问题 "
                     "(no case matched this English question: the cases are written in Chinese, try asking in Chinese)")
LISTED = "符合筛选条件"  # the why of a case listed by filters alone
# Searches an empty answer suggests (each returns cases: tests/test_search_gate.py asks them).
SUGGESTED_QUERIES = ("垃圾分类", "河道治理", "社区减负")
CLOSE_STANDING = 3.5  # a case is said to be "意思相近" when its best cosine stands this far above the query's mean


def no_answer_note(text: str) -> str:
    """What an empty answer says: in English too, and how to do better, for a question written in English."""
    return NO_ANSWER_ENGLISH if is_english(text) else NO_ANSWER


def is_english(text: str) -> bool:
    """A question written in Latin letters with no Chinese character."""
    return bool(re.search(r"[A-Za-z]", text or "")) and not CJK_CHAR.search(text or "")


def suggestions(filters: dict, english: bool = False) -> list[str]:
    """What to try after a search that found nothing relevant."""
    tips = ["用中文描述遇到的问题，如“小区里到处是垃圾怎么办”"] if english else []
    tips.append("换一种说法描述问题，或用更短、更具体的词，如" + "".join(f"“{q}”" for q in SUGGESTED_QUERIES))
    if any(filters.values()):
        tips.append("去掉筛选条件再搜索")
    tips.append("按领域或治理机制浏览全部案例")
    return tips


def describe(conn, fused: list[Fused], found) -> list[dict]:
    """One dict per fused case, in order; `found` is the search's index.search.Candidates (a semantic
    reason is given only for a case standing CLOSE_STANDING above the query's mean similarity)."""
    ids = [f.case_id for f in fused]
    if not ids:
        return []
    query = found.query
    rows = _rows(conn, ids)
    evidence = _grouped(named_rows(
        conn, f"select case_id, mechanism, evidence_terms from case_mechanisms where case_id in ({marks(ids)}) "
              f"and mechanism in ({marks(query.mechanisms)}) order by case_id, score desc, mechanism",
        [*ids, *query.mechanisms])) if query.mechanisms else {}
    out = []
    for f in fused:
        cid = f.case_id
        similarity = found.similarity.get(cid)
        stand = found.standing.get(cid)
        passage_id = (_part(f, "keyword") or _part(f, "mechanism") or (similarity[1] if similarity else None))
        body = [t for t in query.search_terms if cid in found.hits.body.get(t, ())]
        folded_title = fold(rows["cases"][cid]["title"])  # a concept written in the title, whatever jieba cut there
        title = [t for t in query.search_terms
                 if cid in found.hits.title.get(t, ()) or (t in query.terms and t in folded_title)]
        matched = list(dict.fromkeys(body + title))
        mechanisms = [e["mechanism"] for e in evidence.get(cid, [])]
        evidence_terms = [t for e in evidence.get(cid, []) for t in json.loads(e["evidence_terms"])]
        close = similarity is not None and (stand or 0.0) >= CLOSE_STANDING
        why = reasons(rows["cases"][cid]["title"], _shown(query, body), _shown(query, title), mechanisms,
                      ("title" if similarity[1] is None else "body") if similarity and close else None)
        if not why and similarity:
            why = ["与问题意思有些相近"]
        out.append(_result(rows, cid, passage_id, matched, list(dict.fromkeys(matched + evidence_terms)), why, {
            "score": round(f.score, 4),
            "semantic_similarity": round(similarity[0], 4) if similarity else None,
            "semantic_standing": round(stand, 2) if stand is not None else None,
            "keyword_coverage": round(found.coverage.get(cid, 0.0), 3)}))
    return out


def reasons(title: str, body: list[str], title_terms: list[str], mechanisms: list[str],
            close_by: str | None) -> list[str]:
    """Why a case answers, in plain words: 正文出现“垃圾分类”；标题与问题意思相近；使用了“社区减负”机制."""
    quoted = lambda terms: "、".join(f"“{t}”" for t in terms)  # noqa: E731
    folded_title = fold(title)
    in_title = [t for t in title_terms if t in folded_title]
    in_chapter = [t for t in title_terms if t not in folded_title]
    out = []
    if in_title:
        out.append(f"标题出现{quoted(in_title)}")
    if body:
        out.append(f"正文出现{quoted(body)}")
    if in_chapter:
        out.append(f"所属章节与{quoted(in_chapter)}有关")
    if close_by:
        out.append("标题与问题意思相近" if close_by == "title" else "正文与问题意思相近")
    if mechanisms:
        out.append(f"使用了{quoted(mechanisms)}机制")
    return out


def _shown(query, matched: list[str]) -> list[str]:
    """The matched terms worth naming: a concept, or the expansions found when the concept itself was not
    (正文出现“两份清单”, not also “两份”“清单”)."""
    found = set(matched)
    out = []
    for concept, group in query.concept_terms():
        out += [concept] if concept in found else [t for t in group if t in found]
    return list(dict.fromkeys(out))


def describe_listing(conn, allowed: set[str], limit: int, kinds=CASE_KINDS) -> list[dict]:
    """The documents of these kinds (real cases unless the kind filter asks for another) passing a
    search's filters (no query words): those with text first, then by id."""
    ids = [r["id"] for r in named_rows(
        conn, f"select id from cases where id in ({marks(allowed)}) and kind in ({marks(kinds)}) "
              f"order by status = 'title_only', id limit ?", [*allowed, *kinds, limit])]
    if not ids:
        return []
    rows = _rows(conn, ids)
    first = {cid: passages[0]["id"] for cid, passages in rows["passages"].items() if passages}
    return [_result(rows, cid, first.get(cid), [], [], [LISTED],
                    {"score": None, "semantic_similarity": None, "semantic_standing": None, "keyword_coverage": None})
            for cid in ids]


def _rows(conn, ids) -> dict:
    """cases, domains and passages of these case ids, each by case id."""
    cases = {r["id"]: r for r in named_rows(
        conn, f"select id, title, region, province, kind, status, chapter, citation from cases "
              f"where id in ({marks(ids)})", ids)}
    domains = _grouped(named_rows(
        conn, f"select case_id, domain from case_domains where case_id in ({marks(ids)}) "
              f"order by case_id, score desc, domain", ids), "domain")
    passages = _grouped(named_rows(
        conn, f"select case_id, id, text from passages where case_id in ({marks(ids)}) order by case_id, seq", ids))
    return {"cases": cases, "domains": domains, "passages": passages}


def _result(rows, cid, passage_id, matched, marked, why, scores) -> dict:
    case = rows["cases"][cid]
    texts = {p["id"]: p["text"] for p in rows["passages"].get(cid, [])}
    opening = next(iter(texts.values()), None)  # matched by its title alone: show how its text begins
    source = texts.get(passage_id) or opening or (TITLE_ONLY_NOTE if case["status"] == "title_only" else "")
    snippet = window(source, marked)
    return {
        "case_id": cid, "title": case["title"], "title_html": highlight(case["title"], matched),
        "region": case["region"], "province": case["province"], "kind": case["kind"], "status": case["status"],
        "status_label": STATUS_LABELS.get(case["status"], case["status"]),
        "chapter": case["chapter"], "citation": case["citation"], "domains": rows["domains"].get(cid, []),
        **scores, "passage_id": passage_id if passage_id in texts else None,
        "anchor": passage_id if passage_id in texts else None,
        "snippet": highlight(snippet, marked), "snippet_text": snippet, "matched": matched,
        "text_missing": case["status"] == "title_only",
        "reasons": why, "why": "；".join(why),
    }


def _part(fused: Fused, name: str):
    return (fused.parts.get(name) or (None, None))[1]


def describe_neighbours(conn, neighbours: list[tuple[str, float]]) -> list[dict]:
    """Similar cases, in order: (case id, similarity) with title, region, kind and status."""
    ids = [cid for cid, _ in neighbours]
    if not ids:
        return []
    cases = {r["id"]: r for r in named_rows(
        conn, f"select id, title, region, kind, status from cases where id in ({marks(ids)})", ids)}
    return [{"case_id": cid, "title": cases[cid]["title"], "region": cases[cid]["region"],
             "kind": cases[cid]["kind"], "status": cases[cid]["status"],
             "status_label": STATUS_LABELS.get(cases[cid]["status"], cases[cid]["status"]),
             "similarity": round(score, 4)} for cid, score in neighbours]


def _grouped(rows, column: str | None = None) -> dict[str, list]:
    """Rows (or one column of them) per case id, in query order."""
    out = defaultdict(list)
    for row in rows:
        out[row["case_id"]].append(row[column] if column else row)
    return out

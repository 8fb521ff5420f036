"""The database contract: every table, index and view, the kinds of document and which of
them are cases, the status labels and the title-only wording.

Researchers' SQL, the site and the packs all read the database this module describes, so
each fact lives here once: ingest writes it, the index, reports and plugin read it, and
the `document_kinds` table and `real_cases` view carry it into SQL.
Column meanings are documented for readers in metadata.yml (a test keeps the two in step).
"""
from typing import NamedTuple


class DocumentKind(NamedTuple):
    id: str
    label: str          # how a page names it
    is_case: bool       # counted as a case (not a preface, essay or introduction)
    description: str
    id_pattern: str     # its cases.id, from the source id and its number (public: never change one)


DOCUMENT_KINDS = {k.id: k for k in (
    DocumentKind("book_case", "书中案例", True, "《太仓“政社互动”100例》中的一个案例", "{source}-{number:03d}"),
    DocumentKind("journal_case", "期刊案例", True, "期刊专题中的一个案例", "{source}-{number}"),
    DocumentKind("collection_case", "案例", True, "案例集（如民政部门的 Word 文件）中的一个案例", "{source}-{number}"),
    DocumentKind("award_project", "获奖项目", True, "获奖项目介绍页中的项目", "{source}"),
    DocumentKind("article", "文章", True, "以一个地方的做法为主题的文章", "{source}"),
    DocumentKind("preface", "序", False, "书的序言", "{source}-preface{number}"),
    DocumentKind("overview", "综述", False, "书中的综述文章", "{source}-overview"),
    DocumentKind("feature_intro", "编者按", False, "期刊专题的编者按", "{source}-feature-intro"),
    DocumentKind("document", "文件", False, "不是案例的文献：报告、讲话、政策文件", "{source}"),
)}
CASE_KINDS = tuple(k.id for k in DOCUMENT_KINDS.values() if k.is_case)
KIND_LABELS = {k.id: k.label for k in DOCUMENT_KINDS.values()}
OTHER_DOCUMENTS_LABEL = "序言、综述等文献"  # what the documents that are not cases are called

STATUS_LABELS = {"full_text": "有正文", "title_only": "仅有标题"}
TITLE_ONLY_NOTE = "源文本中本案例仅有标题（及章节、页码），正文缺失。"
# A character the source lost (a garbled run whose bytes do not survive): stored as this mark, never guessed.
# A quote holding one is not shown as a key figure.
LOST_CHARACTER = "□"


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


TABLES = {
    # name: (columns, primary key, foreign keys)
    "sources": ({"id": str, "file": str, "title": str, "kind": str, "part_of": str, "editor": str,
                 "publisher": str, "place": str, "date": str, "isbn": str, "url": str, "script": str, "region": str,
                 "province": str, "expected_cases": int, "note": str, "chars": int, "sha256": str,
                 "residue_removed": str, "build_key": str}, "id", []),
    "document_kinds": ({"id": str, "label": str, "is_case": int, "description": str}, "id", []),
    "domains": ({"id": str, "name_zh": str, "name_en": str, "chapter": str, "description": str}, "id", []),
    "cases": ({"id": str, "source_id": str, "kind": str, "number": int, "title": str,
               "title_original": str, "region": str, "province": str, "chapter_no": int, "chapter": str,
               "page": int, "author": str, "body": str, "body_original": str, "comment": str,
               "comment_original": str, "status": str, "chars": int, "source_line": int,
               "citation": str, "domains": str, "mechanisms": str}, "id", [("source_id", "sources", "id")]),
    # text_seg: the passage under its section (kbcore.units.passage_text) cut for the keyword index
    # (kbcore.words.segmented), written by ingest, which cuts the text anyway; passages_fts indexes it.
    "passages": ({"id": str, "case_id": str, "seq": int, "field": str, "section": str, "text": str,
                  "text_original": str, "start": int, "end": int, "chars": int, "heading_path": str,
                  "text_seg": str}, "id", [("case_id", "cases", "id")]),
    "case_domains": ({"case_id": str, "domain": str, "source": str, "score": float, "evidence": str},
                     ("case_id", "domain"), [("case_id", "cases", "id"), ("domain", "domains", "id")]),
    "mechanisms": ({"id": str, "name_zh": str, "description": str, "terms": str}, "id", []),
    "case_mechanisms": ({"case_id": str, "mechanism": str, "score": float, "evidence_passage_ids": str,
                         "evidence_terms": str}, ("case_id", "mechanism"),
                        [("case_id", "cases", "id"), ("mechanism", "mechanisms", "id")]),
    "case_keywords": ({"case_id": str, "keyword": str, "weight": float, "rank": int}, ("case_id", "keyword"),
                      [("case_id", "cases", "id")]),
    "case_places": ({"case_id": str, "place": str, "count": int}, ("case_id", "place"),
                    [("case_id", "cases", "id")]),
    "case_figures": ({"id": str, "case_id": str, "passage_id": str, "start": int, "end": int, "quote": str,
                      "quantities": str, "change": str, "weight": float, "rank": int}, "id",
                     [("case_id", "cases", "id"), ("passage_id", "passages", "id")]),
    # What jieba found in each case (title and passages), kept so that the corpus-wide tags (keywords,
    # places, domains) and a rebuild need no jieba: keyword counts in order of first use, places, bare
    # names, the classifier's index tokens (JSON objects). A build cache, not for reading.
    "case_tokens": ({"case_id": str, "keyword_counts": str, "keyword_total": int, "places": str,
                     "bare_names": str, "index_tokens": str}, "case_id", [("case_id", "cases", "id")]),
    # One vector per case title and passage (written by the index stage); id is the FAISS id.
    "embeddings": ({"id": int, "model": str, "case_id": str, "passage_id": str, "kind": str,
                    "content_hash": str, "embedding": bytes}, "id",
                   [("case_id", "cases", "id"), ("passage_id", "passages", "id")]),
    # The FAISS index over the embeddings (index.vectors, written by the index stage; one row, id 1): its
    # factory string (`casekb build --index`), search parameters, the vectors' mean and covariance (float64)
    # and, for an approximate index, the index serialised (none for Flat: made from `embeddings` at start-up).
    "vector_index": ({"id": int, "model": str, "factory": str, "vectors": int, "dim": int,
                      "search_parameters": str, "mean": bytes, "covariance": bytes, "faiss_index": bytes}, "id", []),
    # The search gate's background (kbcore/data/offtopic.txt: everyday questions not about governance), embedded
    # by the index stage with the corpus's encoder, so the site need not embed it at start-up (index.gate).
    "gate_background": ({"id": int, "model": str, "text": str, "content_hash": str, "embedding": bytes}, "id", []),
    # What was built: one row (id 1), written last by the build (casekb.build.build_info_row).
    "build_info": ({"id": int, "built_at": str, "corpus_sha256": str, "model": str, "casekb_version": str,
                    "sources": int, "cases": int, "title_only_cases": int, "other_documents": int,
                    "passages": int, "vectors": int, "embedded": int, "reused": int, "index_factory": str,
                    "reused_sources": int, "fingerprints": str}, "id", []),
}
NOT_NULL = {"sources": {"id", "title"}, "cases": {"id", "title"}}
INDEXES = {
    "cases": [["source_id"], ["kind"], ["region"], ["chapter_no"], ["status"],
              # Covering the columns the counts of the overview, the mechanism pages and the reading order
              # read: a row of `cases` holds the text, and `status` lies past it (pages of overflow per case).
              ["kind", "status", "region", "province", "source_id", "number", "id"],
              ["source_id", "kind", "status", "number", "id"]],
    "embeddings": [["case_id"]],  # Datasette's case page counts the rows that link to it
    "passages": [["case_id", "seq"]],
    "case_domains": [["domain"]],
    "case_mechanisms": [["mechanism"]],
    "case_keywords": [["keyword"], ["case_id", "rank"]],
    "case_places": [["place"]],
    "case_figures": [["case_id", "rank"], ["passage_id"]],
}
# Views, in creation order: real_cases is what every count of 案例 counts.
VIEWS = {
    "real_cases": """
select c.* from cases c
where c.kind in (select id from document_kinds where is_case)
""",
    "coverage": """
select s.id as source_id, s.title, s.kind, s.expected_cases,
       count(c.id) as cases_present,
       coalesce(sum(c.status = 'full_text'), 0) as bodies_present,
       coalesce(sum(c.status = 'title_only'), 0) as title_only,
       s.expected_cases - count(c.id) as cases_missing
from sources s
left join real_cases c on c.source_id = s.id
where s.kind != 'book_cases'
group by s.id
order by s.id
""",
    # What each vector is, for researchers' SQL (semantic_search() results join through it).
    "vector_items": """
select id, case_id, passage_id, kind from embeddings
""",
}


def document_kind_rows() -> list[dict]:
    """Rows of the `document_kinds` table, so SQL can tell cases from other documents."""
    return [{"id": k.id, "label": k.label, "is_case": int(k.is_case), "description": k.description}
            for k in DOCUMENT_KINDS.values()]


def is_case(kind: str) -> bool:
    return kind in CASE_KINDS

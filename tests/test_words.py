"""Behaviour of kbcore.words: dictionary-aware segmentation and safe FTS5 queries."""
import sqlite3

import pytest

from kbcore import words
from kbcore.limits import MAX_QUERY_CHARS

ROWS = [
    (1, "太仓市政社互动：制定两份清单，实现政社分开"),
    (2, "南京市大力推动社区减负，让社区回归自治本位"),
    (3, "小区里垃圾分类的宣传，由网格员上门开展"),
    (4, "湖北省秭归县推进“幸福村落”建设，依托“一长八员”"),
]


@pytest.fixture(scope="module")
def db():
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE cases_fts USING fts5(segmented)")
    except sqlite3.OperationalError as exc:  # pragma: no cover - depends on the build
        pytest.skip(f"sqlite3 without FTS5: {exc}")
    conn.executemany(
        "INSERT INTO cases_fts(rowid, segmented) VALUES (?, ?)",
        [(rowid, words.segmented(text)) for rowid, text in ROWS],
    )
    yield conn
    conn.close()


def search(conn, query):
    match = words.fts_match(query)
    if match is None:
        return None
    return [r[0] for r in conn.execute(
        "SELECT rowid FROM cases_fts WHERE cases_fts MATCH ? ORDER BY rank", (match,))]


def test_init_is_idempotent():
    words.init()
    words.init()
    assert words.cut("政社互动") == ["政社互动"]


def test_place_name_and_term_not_cut_across():
    toks = words.cut("太仓市政社互动")
    assert toks == ["太仓市", "政社互动"]
    assert "市政" not in toks
    assert "市政" not in words.cut_for_index("太仓市政社互动")


def test_traditional_gives_same_tokens():
    assert words.cut("太倉市政社互動") == words.cut("太仓市政社互动")
    assert words.cut_for_index("太倉市政社互動") == words.cut_for_index("太仓市政社互动")


def test_index_yields_sub_words():
    assert words.cut("社区减负") == ["社区减负"]
    toks = words.cut_for_index("社区减负")
    assert {"社区", "减负", "社区减负"} <= set(toks)
    assert words.segmented("推动社区减负").split() == words.cut_for_index("推动社区减负")


@pytest.mark.parametrize("text,expected", [
    ("网格员张培养的特殊服务", "网格员"),
    ("一场治理泔脚猪污染的攻坚战", "泔脚猪"),
    ("成都市武侯区玉林街道黉门街社区", "黉门街社区"),
    ("培育发展乡贤参事会", "乡贤参事会"),
    ("签订基层自治组织协助政府管理协议书", "协助政府管理协议书"),
])
def test_dictionary_terms(text, expected):
    assert expected in words.cut(text)


def test_filtering_and_case():
    toks = words.cut("  「政社互动」 ， DROP Table ！！ ")
    assert toks == ["政社互动", "drop", "table"]


def test_stopwords_removed():
    assert words.query_terms("小区里到处是垃圾怎么办") == ["小区", "垃圾"]
    assert words.query_terms("的了吗呢啊") == []


def test_query_terms_dedup_and_cap():
    assert words.query_terms("政社互动 政社互动 太倉市") == ["政社互动", "太仓市"]
    many = " ".join(f"w{i}" for i in range(100))
    assert len(words.query_terms(many)) == 32


def test_long_query_is_cut_before_segmenting():
    """A pasted 10,000-character query costs no more than a short one: only its first
    MAX_QUERY_CHARS characters are folded and cut, so a term beyond them is never seen."""
    head = "太仓市政社互动的做法怎么办？" * 800
    assert len(head) > 10 * MAX_QUERY_CHARS
    terms = words.query_terms(head + "垃圾分类")
    assert terms[:2] == ["太仓市", "政社互动"]
    assert "垃圾分类" not in terms
    assert "垃圾分类" in words.query_terms(head[:MAX_QUERY_CHARS - 10] + "垃圾分类")


HOSTILE = [
    '"', '""', "*", "AND", "OR", "NOT", "NEAR(", "NEAR(a b, 2)", "col:", "segmented:政社",
    'a" OR "b', ") OR (", "'; DROP TABLE cases; --", "^政社", "-社区", "政社*", "{a b}:c",
    "x" * 10000, "政社互动" * 2500, "😀", "😀垃圾😀", "\x00", "政社\x00互动", "\ud800",
    "", "   ", "，。！？", "+", "a+b", "\\", "%_", "〇", "①②",
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_are_safe(db, query):
    match = words.fts_match(query)
    assert match is None or isinstance(match, str)
    if match is not None:
        assert "\x00" not in match
        # Must be accepted by a real FTS5 table without a syntax error.
        db.execute("SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?", (match,)).fetchall()


def test_hostile_syntax_is_searched_as_text():
    assert words.fts_match('ab" NEAR "cd') == '"ab" OR "near" OR "cd"'
    assert words.fts_match('ab" OR "cd') == '"ab" OR "cd"'  # "or" is a function word, never an operator
    assert words.fts_match("*") is None
    assert words.fts_match("\x00") is None
    assert words.fts_match("😀") is None


def test_match_finds_right_row(db):
    assert search(db, "太仓市政社互动")[0] == 1
    assert search(db, "太倉市政社互動")[0] == 1
    assert search(db, "社区减负")[0] == 2
    assert search(db, "减负") == [2]  # sub-word indexed
    assert search(db, "小区里到处是垃圾怎么办")[0] == 3
    assert search(db, "幸福村落") == [4]
    assert search(db, "怎么办") is None

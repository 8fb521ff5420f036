"""Search in everyday words (issue 18): the governance lexicon and its checks, function words that are
never evidence, the gate both ways, cases first, title-only precedents in the list, and suggestions
that find something."""
import re
from contextlib import closing
from pathlib import Path

import pytest
import yaml

from datasette_plugins.casekb_search.front_door import EXAMPLES
from index.connection import connect_readonly
from index.encoders import DEFAULT_SPEC
from index.evidence import term_hits
from index.filters import Filters
from index.fusion import Fused, Fusion, length_fair
from index.gate import BACKGROUND_FILE, GateError, background_sentences
from index.query import QueryTerms, parse_query
from index.ranking import RANKINGS, TITLE_ONLY_AHEAD, shipped
from index.results import NO_ANSWER, SUGGESTED_QUERIES
from index.search import Searcher, title_only_placed
from kbcore.lexicon import LEXICON_FILE, LexiconError, lexicon, load_lexicon
from kbcore.schema import CASE_KINDS
from kbcore.text import fold
from kbcore.words import folded_query_terms, query_terms

ROOT = Path(__file__).resolve().parents[1]
LEXICON = QueryTerms(lexicon=True)


@pytest.fixture(scope="module")
def searcher(built_db):
    return Searcher(built_db)


# --- the lexicon -------------------------------------------------------------------------------------

def test_the_shipped_lexicon_loads_and_every_entry_states_its_source():
    table = load_lexicon(LEXICON_FILE)
    assert len(table.entries) >= 50
    assert all(e.source in table.sources and e.words and e.terms for e in table.entries)
    assert {"own", "glossary"} <= set(table.sources)


def test_everyday_and_english_words_call_up_the_case_terms():
    assert "减负" in parse_query("社区事情太多负担太重", [], LEXICON).terms
    assert "公交" in parse_query("镇上到村里没有公共汽车", [], LEXICON).terms
    assert "业委会" in parse_query("setting up a homeowners committee", [], LEXICON).terms
    assert "公交" not in parse_query("business plan", [], LEXICON).terms  # English words match whole
    assert "减负" not in parse_query("社区事情太多负担太重", [], QueryTerms()).terms  # only when asked


def test_every_lexicon_term_is_held_by_some_case_of_the_bundled_corpus(searcher):
    """A term no case holds (one the index cuts otherwise, 房修 in 房/修组) would be searched for nothing."""
    with closing(connect_readonly(searcher.db_path)) as conn:
        dead = [(e.line, term) for e in lexicon().entries for term in e.terms
                if not any(term_hits(conn, [t]).cases(t) for t in folded_query_terms(term))]
    assert not dead, f"lexicon terms no case holds (line, term): {dead}"


def _lexicon(tmp_path, body: str) -> Path:
    path = tmp_path / "lexicon.yml"
    path.write_text("sources:\n  own: our own list\nentries:\n" + body, encoding="utf-8")
    return path


@pytest.mark.parametrize("body, line, message", [
    ("  - {words: [厕所], terms: [公厕], source: own, colour: red}\n", 4, "unknown key 'colour'"),
    ("  - {words: [厕所], terms: [公厕]}\n", 4, "lacks source"),
    ("  - {words: [厕所], terms: [公厕], source: cilin}\n", 4, "source must be one of the file's sources (own)"),
    ("  - {words: [厕所], terms: [公厕], source: own}\n  - {words: [厕所], terms: [卫生间], source: own}\n", 5,
     "the word '厕所' is already in the entry at line 4"),
    ("  - {words: 厕所, terms: [公厕], source: own}\n", 4, "words must be a non-empty list of texts"),
    ("  - {words: [厕所], terms: [], source: own}\n", 4, "terms must be a non-empty list of texts"),
    ("  - just a line\n", 4, "each entry must be a mapping"),
    ("  - {words: [厕所], terms: [公厕], source: own\n", 5, "not valid YAML"),
])
def test_a_bad_lexicon_entry_is_an_error_naming_its_file_and_line(tmp_path, body, line, message):
    path = _lexicon(tmp_path, body)
    with pytest.raises(LexiconError) as e:
        load_lexicon(path)
    assert str(e.value).startswith(f"{path}:{line}: ") and message in str(e.value), str(e.value)


def test_a_lexicon_without_its_sources_or_with_an_unknown_top_key_is_refused(tmp_path):
    path = tmp_path / "lexicon.yml"
    path.write_text("entries:\n  - {words: [厕所], terms: [公厕], source: own}\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"lexicon.yml:1: the lexicon lacks sources"):
        load_lexicon(path)
    path.write_text("sources: {own: ours}\nentries: []\nextra: 1\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"lexicon.yml:3: unknown key 'extra'"):
        load_lexicon(path)


def test_traditional_words_are_folded_on_load(tmp_path):
    table = load_lexicon(_lexicon(tmp_path, "  - {words: [業主委員會], terms: [業委會], source: own}\n"))
    assert table.terms_for(fold("小区想成立业主委员会")) == ("业委会",)


# --- function words and single characters ------------------------------------------------------------

def test_function_words_and_single_characters_are_not_query_terms():
    assert query_terms("社区事情太多负担太重") == ["社区", "负担", "太重"]
    assert not {"人", "多", "事", "怎么办", "太", "都", "没"} & set(query_terms("老人没人照顾怎么办，事太多都忙不过来"))


@pytest.mark.parametrize("q, words", [("社区事情太多负担太重", ["多", "太", "事"]),
                                      ("老人没人照顾怎么办", ["人", "没"])])
async def test_function_words_are_neither_matched_nor_highlighted(ds, q, words):
    r = await ds.client.get("/-/search.json", params={"q": q})
    results = r.json()["results"]
    assert r.status_code == 200 and results
    for result in results:
        assert not set(words) & set(result["matched"]), result["matched"]
        marked = re.findall(r"<strong>(.*?)</strong>", result["snippet"] + result["title_html"])
        assert not set(words) & set(marked), marked


# --- the gate ----------------------------------------------------------------------------------------

async def test_a_governance_question_in_everyday_words_is_answered(ds):
    r = await ds.client.get("/-/search.json", params={"q": "消防车进不了小区"})
    assert r.status_code == 200
    ids = [x["case_id"] for x in r.json()["results"]]
    assert "taicang100-015" in ids[:5], ids  # 一条“生命通道”的打开
    assert "note" not in r.json()


@pytest.mark.parametrize("q", ["红烧肉的家常做法", "怎么给猫剪指甲"])
async def test_a_cooking_or_pet_question_is_empty_with_200_and_a_note(ds, searcher, q):
    assert searcher.search(q, gate=False), "without the gate the least bad cases would be listed"
    r = await ds.client.get("/-/search.json", params={"q": q})
    data = r.json()
    assert r.status_code == 200 and data["results"] == [] and data["count"] == 0
    assert data["note"] == NO_ANSWER and data["suggestions"] and "error" not in data


async def test_an_english_question_that_finds_nothing_says_so_and_suggests_chinese(ds):
    data = (await ds.client.get("/-/search.json", params={"q": "how to bake bread"})).json()
    assert data["count"] == 0 and data["note"].startswith(NO_ANSWER) and "Chinese" in data["note"]
    assert "中文" in data["note"] and any("中文" in s for s in data["suggestions"])


def test_the_background_is_not_the_dev_set_and_a_repeated_line_names_its_place(tmp_path):
    dev = yaml.safe_load((ROOT / "bench/dev_queries.yml").read_text(encoding="utf-8"))["queries"]
    assert not {fold(q["q"]) for q in dev} & set(background_sentences(BACKGROUND_FILE))
    path = tmp_path / "offtopic.txt"
    path.write_text("# comment\n红烧肉\n\n紅燒肉\n", encoding="utf-8")
    with pytest.raises(GateError, match=rf"{re.escape(str(path))}:4: '紅燒肉' is already at line 2"):
        background_sentences(path)


# --- cases first ---------------------------------------------------------------------------------------

async def test_prefaces_and_essays_only_when_the_kind_filter_asks(ds):
    plain = (await ds.client.get("/-/search.json", params={"q": "两份清单", "limit": 50})).json()["results"]
    assert plain and all(x["kind"] in CASE_KINDS for x in plain)
    asked = (await ds.client.get("/-/search.json", params={"q": "两份清单", "kind": "preface"})).json()["results"]
    assert "taicang100-preface1" in [x["case_id"] for x in asked] and {x["kind"] for x in asked} == {"preface"}
    listed = (await ds.client.get("/-/search.json", params={"kind": "overview"})).json()["results"]
    assert [x["case_id"] for x in listed] == ["taicang100-overview"]


def test_case_scores_are_fair_to_length(searcher):
    """A long document's best passage is the best of many: its place in a list pays log(passages)."""
    ranking = searcher.ranking
    assert dict(ranking.length).get("semantic", 0) > 0
    with closing(connect_readonly(searcher.db_path)) as conn:
        found = searcher.gather(conn, "社区事情太多负担太重", ranking.terms)
    long_one = max(searcher.sizes, key=searcher.sizes.get)
    fair = [h.case_id for h in length_fair(found.lists, searcher.sizes, ranking.length)["semantic"]]
    plain = [h.case_id for h in found.lists["semantic"]]
    assert fair.index(long_one) > plain.index(long_one)


# --- title-only precedents in the list ------------------------------------------------------------------

def test_at_most_a_few_title_only_precedents_before_the_first_case_with_text():
    docs = {f"t{i}": ("book_case", "title_only") for i in range(6)} | {"a": ("article", "full_text")}
    fused = [Fused(f"t{i}", 1.0, {}) for i in range(6)] + [Fused("a", 0.5, {})]
    order = [f.case_id for f in title_only_placed(fused, docs)]
    assert order == ["t0", "t1", "t2", "a", "t3", "t4", "t5"] and TITLE_ONLY_AHEAD == 3
    assert title_only_placed(fused[3:], docs) == fused[3:]  # three ahead: as ranked


async def test_title_only_precedents_are_inline_at_their_rank_and_marked(ds):
    results = (await ds.client.get("/-/search.json", params={"q": "村里的河被污染了怎么治理"})).json()["results"]
    ids = [x["case_id"] for x in results]
    assert "taicang100-046" in ids[:5], ids  # “臭河浜”成了“景观河”, in the list, not in a box
    first_text = next(i for i, x in enumerate(results) if x["status"] != "title_only")
    assert first_text <= TITLE_ONLY_AHEAD
    assert all(x["text_missing"] == (x["status"] == "title_only") for x in results)


# --- suggestions -------------------------------------------------------------------------------------------

async def test_every_suggestion_on_an_empty_answer_returns_results(ds):
    data = (await ds.client.get("/-/search.json", params={"q": "红烧肉的家常做法"})).json()
    assert data["suggested_queries"] == list(SUGGESTED_QUERIES)
    quoted = re.findall(r"“(.+?)”", " ".join(data["suggestions"]))
    assert set(SUGGESTED_QUERIES) <= set(quoted)
    for q in [*quoted, *SUGGESTED_QUERIES, *EXAMPLES]:
        r = await ds.client.get("/-/search.json", params={"q": q})
        assert r.status_code == 200 and r.json()["count"] > 0, q


# --- typed records -----------------------------------------------------------------------------------------

def test_fusion_refuses_an_unknown_method_and_filters_are_one_record(searcher):
    with pytest.raises(ValueError, match="fusion method must be one of rrf, convex"):
        Fusion("borda", ())
    assert Fusion("rrf", ()).method.value == "rrf"
    by_record = searcher.search("垃圾", filters=Filters(domain="生态建设"))
    assert by_record == searcher.search("垃圾", domain="生态建设") and by_record
    assert shipped("st:/some/model") == RANKINGS[DEFAULT_SPEC]
    with pytest.raises(TypeError):
        searcher.search("垃圾", colour="red")
    assert lexicon() is lexicon()

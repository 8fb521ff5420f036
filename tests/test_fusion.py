"""index/fusion.py on hand-made hit lists: the scores each method gives, worked out by hand, ties,
a list whose scores are all equal (zero span), weights, and a case's best hit standing for it."""
import pytest

from index.fusion import Fused, Fusion, fuse
from index.retrievers import Hit

W = lambda **w: tuple(w.items())  # noqa: E731


def hits(*items) -> list[Hit]:
    """Hits from (case id, score) pairs, best first; the passage id names the case and the position."""
    return [Hit(cid, f"{cid}-p{i}", score) for i, (cid, score) in enumerate(items, 1)]


def scores(fused: list[Fused]) -> list[tuple[str, float]]:
    return [(f.case_id, pytest.approx(f.score)) for f in fused]


@pytest.mark.parametrize("lists, fusion, expected", [
    pytest.param({"keyword": hits(("a", 9), ("b", 5))}, Fusion("rrf", W(keyword=1.0), k=10),
                 [("a", 1 / 11), ("b", 1 / 12)], id="rrf-one-list"),
    pytest.param({"keyword": hits(("a", 9), ("b", 5)), "semantic": hits(("b", 0.9), ("c", 0.8))},
                 Fusion("rrf", W(keyword=1.0, semantic=2.0), k=5),
                 [("b", 1 / 7 + 2 / 6), ("c", 2 / 7), ("a", 1 / 6)], id="rrf-weights-add-up"),
    pytest.param({"keyword": hits(("a", 9), ("a", 8), ("b", 5))}, Fusion("rrf", W(keyword=1.0), k=10),
                 [("a", 1 / 11), ("b", 1 / 12)], id="rrf-a-case-ranks-by-its-first-hit"),
    pytest.param({"keyword": hits(("a", 9)), "title": hits(("b", 3))}, Fusion("rrf", W(keyword=1.0), k=10),
                 [("a", 1 / 11), ("b", 0.0)], id="rrf-an-unnamed-list-weighs-0"),
    pytest.param({"keyword": hits(("a", 10), ("b", 6), ("c", 2))}, Fusion("convex", W(keyword=1.0)),
                 [("a", 1.0), ("b", 0.5), ("c", 0.0)], id="convex-min-max-scaled"),
    pytest.param({"keyword": hits(("a", 10), ("b", 2)), "semantic": hits(("b", 0.9), ("c", 0.5), ("a", 0.1))},
                 Fusion("convex", W(keyword=1.0, semantic=1.5)),
                 [("b", 1.5), ("a", 1.0), ("c", 1.5 * 0.5)], id="convex-weights-add-up"),
    pytest.param({"keyword": hits(("a", 4), ("b", 4))}, Fusion("convex", W(keyword=2.0)),
                 [("a", 2.0), ("b", 2.0)], id="convex-zero-span-scores-every-case-1"),
    pytest.param({"keyword": [], "semantic": hits(("a", 0.3))}, Fusion("convex", W(keyword=1.0, semantic=1.0)),
                 [("a", 1.0)], id="convex-an-empty-list-is-skipped"),
    pytest.param({"keyword": [], "semantic": []}, Fusion("rrf", W(keyword=1.0)), [], id="nothing-in-nothing-out"),
])
def test_fused_scores(lists, fusion, expected):
    assert scores(fuse(lists, fusion)) == expected


@pytest.mark.parametrize("method", ["rrf", "convex"])
def test_ties_are_broken_by_case_id_whatever_the_order_of_the_lists(method):
    fusion = Fusion(method, W(keyword=1.0, title=1.0), k=10)
    one = {"keyword": hits(("b", 5), ("a", 1)), "title": hits(("a", 5), ("b", 1))}
    other = {"title": one["title"], "keyword": one["keyword"]}
    assert [f.case_id for f in fuse(one, fusion)] == [f.case_id for f in fuse(other, fusion)] == ["a", "b"]
    a, b = fuse(one, fusion)
    assert a.score == pytest.approx(b.score)


@pytest.mark.parametrize("method", ["rrf", "convex"])
def test_parts_say_where_each_case_ranked_and_with_which_passage(method):
    fused = fuse({"keyword": hits(("a", 9), ("b", 5), ("a", 4)), "semantic": hits(("b", 0.9))},
                 Fusion(method, W(keyword=1.0, semantic=1.0), k=10))
    parts = {f.case_id: f.parts for f in fused}
    assert parts == {"a": {"keyword": (1, "a-p1")}, "b": {"keyword": (2, "b-p2"), "semantic": (1, "b-p1")}}


def test_describe_names_the_method_its_constant_and_the_weights():
    assert Fusion("rrf", W(keyword=1.0, semantic=1.5), k=5).describe() == "rrf k=5 keyword=1 semantic=1.5"
    assert Fusion("convex", W(keyword=1.0, semantic=1.5)).describe() == "convex keyword=1 semantic=1.5"

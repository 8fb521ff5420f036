"""Automatic multi-label domain tags for the cases that have no book chapter.

Book cases inherit their chapter's domain (ingest/tag.py). Everything else — journal
cases, the award project, articles, prefaces, the overview, the feature introduction —
is scored here against the eight domains by two signals:

1. Term rules from ingest/domain_terms.yml: weighted terms, matched longest-first without
   overlap; a domain's evidence is sum(weight * (1 + ln count)), title hits count double.
2. Nearest labelled titles: cosine similarity (jieba tokens, TF-IDF over the labelled
   titles) between the text and the 66 book case titles, whose chapters are their domains;
   the five nearest titles vote with their similarity.

Each signal is turned into shares over the domains (summing to 1) and they are mixed with
weight R / (R + 2) for the rules, R being the rule evidence: a long text is decided by its
terms, a short title with one weak term leans on its labelled neighbours. The mixed share
is the tag's score (0..1). A case gets its best domain and every other domain with at
least 0.15 of the evidence (at most four domains); evidence is a JSON object naming the matched terms,
the passages they occur in and the neighbouring titles.

Pure Python, deterministic, no model downloads; must not import the `index` package.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

from kbcore import words
from kbcore.rules import get, read_rules
from kbcore.text import CJK_CHAR, count_terms

from . import IngestError
from .rulefiles import rule_file
from .tag import load_domains

TERMS_FILE = Path(__file__).with_name("domain_terms.yml")
SOURCE = "classifier"
TITLE_WEIGHT = 2          # a term in the title counts as two occurrences
RULE_PRIOR = 2.0          # rule evidence at which rules and neighbours weigh the same
NEIGHBOURS = 5            # labelled titles that vote
MIN_SCORE = 0.15          # a second (third, ...) domain needs this share of the evidence
MAX_TAGS = 4
MAX_EVIDENCE_PASSAGES = 5
MAX_EVIDENCE_TERMS = 10


class Example(NamedTuple):
    """A labelled text the neighbour vote learns from: a book case title and its chapter."""
    title: str
    domain: str
    case_id: str | None = None


# --- term rules -------------------------------------------------------------------------

def domain_ids() -> list[str]:
    return [d["id"] for d in load_domains()]


def load_terms(path: Path | None = None) -> dict[str, dict[str, float]]:
    """{domain: {term: weight}} from domain_terms.yml (the corpus' own, or the package's:
    ingest.rulefiles), in domains.yml order."""
    return _load_terms(path or rule_file("domain_terms.yml"), tuple(domain_ids()))


@lru_cache(maxsize=4)
def _load_terms(path: Path, known: tuple[str, ...]) -> dict[str, dict[str, float]]:
    by_domain = get(read_rules(path), "domains", "mapping", default={})
    for domain in by_domain:
        if domain not in known:
            raise IngestError(f"{by_domain.where(domain)}: unknown domain {domain!r}; use one of {', '.join(known)}")
    terms = {}
    for domain in known:
        weights = get(by_domain, domain, "mapping", default={})
        terms[domain] = {}
        for term in weights:
            weight = get(weights, term, "number", f"domain {domain}")
            if weight <= 0:
                raise IngestError(f"{weights.where(term)}: domain {domain}: {term} must be a positive weight")
            terms[domain][str(term).strip()] = float(weight)
    return terms


def _all_terms() -> tuple[str, ...]:
    return _sorted_terms(rule_file("domain_terms.yml"), tuple(domain_ids()))


@lru_cache(maxsize=4)
def _sorted_terms(path: Path, known: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({t for ts in _load_terms(path, known).values() for t in ts}))


def term_counts(text: str) -> Counter:
    """Occurrences of the domain terms in text (longest match, no overlaps)."""
    return count_terms(text, _all_terms())


def rule_evidence(counts: Counter) -> dict[str, float]:
    """Raw rule evidence per domain: sum of weight * (1 + ln n) over its matched terms."""
    terms = load_terms()
    return {d: sum(w * (1 + math.log(counts[t])) for t, w in terms[d].items() if counts.get(t))
            for d in terms}


# --- nearest labelled titles -------------------------------------------------------------

def _tokens(text: str) -> list[str]:
    """jieba search-mode tokens (our dictionary), without stopwords and non-CJK tokens."""
    return compared(words.cut_for_index(text))


def compared(index_cut: list[str]) -> list[str]:
    """Of a text's search-mode tokens (kbcore.words.cut_for_index), those the neighbour vote compares."""
    stop = words.stopwords()
    return [t for t in index_cut if t not in stop and CJK_CHAR.search(t)]


class Neighbours:
    """TF-IDF vectors of labelled titles; `nearest_to_tokens(tokens)` -> the most similar of them.

    Sparse (an inverted index from token to the titles using it), so a case costs its own tokens'
    postings, not a pass over every title and the whole vocabulary: linear as the library grows."""

    def __init__(self, examples: Sequence[Example]):
        self.examples = list(examples)
        docs = [Counter(_tokens(e.title)) for e in self.examples]
        df = Counter(t for d in docs for t in d)
        n = len(docs)
        self.idf = {t: math.log((n + 1) / (df[t] + 1)) + 1 for t in sorted(df)}
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for row, doc in enumerate(docs):
            for t, w in self._vector(doc).items():
                self.postings.setdefault(t, []).append((row, w))

    def _vector(self, counts: Counter) -> dict[str, float]:
        v = {t: (1 + math.log(c)) * self.idf[t] for t, c in counts.items() if t in self.idf}
        norm = math.sqrt(sum(x * x for x in v.values()))
        return {t: x / norm for t, x in v.items()} if norm else v

    def nearest_to_tokens(self, tokens: Counter) -> list[tuple[Example, float]]:
        """Up to NEIGHBOURS labelled examples with positive similarity to a text cut by index_tokens,
        best first."""
        if not self.examples:
            return []
        sims: dict[int, float] = {}
        for t, w in self._vector(tokens).items():
            for row, x in self.postings[t]:
                sims[row] = sims.get(row, 0.0) + w * x
        best = sorted(sims.items(), key=lambda item: (-item[1], item[0]))[:NEIGHBOURS]
        return [(self.examples[i], sim) for i, sim in best if sim > 1e-9]


def index_tokens(texts: list[str]) -> Counter:
    """The tokens the neighbour vote compares, of a case's title and passages: jieba cuts at the line
    breaks that join them, so this equals the tokens of the joined text."""
    counts = Counter()
    for text in texts:
        counts.update(_tokens(text))
    return counts


# --- scoring -----------------------------------------------------------------------------

def _shares(raw: dict[str, float]) -> dict[str, float]:
    total = sum(raw.values())
    return {d: (v / total if total else 0.0) for d, v in raw.items()}


def combine(rule_raw: dict[str, float], near: list[tuple[Example, float]]) -> dict[str, float]:
    """Each domain's score: the rules' and the neighbours' shares mixed by the rule evidence."""
    domains = domain_ids()
    rules = {d: rule_raw.get(d, 0.0) for d in domains}
    votes = dict.fromkeys(domains, 0.0)
    for example, sim in near:
        if example.domain in votes:
            votes[example.domain] += sim
    r_total, v_total = sum(rules.values()), sum(votes.values())
    if not v_total:
        alpha = 1.0
    elif not r_total:
        alpha = 0.0
    else:
        alpha = r_total / (r_total + RULE_PRIOR)
    r_share, v_share = _shares(rules), _shares(votes)
    return {d: alpha * r_share[d] + (1 - alpha) * v_share[d] for d in domains}


def select(scores: dict[str, float], min_score: float = MIN_SCORE) -> list[str]:
    """The domains a case is tagged with: the best one (always), plus every other domain
    with at least `min_score` of the evidence, at most MAX_TAGS in all."""
    ranked = sorted(scores, key=lambda d: (-scores[d], domain_ids().index(d)))
    return [ranked[0]] + [d for d in ranked[1:MAX_TAGS] if scores[d] > 0 and scores[d] >= min_score]


# --- cases -> case_domains rows ----------------------------------------------------------

def labelled_neighbours(cases: Iterable[dict], labelled: dict[str, str]) -> Neighbours:
    """The neighbour vote of the labelled cases' titles ({case id: chapter domain})."""
    return Neighbours([Example(c["title"], labelled[c["id"]], c["id"]) for c in cases
                       if c["id"] in labelled and c["title"]])


def case_domain_rows(case: dict, passages: list[dict], tokens: Counter, neighbours: Neighbours) -> list[dict]:
    """case_domains rows (source 'classifier') of one case without a chapter domain; `tokens` are
    its index_tokens, kept from when it was read."""
    return _case_rows(*score_case(case, passages, neighbours, tokens))


def score_case(case: dict, passages: list[dict], neighbours: Neighbours, tokens: Counter | None = None) -> tuple:
    """(case, {domain: score} over all eight domains, term counts, per-passage term counts, neighbours)."""
    title = case.get("title") or ""
    per_passage = [(p["id"], term_counts(p["text"])) for p in passages]
    counts = Counter()
    for _, c in per_passage:
        counts.update(c)
    for term, n in term_counts(title).items():
        counts[term] += TITLE_WEIGHT * n
    if tokens is None:
        tokens = index_tokens([title] + [p["text"] for p in passages])
    near = neighbours.nearest_to_tokens(tokens)
    return case, combine(rule_evidence(counts), near), counts, per_passage, near


def _case_rows(case: dict, scores: dict[str, float], counts: Counter,
               per_passage: list[tuple[str, Counter]], near: list[tuple[Example, float]]) -> list[dict]:
    chosen = select(scores)
    terms = load_terms()
    rows = []
    for domain in chosen:
        weights = terms[domain]
        shown = sorted((t for t in counts if t in weights),
                       key=lambda t: (-weights[t] * (1 + math.log(counts[t])), t))[:MAX_EVIDENCE_TERMS]
        ranked_passages = sorted(  # the passages where the shown terms weigh most
            ((pid, sum(weights[t] * c[t] for t in shown if t in c)) for pid, c in per_passage),
            key=lambda x: -x[1])
        evidence = {
            "terms": {t: counts[t] for t in shown},
            "passages": [pid for pid, w in ranked_passages if w > 0][:MAX_EVIDENCE_PASSAGES],
            "neighbours": [{"case_id": e.case_id, "title": e.title, "similarity": round(s, 3)}
                           for e, s in near if e.domain == domain],
        }
        if not any(evidence.values()):
            evidence["fallback"] = "no term or neighbour matched: best-scoring domain"
        rows.append({"case_id": case["id"], "domain": domain, "source": SOURCE,
                     "score": round(scores[domain], 3),
                     "evidence": json.dumps(evidence, ensure_ascii=False)})
    return rows


# --- the JSON array columns on cases -----------------------------------------------------

def label_columns(case_domains: Iterable[dict], case_mechanisms: Iterable[dict]) -> dict[str, dict[str, str]]:
    """{case id: its cases.domains and cases.mechanisms}: JSON arrays (best first) for Datasette's
    array facets. A case missing here has neither: both are "[]"."""
    order = {d: i for i, d in enumerate(domain_ids())}
    domains: dict[str, list[dict]] = {}
    for r in case_domains:
        domains.setdefault(r["case_id"], []).append(r)
    mechanisms: dict[str, list[dict]] = {}
    for r in case_mechanisms:
        mechanisms.setdefault(r["case_id"], []).append(r)
    columns = {}
    for cid in domains.keys() | mechanisms.keys():
        ds = sorted(domains.get(cid, []), key=lambda r: (-(r["score"] or 0), order.get(r["domain"], 99)))
        ms = sorted(mechanisms.get(cid, []), key=lambda r: (-(r["score"] or 0), r["mechanism"]))
        columns[cid] = {"domains": json.dumps([r["domain"] for r in ds], ensure_ascii=False),
                        "mechanisms": json.dumps([r["mechanism"] for r in ms], ensure_ascii=False)}
    return columns

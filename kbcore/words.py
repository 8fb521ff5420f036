"""Word segmentation for indexing and querying (jieba + the casekb term dictionary).

Chinese has no spaces, so SQLite FTS5 cannot find words in it by itself: documents
are stored with a `segmented` column of space-separated jieba tokens, and queries
are cut the same way. Both sides go through `kbcore.text.fold` first, so a
Traditional query meets a Simplified document, and both use the same dictionary
(`kbcore/data/terms.txt`), so "太仓市政社互动" is 太仓市/政社互动 on both sides
rather than jieba's default 太仓/市政/社/互动.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

import jieba

from kbcore.limits import MAX_QUERY_CHARS, MAX_QUERY_TERMS
from kbcore.text import fold
from kbcore.wordlists import read_terms, read_words

DATA_DIR = Path(__file__).resolve().parent / "data"
TERMS_FILE = DATA_DIR / "terms.txt"
STOPWORDS_FILE = DATA_DIR / "stopwords.txt"


_lock = threading.Lock()
_ready = False
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def init() -> None:
    """Load the term dictionary into jieba once (idempotent, thread-safe).

    jieba builds its prefix dictionary lazily on first use (about a second, cached
    in the temp dir as jieba.cache); doing it here with the user terms makes the
    first query no slower than the rest and guarantees every cut sees the terms.
    """
    global _ready
    if _ready:
        return
    with _lock:
        if _ready:
            return
        jieba.setLogLevel(logging.WARNING)  # silence "Building prefix dict ..." on stderr
        jieba.initialize()
        for term in read_terms(TERMS_FILE):  # what jieba.load_userdict does, with comments and checks
            jieba.add_word(*term)
        _ready = True


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Function words and filler that must not drive keyword search (data/stopwords.txt)."""
    return frozenset(fold(w) for w in read_words(STOPWORDS_FILE))


_DROP = {"Cf": "", "Cc": " ", "Cs": " ", "Co": " ", "Cn": " "}


def _clean(text: str) -> str:
    """Drop invisible format characters (zero-width space, soft hyphen: they may sit
    inside a word) and turn control, surrogate, private-use and unassigned ones into spaces.

    A NUL or a lone surrogate is never meaningful in a case text or a query and
    can break OpenCC, jieba or the sqlite3 binding further down.
    """
    if not text:
        return ""
    if text.isprintable():
        return text
    return "".join(_DROP.get(unicodedata.category(ch), ch) for ch in text)


def _keep(token: str) -> bool:
    """A token is worth indexing/searching only if it holds a letter, digit or CJK character."""
    return any(ch.isalnum() for ch in token)


def _tokens(raw: Iterable[str]) -> Iterator[str]:
    for tok in raw:
        tok = tok.strip()
        if tok and _keep(tok):
            yield tok.translate(_ASCII_LOWER)


def _iter_cut(text: str) -> Iterator[str]:
    init()
    return _tokens(jieba.cut(fold(_clean(text)), HMM=True))


def cut(text: str) -> list[str]:
    """Precise-mode tokens of folded text (HMM on), without spaces/punctuation, ASCII lower-cased.

    Used for queries: one token per word, so "社区减负" stays one search term.
    """
    return list(_iter_cut(text))


def cut_for_index(text: str) -> list[str]:
    """Search-engine-mode tokens: long words also yield their dictionary sub-words.

    Used for documents, so a passage with 社区减负 is found by 社区减负, 社区 or 减负.
    """
    init()
    return list(_tokens(jieba.cut_for_search(fold(_clean(text)), HMM=True)))


def segmented(text: str) -> str:
    """The space-joined index tokens: the column the FTS5 table indexes."""
    return " ".join(cut_for_index(text))


def segmented_all(texts: list[str]) -> list[str]:
    """segmented() of each text (a worker's share of a build's FTS column)."""
    return [segmented(t) for t in texts]


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """What decides how a text is cut: this module, the folding, the term dictionary and the
    libraries' versions. A build may reuse a segmented column only while it is unchanged."""
    h = hashlib.sha256()
    for path in (Path(__file__), Path(__file__).with_name("text.py"), Path(__file__).with_name("wordlists.py"),
                 TERMS_FILE):
        h.update(path.read_bytes())
    for name in ("jieba", "opencc-python-reimplemented"):
        try:
            h.update(f"{name}={importlib.metadata.version(name)}".encode())
        except importlib.metadata.PackageNotFoundError:
            pass
    return h.hexdigest()


def query_terms(query: str) -> list[str]:
    """Distinct content terms of a query, in order, at most MAX_QUERY_TERMS.

    Stopwords (的, 怎么办, ...) and single characters are dropped so filler does not decide the ranking.
    Cutting is lazy and the input is truncated, so a pasted 10,000-character
    query costs no more than a short one.
    """
    return folded_query_terms(fold_query((query or "")[:MAX_QUERY_CHARS]))


def fold_query(text: str) -> str:
    """A query as every part of a search reads it (terms, mechanism names, the encoder): invisible
    and control characters cleaned, then folded. A search does this once."""
    return fold(_clean(text))


def folded_query_terms(folded: str) -> list[str]:
    """query_terms of a query already through fold_query, so a search folds its query once."""
    init()
    stop = stopwords()
    seen: dict[str, None] = {}
    for tok in _tokens(jieba.cut(folded, HMM=True)):
        if is_evidence(tok, stop) and tok not in seen:
            seen[tok] = None
            if len(seen) >= MAX_QUERY_TERMS:
                break
    return list(seen)


def is_evidence(token: str, stop: frozenset[str] | None = None) -> bool:
    """Whether a query token may count as evidence (be searched, weigh in coverage, be highlighted):
    not a function word or filler (stopwords.txt), and not a single character (人, 多, 事, 河): one
    character matches almost every passage and says nothing of the question. The lexicon
    (kbcore/lexicon.py) turns a telling single character into the case terms it stands for."""
    return len(token) > 1 and token not in (stopwords() if stop is None else stop)


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts_match(query: str) -> str | None:
    """A safe FTS5 MATCH expression: the query terms as quoted strings joined by OR.

    Only quoted strings reach FTS5, so user syntax (quotes, *, AND/OR/NOT, NEAR(,
    column filters, parentheses, ^, -) is always searched as text, never parsed.
    None when the query has no usable term (the caller should then skip FTS).
    """
    return match_expression(query_terms(query))


def match_expression(terms: list[str]) -> str | None:
    """fts_match for terms already cut, so a search that also needs the terms cuts once."""
    return " OR ".join(_quote(t) for t in terms) or None


__all__ = [
    "init",
    "cut",
    "cut_for_index",
    "segmented",
    "segmented_all",
    "fingerprint",
    "query_terms",
    "fold_query",
    "folded_query_terms",
    "fts_match",
    "match_expression",
    "stopwords",
    "is_evidence",
]

"""The search gate: is a question about local governance at all?

This is a different question from "how strong is the best match": every question has a best match,
and a cooking question's best match is a case. The gate reads the question's own evidence:

* how near the query's vector comes to the corpus (its best cosine with any title or passage) against
  how near it comes to a background of everyday questions that are not about governance
  (kbcore/data/offtopic.txt: cooking, pets, phones, exams, games, travel, medicine ...): the
  *margin*. A question about a blocked fire lane is nearer the cases; one about a cat's claws nearer
  the background;
* the keyword coverage of the best-covered case (index.evidence.coverage): a question whose rarer
  words the cases hold is about them even when its vector is unsure.

The thresholds are per encoder, chosen on the tuning half of the dev set (index/ranking.py).
"""
from __future__ import annotations

import sqlite3
import threading
from functools import lru_cache
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from kbcore.text import fold
from kbcore.wordlists import lines

from .embeddings import embed_new, from_blobs, stored_vectors

BACKGROUND_FILE = Path(__file__).resolve().parents[1] / "kbcore" / "data" / "offtopic.txt"


class GateError(ValueError):
    """A mistake in the background file; the message starts with `file:line:`."""


class GateEvidence(NamedTuple):
    corpus: float      # best cosine of the query with any stored title or passage (before filters)
    background: float  # best cosine of the query with the off-topic background
    coverage: float    # keyword coverage of the best-covered case (0..1)

    @property
    def margin(self) -> float:
        return self.corpus - self.background


class Gate(NamedTuple):
    """A question is answered when its margin reaches `margin`, or when some case holds `coverage` of
    its concepts and its margin reaches `keyword_margin` (lower: words the cases use are evidence too)."""
    margin: float
    coverage: float
    keyword_margin: float

    def answers(self, e: GateEvidence) -> bool:
        return e.margin >= self.margin or (e.coverage >= self.coverage and e.margin >= self.keyword_margin)


@lru_cache(maxsize=2)
def background_sentences(path: Path = BACKGROUND_FILE) -> tuple[str, ...]:
    """The background's sentences, folded; a repeated or empty file is an error naming its line."""
    path = Path(path)
    seen: dict[str, int] = {}
    for n, text in lines(path):
        folded = fold(text)
        if folded in seen:
            raise GateError(f"{path}:{n}: {text!r} is already at line {seen[folded]}")
        seen[folded] = n
    if not seen:
        raise GateError(f"{path}:1: the background holds no sentence")
    return tuple(seen)


def write_background(db, model: str, previous: dict[str, bytes], embed: Callable[[list[str]], np.ndarray],
                     path: Path = BACKGROUND_FILE) -> None:
    """Fill db's gate_background table with the background embedded by the corpus's encoder on its
    document side (as titles and passages are), reusing the previous build's vectors of equal texts."""
    texts = background_sentences(path)
    hashes, blobs = embed_new(list(texts), previous, embed)
    db.table("gate_background").insert_all(
        {"id": i, "model": model, "text": t, "content_hash": h, "embedding": blobs[h]}
        for i, (t, h) in enumerate(zip(texts, hashes)))


def stored_background(path: Path | None, model: str) -> dict[str, bytes]:
    """content hash -> vector blob of the background `model` embedded in the database at path (none if
    there is no such database or table)."""
    return stored_vectors(path, model, "gate_background")


_vectors: dict[tuple[str, Path], np.ndarray] = {}
_lock = threading.Lock()


def background_vectors(conn, encoder, path: Path = BACKGROUND_FILE) -> np.ndarray:
    """The background's vectors as the build stored them for this encoder; a database built before the
    gate has none, and then the background is embedded here, once per process."""
    try:
        blobs = [b for (b,) in conn.execute("select embedding from gate_background where model = ? order by id",
                                            [encoder.name])]
    except sqlite3.DatabaseError:
        blobs = []
    if blobs:
        return from_blobs(blobs)
    key = (encoder.name, Path(path))
    with _lock:
        if key not in _vectors:
            _vectors[key] = np.ascontiguousarray(encoder.encode(list(background_sentences(path))), dtype=np.float32)
        return _vectors[key]


def nearest_background(vectors: np.ndarray, vec: np.ndarray) -> float:
    """The query's best cosine with the background (unit vectors: the inner product)."""
    return float(np.max(vectors @ vec)) if len(vectors) else -1.0

"""The `embeddings` table: one float32 vector per case title and per passage, inside the database.

Shaped like simonw/llm's embeddings table (model, the item, a content hash, a float32 blob),
so the database file is the whole published artefact. Rows are numbered 0..n-1 in a fixed
order (titles by case id, then passages in reading order); the number is the FAISS id.
A build reuses every vector whose (model, content hash) the previous database holds, and
embeds only new or changed texts.
"""
import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from kbcore.text import fold
from kbcore.units import passage_text

from .connection import connect_readonly

FLOAT32 = np.dtype("<f4")  # the blob format: little-endian float32, as llm stores it


class Item(NamedTuple):
    case_id: str
    passage_id: str | None  # None: the case's title
    kind: str               # title / passage
    text: str               # folded, as embedded


def items(conn) -> list[Item]:
    """What gets embedded, in vector order: bare case titles (their chapter topic is for the
    keyword index only: with it both encoders ranked worse), then passages under their headings."""
    titles = conn.execute("select id, title from cases order by id").fetchall()
    passages = conn.execute("select id, case_id, section, text from passages order by case_id, seq").fetchall()
    return ([Item(cid, None, "title", fold(title)) for cid, title in titles]
            + [Item(cid, pid, "passage", fold(passage_text(section, text))) for pid, cid, section, text in passages])


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=FLOAT32).tobytes()


def from_blobs(blobs: list[bytes]) -> np.ndarray:
    """(len(blobs), dim) float32, C-contiguous, as FAISS takes it; ValueError if the widths differ."""
    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    width = {len(b) for b in blobs}
    if len(width) != 1 or not width.pop():
        raise ValueError("the stored vectors do not all have the same dimension")
    return np.frombuffer(b"".join(blobs), dtype=FLOAT32).reshape(len(blobs), -1).astype(np.float32)


def stored_vectors(path: Path | None, model: str, table: str = "embeddings") -> dict[str, bytes]:
    """content hash -> blob of the vectors `model` made in `table` of the database at path (the previous
    build); empty if there is none, or it predates the table, or is no database."""
    if path is None or not Path(path).exists():
        return {}
    try:
        with closing(connect_readonly(path)) as conn:
            return dict(conn.execute(f"select content_hash, embedding from [{table}] where model = ?", [model]))
    except sqlite3.DatabaseError:
        return {}


def embed_new(texts: list[str], previous: dict[str, bytes],
              embed: Callable[[list[str]], np.ndarray]) -> tuple[list[str], dict[str, bytes]]:
    """(content hash of each text, hash -> vector blob): the previous build's vectors where it has the
    text, `embed` called once for the rest (equal texts once)."""
    hashes = [content_hash(t) for t in texts]
    new = {h: t for h, t in zip(hashes, texts) if h not in previous}
    blobs = {h: previous[h] for h in hashes if h in previous}
    if new:
        blobs.update((h, to_blob(v)) for h, v in zip(new, embed(list(new.values()))))
    return hashes, blobs


def write_embeddings(db, model: str, previous: dict[str, bytes], embed: Callable[[list[str]], np.ndarray]) -> dict:
    """Fill the embeddings table of db (a sqlite_utils.Database), calling `embed` only for texts
    the previous vectors lack (equal texts once). Returns the counts for the build summary."""
    todo = items(db.conn)
    hashes, blobs = embed_new([item.text for item in todo], previous, embed)
    db.table("embeddings").insert_all(
        {"id": i, "model": model, "case_id": item.case_id, "passage_id": item.passage_id, "kind": item.kind,
         "content_hash": h, "embedding": blobs[h]} for i, (item, h) in enumerate(zip(todo, hashes)))
    reused = sum(h in previous for h in hashes)
    return {"vectors": len(todo), "model": model, "embedded": len(todo) - reused, "reused": reused}

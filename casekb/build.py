"""The whole build: ingest the corpus, write the database, build the indexes, swap it in.

Everything (tables, FTS, embeddings, the build_info row) is built into one temporary file
beside the target, `.<name>.building-<pid>`, flushed to disk, and then renamed over the
target with os.replace(): a single atomic rename is the only step that touches the
database, so a failed rebuild, or a kill -9 at any moment, leaves the previous build or
the new one, whole. A killed build cannot remove its temporary file; the next build in
the folder removes those whose process is gone, and its summary says so.

`stage(name)` hears each of STAGES as it starts (the CLI prints them); "replace" comes
just before the rename and "replaced" just after it.
"""
import datetime
import importlib.metadata
import json
import os
import re
import sqlite3
import time
from pathlib import Path

from ingest.manifest import corpus_checksum
from ingest.pipeline import ingest
from ingest.write import create_database
from kbcore.build_summary import BuildSummary

STAGES = ("cleanup", "ingest", "index", "record", "sync", "replace", "replaced")


def build(corpus_dir: Path, db_path: Path, progress: bool = True, index_stage=None, stage=None) -> BuildSummary:
    """Build db_path from corpus_dir; returns the summary. `index_stage(db, previous)` adds indexes to
    the database being written and returns its counts by BuildSummary field name; `previous` is db_path,
    holding the previous build whose vectors it may reuse, or None when there is none or it is damaged.
    `stage(name)` hears each of STAGES."""
    report = stage or (lambda name: None)
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f"{TEMP_PREFIX.format(name=db_path.name)}{os.getpid()}")
    started, db = time.perf_counter(), None
    report("cleanup")
    stale = remove_stale_temporary_files(db_path)
    try:
        settle_previous(db_path)
        previous, damage = previous_database(db_path)
        report("ingest")
        db = create_database(tmp)
        summary = ingest(Path(corpus_dir), db, db_path if previous else None, progress=progress)
        checksum = corpus_checksum(Path(corpus_dir))
        if index_stage:
            report("index")
            summary.add(index_stage(db, db_path if previous else None) or {})
        report("record")
        db.table("build_info").insert(build_info_row(summary, checksum))
        db.close()
        db = None
        report("sync")
        _fsync(tmp)
        settle_previous(db_path)
        report("replace")
        os.replace(tmp, db_path)
        report("replaced")
        _fsync_folder(db_path.parent)
    finally:  # on failure: nothing of this build stays (and the error raised is the first one)
        try:
            if db is not None:
                db.close()
        except sqlite3.Error:
            pass
        for leftover in _with_companions(tmp):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                pass  # removed by the next build (remove_stale_temporary_files)
    summary.stale_removed = stale
    if damage:
        summary.previous_database = (f"damaged ({damage}): nothing of it reused"
                                     f"{', every text embedded anew' if index_stage else ''}; "
                                     "this build replaced it")
    summary.seconds = round(time.perf_counter() - started, 1)
    return summary


def build_info_row(summary: BuildSummary, checksum: str) -> dict:
    """The one row of `build_info`: when, from what, with which encoder and version, how much."""
    try:
        version = importlib.metadata.version("casekb")
    except importlib.metadata.PackageNotFoundError:
        version = None
    return {"id": 1, "built_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "corpus_sha256": checksum, "model": summary.model, "casekb_version": version,
            "fingerprints": json.dumps(summary.fingerprints),
            "sources": summary.sources, "cases": summary.cases, "title_only_cases": summary.title_only_cases,
            "other_documents": summary.other_documents, "passages": summary.passages, "vectors": summary.vectors,
            "embedded": summary.embedded, "reused": summary.reused, "reused_sources": summary.reused_sources,
            "index_factory": summary.index_factory}


def settle_previous(db_path: Path) -> None:
    """Leave no journal of the previous database beside it: after the rename SQLite would take it
    for the new file's and roll it into it, corrupting it. A hot journal (a writer was killed
    mid-transaction) is first rolled back into the old file by opening it, so that it stays whole
    should this build die before the rename."""
    companions = [p for p in _with_companions(db_path)[1:] if p.exists()]
    if not companions:
        return
    try:
        conn = sqlite3.connect(db_path)  # opening it rolls a hot journal back; closing checkpoints a WAL
        try:
            conn.execute("select count(*) from sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        pass  # a damaged database: previous_database() says so, and the rename replaces it
    for path in companions:
        path.unlink(missing_ok=True)


def previous_database(db_path: Path) -> tuple[bool, str | None]:
    """(whether db_path holds a sound database to reuse vectors from, what is wrong with it if not).

    A file that SQLite cannot open or whose quick check fails (garbage, cut short, a bad page)
    is not read further: the build embeds everything and replaces it."""
    if not db_path.exists():
        return False, None
    try:
        conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            problems = [row[0] for row in conn.execute("pragma quick_check(3)")]
        finally:
            conn.close()
    except sqlite3.Error as e:
        return False, str(e)
    if problems != ["ok"]:
        return False, "; ".join(problems)
    return True, None


TEMP_PREFIX = ".{name}.building-"  # then the pid of the build, then nothing or a companion suffix


def remove_stale_temporary_files(db_path: Path) -> list[tuple[str, int]]:
    """Remove the temporary files (and their -journal and other companions) that builds of db_path
    left when they were killed: those whose pid is no longer a live process. Returns (name, bytes)
    of each file removed. A reused pid only delays the removal to a later build."""
    pattern = re.compile(re.escape(TEMP_PREFIX.format(name=db_path.name)) + r"(\d+)(?:\D.*)?")
    removed = []
    for path in sorted(db_path.parent.iterdir()):
        match = pattern.fullmatch(path.name)
        if not match or (int(match.group(1)) != os.getpid() and _alive(int(match.group(1)))):
            continue
        try:
            size = path.stat().st_size
            path.unlink()
        except OSError:
            continue  # not ours to remove, or gone already: the next build tries again
        removed.append((path.name, size))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    try:  # a killed process its parent has not yet reaped (Linux) writes nothing any more
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _with_companions(path: Path) -> list[Path]:
    return [path] + [path.with_name(path.name + suffix) for suffix in ("-journal", "-wal", "-shm")]


def _fsync(path: Path) -> None:
    """The file's data on the disk before the rename makes it the database (a power cut then
    cannot leave a renamed but empty file)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """The rename itself on the disk. Best effort: the database is already the new one."""
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass

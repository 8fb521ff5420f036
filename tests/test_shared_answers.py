"""Answers the same for every visitor of immutable files are kept as bytes by the ASGI layer
(shared_answers.py) and served again without reaching Datasette; anything that could differ between
visitors, or that is not a plain 200, always reaches it."""
import os
import shutil

import pytest
import yaml
from datasette.app import Datasette, DatasetteRouter

from casekb.serve import METADATA, TEMPLATE_DIR
from datasette_plugins.casekb_search import PAGES, shared_answers

KEPT = ["/", "/-/search?q=社区", "/-/search.json?q=社区&limit=5", "/-/overview", "/-/mechanisms",
        "/casekb", "/casekb/cases?_size=5", "/casekb/passages?_facet=field",
        "/casekb.json?sql=select+count(*)+from+cases"]
NOT_KEPT = ["/-/casekb.json", "/-/versions.json", "/-/threads", "/-/actor.json", "/-/databases.json",
            "/-/plugins.json", "/-/settings.json", "/casekb.json?sql=select+random()"]


async def start(db, metadata=None) -> Datasette:
    metadata = metadata or yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    ds = Datasette([], immutables=[str(db)], metadata=metadata, template_dir=str(TEMPLATE_DIR))
    await ds.invoke_startup()
    return ds


@pytest.fixture
def reached(monkeypatch) -> list[str]:
    """The paths of the requests that reached Datasette's router."""
    paths: list[str] = []
    original = DatasetteRouter.route_path

    async def counted(self, scope, receive, send, path):
        paths.append(path)
        return await original(self, scope, receive, send, path)
    monkeypatch.setattr(DatasetteRouter, "route_path", counted)
    return paths


@pytest.fixture(scope="module")
async def site(built_db):
    return await start(built_db)


@pytest.mark.parametrize("url", KEPT)
async def test_a_repeated_anonymous_request_does_not_reach_datasette(site, reached, url):
    first = await site.client.get(url)
    assert reached, "the first request did not reach Datasette"
    assert first.status_code == 200 and first.headers["cache-control"].startswith("public, max-age=")
    etag = first.headers["etag"]
    count = len(reached)
    again = await site.client.get(url)
    assert len(reached) == count, "the second answer came from Datasette"
    assert again.status_code == 200 and again.content == first.content and again.headers["etag"] == etag
    assert again.headers["x-content-type-options"] == "nosniff"
    assert again.headers["content-type"] == first.headers["content-type"]
    unchanged = await site.client.get(url, headers={"if-none-match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b"" and len(reached) == count


@pytest.mark.parametrize("url", NOT_KEPT)
async def test_pages_about_the_server_or_changing_sql_are_not_kept(site, reached, url):
    for _ in range(2):
        await site.client.get(url)
    assert len(reached) == 2


@pytest.mark.parametrize("headers", [{"cookie": "ds_actor=x"}, {"authorization": "Bearer dstok_x"}])
async def test_a_request_with_a_cookie_or_authorization_is_not_served_from_the_cache(site, reached, headers):
    await site.client.get("/-/overview")  # kept for anonymous visitors
    count = len(reached)
    answer = await site.client.get("/-/overview", headers=headers)
    assert len(reached) == count + 1 and answer.status_code == 200
    assert answer.headers["cache-control"].startswith("private, no-") and "etag" not in answer.headers


async def test_not_found_and_forbidden_answers_are_not_kept(built_db, site, reached):
    for _ in range(2):
        assert (await site.client.get("/-/mechanisms/没有这个机制")).status_code == 404
    assert len(reached) == 2
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    metadata["allow"] = {"id": "trainer"}
    closed = await start(built_db, metadata)
    for _ in range(2):
        assert (await closed.client.get("/-/overview")).status_code == 403
    assert len(reached) == 4


async def test_head_is_answered_from_the_kept_get(site, reached):
    url = "/-/search?q=网格"
    head = await site.client.head(url)
    got = await site.client.get(url)
    assert head.status_code == 200 and head.content == b"" and len(reached) == 1
    assert int(head.headers["content-length"]) == len(got.content) > 0 and head.headers["etag"] == got.headers["etag"]
    assert (await site.client.head(url)).headers["etag"] == got.headers["etag"] and len(reached) == 1


async def test_a_replaced_file_empties_the_cache(built_db, tmp_path, reached):
    db = tmp_path / "casekb.db"
    shutil.copy(built_db, db)
    ds = await start(db)
    await ds.client.get("/-/overview")
    await ds.client.get("/-/overview")
    assert len(reached) == 1
    shutil.copy(built_db, tmp_path / "new.db")
    os.replace(tmp_path / "new.db", db)  # a rebuild swaps a new file in under the same name
    await ds.client.get("/-/overview")
    assert len(reached) == 2


# The layer itself, around an app that answers what a test tells it to.

async def call(app, path, query=b"", method="GET"):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)
    await app({"type": "http", "method": method, "path": path, "query_string": query,
               "headers": [(b"host", b"localhost")]}, receive, send)
    start = sent[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def scripted(status=200, headers=(), chunks=(b"x" * 100,)):
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["query_string"])
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain"), *headers]})
        for i, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1})
    return app, calls


@pytest.mark.parametrize("status, headers", [(404, ()), (403, ()), (503, [(b"retry-after", b"5")]),
                                             (200, [(b"set-cookie", b"ds_csrftoken=x")])])
async def test_errors_and_answers_setting_a_cookie_are_not_kept(built_db, status, headers):
    app, calls = scripted(status, headers)
    wrapped = shared_answers.wrap(app, await start(built_db), lambda p: p, [p for p, _ in PAGES])
    for _ in range(2):
        got = await call(wrapped, "/-/search.json", b"q=a")
        assert got[0] == status and got[2] == b"x" * 100
    assert len(calls) == 2


async def test_the_byte_bound_evicts_the_least_recently_used(built_db, monkeypatch):
    monkeypatch.setattr(shared_answers, "SHARED_ANSWERS_BYTES", 250)
    app, calls = scripted()
    wrapped = shared_answers.wrap(app, await start(built_db), lambda p: p, [p for p, _ in PAGES])
    for q in (b"q=1", b"q=2", b"q=1", b"q=3"):  # q=2 is then the least recently used
        await call(wrapped, "/-/search.json", q)
    assert calls == [b"q=1", b"q=2", b"q=3"]
    await call(wrapped, "/-/search.json", b"q=1")
    await call(wrapped, "/-/search.json", b"q=2")
    assert calls == [b"q=1", b"q=2", b"q=3", b"q=2"]


async def test_an_answer_longer_than_the_bound_streams_whole_and_is_not_kept(built_db, monkeypatch):
    monkeypatch.setattr(shared_answers, "SHARED_ANSWER_BYTES", 150)
    chunks = (b"a" * 100, b"b" * 100, b"c" * 100)
    app, calls = scripted(chunks=chunks)
    wrapped = shared_answers.wrap(app, await start(built_db), lambda p: p, [p for p, _ in PAGES])
    for method, body in (("GET", b"".join(chunks)), ("GET", b"".join(chunks)), ("HEAD", b"")):
        status, headers, got = await call(wrapped, "/casekb/cases.csv", method=method)
        assert status == 200 and got == body and b"etag" not in headers
    assert len(calls) == 3

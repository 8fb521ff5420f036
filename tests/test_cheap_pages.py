"""Pages that cost little (page_cache.py, shared_answers.py, home_page.py): what every anonymous visitor of an
immutable file sees the same is rendered once and carries ETag / Cache-Control (304 on If-None-Match); the home
page is the front door without Datasette's walk over every table; permission answers kept per actor
still tell actors apart."""
import re

import pytest
import yaml
from datasette.app import Datasette

from casekb.asgi import datasette_instance
from casekb.serve import METADATA, TEMPLATE_DIR, datasette_arguments
from kbcore.limits import FACET_SUGGEST_MS

SHARED = ["/", "/-/overview", "/-/mechanisms"]


async def start(immutables=(), files=(), metadata=None) -> Datasette:
    metadata = metadata or yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    ds = Datasette([str(f) for f in files], immutables=[str(f) for f in immutables], metadata=metadata,
                   template_dir=str(TEMPLATE_DIR))
    await ds.invoke_startup()
    return ds


@pytest.fixture(scope="module")
async def immutable(built_db):
    return await start(immutables=[built_db])


@pytest.mark.parametrize("path", SHARED)
async def test_shared_pages_of_an_immutable_file_carry_cache_headers_and_answer_304(immutable, path):
    first = await immutable.client.get(path)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/html")
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert first.headers["cache-control"].startswith("public, max-age=")
    again = await immutable.client.get(path)
    assert again.content == first.content and again.headers["etag"] == etag
    unchanged = await immutable.client.get(path, headers={"if-none-match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == etag
    changed = await immutable.client.get(path, headers={"if-none-match": '"0"'})
    assert changed.status_code == 200 and changed.content == first.content


async def test_the_home_page_is_the_front_door_with_the_counts(immutable, built_db):
    page = (await immutable.client.get("/")).text
    overview = (await immutable.client.get("/-/overview")).text
    coverage = re.search(r'共收录 <strong>(\d+)</strong> 个案例', page)
    assert coverage and f"{coverage.group(1)}" in overview
    assert 'action="/-/search"' in page and "/-/overview" in page
    assert (await immutable.client.get("/.json")).json()["casekb"]["tables_count"] > 0  # Datasette's index JSON


async def test_pages_for_a_signed_in_actor_are_private(immutable):
    cookies = {"ds_actor": immutable.sign({"a": {"id": "trainer"}}, "actor")}
    signed_in = await immutable.client.get("/-/overview", cookies=cookies)
    assert signed_in.status_code == 200 and signed_in.headers["cache-control"].startswith("private")
    assert "etag" not in signed_in.headers


async def test_a_mutable_file_is_never_marked_public(built_db):
    ds = await start(files=[built_db])
    for path in SHARED:
        r = await ds.client.get(path)
        assert r.status_code == 200 and r.headers["cache-control"] == "private, no-cache", path


async def test_kept_permission_answers_still_tell_actors_apart(built_db):
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    metadata["allow"] = {"id": "trainer"}
    ds = await start(immutables=[built_db], metadata=metadata)
    trainer = {"ds_actor": ds.sign({"a": {"id": "trainer"}}, "actor")}
    other = {"ds_actor": ds.sign({"a": {"id": "visitor"}}, "actor")}
    for _ in range(2):  # asked twice: the second answers come from what was kept
        assert (await ds.client.get("/-/overview", cookies=trainer)).status_code == 200
        assert (await ds.client.get("/-/overview", cookies=other)).status_code == 403
        assert (await ds.client.get("/-/overview")).status_code == 403
        assert (await ds.client.get("/")).status_code == 403
        assert "/-/overview" in (await ds.client.get("/", cookies=trainer)).text


async def test_the_served_site_bounds_facet_suggestions_and_still_suggests_them(built_db):
    """casekb serve's Datasette stops each facet suggestion after FACET_SUGGEST_MS; the fixture's tables
    still get every suggestion Datasette's default time offers."""
    served = datasette_instance(datasette_arguments(built_db, METADATA))
    assert served.setting("facet_suggest_time_limit_ms") == FACET_SUGGEST_MS < 50
    await served.invoke_startup()
    default = await start(immutables=[built_db])
    for table in ("cases", "passages"):
        url = f"/casekb/{table}.json?_size=1&_extra=suggested_facets"
        suggested = [f["name"] for f in (await served.client.get(url)).json()["suggested_facets"]]
        by_default = [f["name"] for f in (await default.client.get(url)).json()["suggested_facets"]]
        assert suggested and suggested == by_default

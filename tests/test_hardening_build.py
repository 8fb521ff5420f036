"""Hardening of the build itself (issue 11): an atomic end (kill -9 at any stage leaves the old
build or the new one, whole), temporary files of killed builds removed, disk full and a damaged
previous database reported in words, and a `build_info` row saying what was built."""
import datetime
import errno
import importlib.metadata
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

import casekb.build
from casekb.build import STAGES
from casekb.cli import main
from conftest import CORPUS
from index.search import open_searcher
from ingest.manifest import corpus_checksum

pytestmark = pytest.mark.slow  # kill -9 and builds from scratch: `make test-fast` skips them

ROOT = Path(__file__).resolve().parents[1]
UNCHANGED = "The previous database (if any) was left unchanged."
EXTRA_SOURCE = """
  - id: extra-article
    file: 001_a55191d4b931181c.txt
    title: 新增的一篇文章：太仓政社互动再探
    kind: article
    publisher: 测试
    date: 2020
    script: Simplified
    region: 太仓市
    province: 江苏省
    expected_cases: 1
"""


def run_build(corpus, db, *extra):
    return CliRunner().invoke(main, ["build", "--corpus", str(corpus), "--db", str(db), "--quiet",
                                     "--model", "usem3", *extra])


def counts(db) -> dict:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {table: conn.execute(f"select count(*) from {table}").fetchone()[0]
                for table in ("cases", "passages", "embeddings")}
    finally:
        conn.close()


@pytest.fixture
def old_db(built_db, tmp_path):
    """The last good build at the target path (a copy of the session's build)."""
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(built_db, out / "casekb.db")
    return out / "casekb.db"


@pytest.fixture
def bigger_corpus(corpus_copy):
    """The corpus plus one article: its build has one case more than the old one."""
    with (corpus_copy / "sources.yml").open("a", encoding="utf-8") as f:
        f.write(EXTRA_SOURCE)
    return corpus_copy


def assert_whole(db: Path, old: dict, new_cases: int) -> str:
    """The database at the target path is the old build or the new one, whole; says which."""
    assert db.exists()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
    now = counts(db)
    assert now["cases"] in (old["cases"], new_cases), now
    assert now["embeddings"] == now["cases"] + now["passages"]  # a vector per title and per passage
    assert open_searcher(db).search("社区减负")  # it serves results
    if now["cases"] == old["cases"]:
        assert now == old
        return "old"
    return "new"


# 4. kill -9 at each stage of a build: the target is the old build or the new one, whole

KILL_AT_STAGE = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from casekb.build import build
    from index.build import index_stage

    def stage(name):
        print(name, flush=True)
        if name == sys.argv[3]:
            os.kill(os.getpid(), signal.SIGKILL)  # kill -9, at exactly this point

    build(Path(sys.argv[1]), Path(sys.argv[2]), progress=False,
          index_stage=index_stage("usem3", progress=False), stage=stage)
""")


def test_a_build_reports_every_stage_in_order_and_the_rename_between_the_last_two(corpus_copy, tmp_path):
    target, seen = tmp_path / "casekb.db", []
    casekb.build.build(corpus_copy, target, progress=False, index_stage=lambda db, previous: {},
                       stage=lambda name: seen.append((name, target.exists())))
    assert seen == [(name, name == "replaced") for name in STAGES]
    assert STAGES[-2:] == ("replace", "replaced")


@pytest.mark.parametrize("stage", STAGES)
def test_kill_9_at_each_stage_leaves_the_old_or_the_new_build_whole(stage, old_db, bigger_corpus):
    old = counts(old_db)
    done = subprocess.run([sys.executable, "-c", KILL_AT_STAGE, str(bigger_corpus), str(old_db), stage],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    reached = done.stdout.split()
    assert reached == list(STAGES[:STAGES.index(stage) + 1])  # it died at that stage, not before
    which = assert_whole(old_db, old, old["cases"] + 1)
    assert which == ("new" if stage == "replaced" else "old")
    # the next build removes what the killed one left, says so, and builds the new database
    leftovers = sorted(p.name for p in old_db.parent.glob(".casekb.db.building-*"))
    if not STAGES.index("ingest") < STAGES.index(stage) < STAGES.index("replaced"):
        assert not leftovers
        return  # nothing left for the next build to clean up: an ordinary build follows
    assert leftovers, "a killed build leaves its temporary file"
    result = run_build(bigger_corpus, old_db)
    assert result.exit_code == 0, result.output
    for name in leftovers:
        assert name in result.output
    assert not list(old_db.parent.glob(".casekb.db.building-*"))
    assert assert_whole(old_db, old, old["cases"] + 1) == "new"


@pytest.mark.parametrize("stage", ["index", "replace"])  # every stage is killed from inside above
def test_kill_9_of_casekb_build_as_it_reports_a_stage(stage, old_db, bigger_corpus):
    """The command as an operator runs it, killed from outside when it says it reached a stage."""
    old = counts(old_db)
    proc = subprocess.Popen([sys.executable, "-c", "from casekb.cli import main; main()", "build",
                             "--corpus", str(bigger_corpus), "--db", str(old_db), "--model", "usem3"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in proc.stderr:
        if "build stage: " in line:
            seen.append(line.split("build stage: ")[1].split()[0])
            if seen[-1] == stage:
                proc.kill()  # SIGKILL
                break
    proc.stderr.close()
    proc.wait()
    assert stage in seen
    assert assert_whole(old_db, old, old["cases"] + 1) in ("old", "new")


KILLED_WRITER = textwrap.dedent("""
    import os, signal, sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("pragma cache_size = 1")  # pages spill into the file: the journal is hot
    conn.execute("begin")
    conn.execute("update passages set text = text || '改'")
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_a_hot_journal_of_the_old_database_never_meets_the_new_one(old_db, bigger_corpus):
    """Someone wrote to the published database and was killed mid-transaction: its journal must
    not be rolled into the new file after the rename (SQLite would: a malformed database)."""
    old = counts(old_db)
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(old_db)], capture_output=True)
    assert done.returncode == -signal.SIGKILL
    journal = old_db.with_name(old_db.name + "-journal")
    assert journal.stat().st_size > 0
    result = run_build(bigger_corpus, old_db)
    assert result.exit_code == 0, result.output
    assert not journal.exists()
    assert assert_whole(old_db, old, old["cases"] + 1) == "new"
    assert "damaged" not in result.output  # rolled back, the old file lent its vectors
    info = sqlite3.connect(old_db).execute("select vectors, reused from build_info").fetchone()
    assert info[0] == info[1]  # every text of the new build is in the old one (the new case repeats 001)


# 5. temporary files of killed builds

def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temporary_files_are_removed_and_reported(old_db, corpus_copy):
    gone, alive = dead_pid(), os.getppid()
    stale = [old_db.parent / f".casekb.db.building-{gone}", old_db.parent / f".casekb.db.building-{gone}-journal",
             old_db.parent / f".casekb.db.building-{gone}.faiss"]
    for path in stale:
        path.write_bytes(b"\0" * 300_000)
    running = old_db.parent / f".casekb.db.building-{alive}"  # a build that is still running
    running.write_bytes(b"x")
    unrelated = old_db.parent / ".other.db.building-1"
    unrelated.write_bytes(b"x")
    result = run_build(corpus_copy, old_db)
    assert result.exit_code == 0, result.output
    assert "removed temporary files of killed builds" in result.output
    for path in stale:
        assert not path.exists() and path.name in result.output
    assert running.exists() and running.name not in result.output
    assert unrelated.exists()


# 6. disk full, a damaged previous database

class TinyDisk(sqlite_utils.Database):
    """A database that may grow to 40 pages: SQLite then fails with its own SQLITE_FULL."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.execute("pragma max_page_count = 40")


def assert_clear_failure(result, db, before: bytes):
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.output.rstrip().endswith(UNCHANGED), result.output
    assert db.read_bytes() == before
    assert not list(db.parent.glob(".*building*"))


def test_sqlite_disk_full_is_a_clear_message(old_db, corpus_copy, monkeypatch):
    monkeypatch.setattr(sqlite_utils, "Database", TinyDisk)
    before = old_db.read_bytes()
    result = run_build(corpus_copy, old_db)
    assert_clear_failure(result, old_db, before)
    assert "no space left" in result.output.lower()


def test_os_disk_full_is_a_clear_message(old_db, corpus_copy, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(casekb.build.os, "fsync", full)  # where a full disk shows when data reaches it
    before = old_db.read_bytes()
    result = run_build(corpus_copy, old_db)
    assert_clear_failure(result, old_db, before)
    assert "no space left" in result.output.lower() and str(old_db.parent) in result.output


def test_other_os_errors_are_a_clear_message(old_db, corpus_copy, monkeypatch):
    def denied(src, dst):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dst))
    monkeypatch.setattr(casekb.build.os, "replace", denied)
    before = old_db.read_bytes()
    result = run_build(corpus_copy, old_db)
    assert_clear_failure(result, old_db, before)
    assert "Permission denied" in result.output


@pytest.fixture
def small_corpus(corpus_copy):
    """One short article only, so that embedding everything is quick."""
    manifest = corpus_copy / "sources.yml"
    manifest.write_text("sources:" + EXTRA_SOURCE, encoding="utf-8")
    return corpus_copy


@pytest.mark.parametrize("damage", ["garbage", "cut short", "bad page"])
def test_a_damaged_previous_database_is_replaced_and_everything_embedded(damage, old_db, small_corpus):
    data = old_db.read_bytes()
    if damage == "garbage":
        old_db.write_bytes(os.urandom(70_000))
    elif damage == "cut short":
        old_db.write_bytes(data[:len(data) // 3])
    else:  # a page in the middle overwritten
        page = 4096
        middle = len(data) // page // 2 * page
        old_db.write_bytes(data[:middle] + b"\xff" * page + data[middle + page:])
    result = run_build(small_corpus, old_db)
    assert result.exit_code == 0, result.output
    assert "previous database" in result.output and "damaged" in result.output
    assert "nothing of it reused, every text embedded anew" in result.output
    info = sqlite3.connect(old_db).execute("select vectors, embedded, reused from build_info").fetchone()
    assert info[0] == info[1] > 0 and info[2] == 0
    now = counts(old_db)
    assert now["cases"] == 1 and now["embeddings"] == 1 + now["passages"]
    assert open_searcher(old_db).search("社区减负")


def test_a_sound_previous_database_lends_its_vectors(old_db, corpus_copy):
    result = run_build(corpus_copy, old_db)
    assert result.exit_code == 0, result.output
    assert "damaged" not in result.output
    info = sqlite3.connect(old_db).execute("select vectors, embedded, reused from build_info").fetchone()
    assert info[1] == 0 and info[2] == info[0] > 0


# 7. build identity

def test_build_info_says_what_was_built(built_db):
    conn = sqlite3.connect(built_db)
    cursor = conn.execute("select * from build_info")
    rows = cursor.fetchall()
    assert len(rows) == 1
    info = dict(zip([d[0] for d in cursor.description], rows[0]))
    built_at = datetime.datetime.fromisoformat(info["built_at"])
    assert built_at.utcoffset() == datetime.timedelta(0)  # UTC
    written = datetime.datetime.fromtimestamp(int(built_db.stat().st_mtime), datetime.timezone.utc)
    assert built_at <= written  # recorded while the file was being written
    assert info["corpus_sha256"] == corpus_checksum(CORPUS)
    assert info["model"] == "usem3"
    assert info["casekb_version"] == importlib.metadata.version("casekb")
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    assert info["sources"] == one("select count(*) from sources")
    assert info["cases"] == one("select count(*) from real_cases")
    assert info["other_documents"] == one("select count(*) from cases") - info["cases"]
    assert info["title_only_cases"] == one("select count(*) from real_cases where status = 'title_only'")
    assert info["passages"] == one("select count(*) from passages")
    assert info["vectors"] == one("select count(*) from embeddings") == info["embedded"] + info["reused"]


def test_corpus_checksum_covers_the_manifest_the_rules_and_every_source(corpus_copy):
    first = corpus_checksum(corpus_copy)
    assert first == corpus_checksum(corpus_copy) and len(first) == 64
    changed = set()
    for name in ("sources.yml", "residue.yml", "004_d5df6ea88f8a5ce1.txt"):
        path = corpus_copy / name
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        changed.add(corpus_checksum(corpus_copy))
        path.write_bytes(original)
    assert first not in changed and len(changed) == 3
    assert corpus_checksum(corpus_copy) == first
    (corpus_copy / "notes.txt").write_text("不在清单中的文件", encoding="utf-8")
    assert corpus_checksum(corpus_copy) == first  # only what the build reads


def test_build_info_without_an_index_stage(corpus_copy, tmp_path):
    db = tmp_path / "plain.db"
    summary = casekb.build.build(corpus_copy, db, progress=False)
    row = sqlite3.connect(db).execute("select model, vectors, cases, corpus_sha256 from build_info").fetchone()
    assert row == (None, None, summary.cases, corpus_checksum(corpus_copy))

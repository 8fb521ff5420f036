"""What hostile requests and documents cost now (issue 21): each is answered or refused, and how fast.

The site (started by the script on loopback, casekb.serve.running_server): a 4,000-parameter URL,
200 `_facet`s, 20 not-found pages, a path under /-/static-plugins/ that does not exist, and the
search latency while two clients send the 4,000-parameter URL without pause (bounded in time).
`casekb add` (a temporary copy of the corpus, one process per document): a .docx that inflates to
300 MB, PDFs with a 14,400-pt and a 1,000,000-pt scanned page; wall time and peak memory of each.

Usage: python bench/hostile.py [--db data/casekb.db] [--seconds 5]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx

from casekb.serve import running_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the documents the tests make: a Word file, a PDF
from documents import page_pdf, word_cases

WIDE_URL = "/casekb/cases?" + "&".join(f"p{i}=" for i in range(4000))
MAX_REQUESTS = 2000  # a hard stop for the hammering clients, whatever the timing


def timed(client, path: str) -> tuple[httpx.Response, float]:
    start = time.perf_counter()
    r = client.get(path)
    return r, (time.perf_counter() - start) * 1000


def site(db: Path, seconds: float) -> None:
    with running_server(db, ROOT / "metadata.yml") as base, httpx.Client(base_url=base, timeout=60) as client:
        r, ms = timed(client, WIDE_URL)
        print(f"4,000-parameter URL ({len(WIDE_URL):,} bytes)   {r.status_code}  {ms:8.1f} ms")
        r, ms = timed(client, "/casekb/cases?" + "&".join(["_facet=title"] * 200))
        print(f"200 x _facet=title                  {r.status_code}  {ms:8.1f} ms  {len(r.content):,} bytes")
        start = time.perf_counter()
        statuses = {timed(client, f"/casekb/no-such-table-{i}")[0].status_code for i in range(20)}
        print(f"20 not-found pages                  {','.join(map(str, statuses))}  "
              f"{(time.perf_counter() - start) * 1000:8.1f} ms")
        r, ms = timed(client, "/-/static-plugins/nonexistent/x.css")
        print(f"/-/static-plugins/nonexistent/x.css {r.status_code}  {ms:8.1f} ms")
        quiet = [timed(client, "/-/search.json?q=社区减负&limit=10")[1] for _ in range(20)]
        stop, sent = threading.Event(), []

        def hammer():
            with httpx.Client(base_url=base, timeout=60) as own:
                while not stop.is_set() and len(sent) < MAX_REQUESTS:
                    own.get(WIDE_URL)
                    sent.append(1)
        threads = [threading.Thread(target=hammer) for _ in range(2)]
        for t in threads:
            t.start()
        busy, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline:
            busy.append(timed(client, "/-/search.json?q=社区减负&limit=10")[1])
        stop.set()
        for t in threads:
            t.join()
        print(f"search.json p50 alone {statistics.median(quiet):.1f} ms; with two clients sending the 4,000-parameter "
              f"URL ({len(sent)} sent in {seconds:g} s): p50 {statistics.median(busy):.1f} ms, max {max(busy):.1f} ms")


def add_one(corpus: Path, path: Path) -> None:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "from casekb.cli import main; main()", "add", "--corpus",
                             str(corpus), str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    output = proc.stdout.read().strip().splitlines()
    answer = (output[0] if output else "").replace(f"Error: {path}: ", "")
    print(f"{path.name:<17} {path.stat().st_size:>8,} bytes  exit {os.waitstatus_to_exitcode(status)}  "
          f"{time.perf_counter() - start:4.1f} s  peak {usage.ru_maxrss / 1024:4.0f} MiB  {answer.split(', over')[0]}")


def documents() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = tmp / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        bomb = word_cases(tmp / "bomb.docx")
        with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as z, \
                z.open("word/padding.xml", "w", force_zip64=True) as f:
            for _ in range(300):
                f.write(b" " * 2**20)
        (tmp / "page-14400pt.pdf").write_bytes(page_pdf([(14_400, 14_400)]))
        (tmp / "page-1e6pt.pdf").write_bytes(page_pdf([(1_000_000, 1_000_000)]))
        for path in (bomb, tmp / "page-14400pt.pdf", tmp / "page-1e6pt.pdf"):
            add_one(corpus, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "casekb.db")
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    site(args.db, args.seconds)
    documents()


if __name__ == "__main__":
    main()

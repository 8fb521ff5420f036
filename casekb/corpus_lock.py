"""One `casekb add` at a time in a corpus folder.

Two adds at once both read sources.yml, both append their entry and the last rename wins: one entry
is lost while its files stay (and adding it again is refused as already there). An add holds an
exclusive lock on the corpus folder itself (flock on the directory: no file is added to the corpus,
and the folder, unlike sources.yml, is never replaced) from reading the manifest to renaming the new
one in place; a second add waits for it, says so, and then reads the manifest the first one wrote.
The kernel drops the lock when its process ends, however it ends.
"""
import fcntl
import os
import sys
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def corpus_lock(corpus: Path):
    fd = os.open(Path(corpus), os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"{corpus}: another `casekb add` is adding to this corpus; waiting for it to finish",
                  file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock

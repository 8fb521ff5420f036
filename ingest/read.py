"""Read a source file as text: UTF-8 (with or without BOM) or GB18030/GBK, any newline style."""
import os
from pathlib import Path

from kbcore.limits import MAX_SOURCE_BYTES

from . import IngestError


def read_text(path: Path) -> str:
    """Decoded text with LF newlines; refuses empty, undecodable or oversized files, naming them."""
    with open(path, "rb") as f:
        data = f.read(MAX_SOURCE_BYTES + 1)  # never more than the limit, whatever the file claims
        if len(data) > MAX_SOURCE_BYTES:
            size = max(os.fstat(f.fileno()).st_size, len(data))
            raise IngestError(
                f"{path}: {size:,} bytes ({size / 2**20:.1f} MB) is over the limit for a corpus file, "
                f"{MAX_SOURCE_BYTES:,} bytes ({MAX_SOURCE_BYTES // 2**20} MB; kbcore/limits.py "
                "MAX_SOURCE_BYTES); split it into several files, each with its own entry in sources.yml")
    if not data.strip():
        raise IngestError(f"{path}: file is empty")
    text = _decode(path, data)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(path: Path, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise IngestError(
                f"{path}:{line}: neither UTF-8 nor GB18030/GBK text "
                f"(bad byte 0x{data[utf8_error.start]:02x}); re-save it as UTF-8") from None
        if _cjk_share(text) < 0.3:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise IngestError(f"{path}:{line}: not UTF-8, and as GB18030 it is not Chinese text; "
                              "re-save it as UTF-8")
        return text


def _cjk_share(text: str) -> float:
    """Share of CJK among non-space, non-ASCII characters: real GBK Chinese is nearly all CJK."""
    chars = [c for c in text if not c.isspace() and ord(c) > 0x7F]
    if not chars:
        return 0.0
    return sum("\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" for c in chars) / len(chars)

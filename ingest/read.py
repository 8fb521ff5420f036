"""Read a source file as text: UTF-8 (with or without BOM), GB18030/GBK or Big5, any newline style;
Japanese (Shift-JIS) and Korean (EUC-KR) text is refused by name (encodings.py tells them apart)."""
import os
from pathlib import Path

from kbcore.limits import MAX_SOURCE_BYTES

from . import IngestError, encodings


def read_text(path: Path) -> str:
    """Decoded text with LF newlines; refuses empty, undecodable or oversized files, naming them."""
    return decode_file(path)[0]


def decode_file(path: Path) -> tuple[str, str]:
    """read_text(), and the name of the encoding it was in ("UTF-8", "UTF-8 (BOM)", "GB18030", "Big5")."""
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
    text, encoding = _decode(path, data)
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    try:
        return data.decode("utf-8"), "UTF-8 (BOM)" if bom else "UTF-8"
    except UnicodeDecodeError as utf8_error:
        line = data[: utf8_error.start].count(b"\n") + 1
        found = encodings.guess(data)
        if found is None:
            raise IngestError(
                f"{path}:{line}: neither UTF-8 nor GB18030/GBK nor Big5 text "
                f"(bad byte 0x{data[utf8_error.start]:02x}); re-save it as UTF-8") from None
        name, language = found.encoding.name, found.encoding.language
        if language != "Chinese" and found.score >= encodings.MIN_SCORE:
            raise IngestError(f"{path}: {language} text in {name}, not Chinese; casekb holds Chinese text "
                              "(if it is Chinese, re-save it as UTF-8)")
        if _cjk_share(found.text) < 0.3 or found.score < encodings.MIN_SCORE:
            raise IngestError(f"{path}:{line}: not UTF-8, and as GB18030 or Big5 it does not read as Chinese "
                              "text; re-save it as UTF-8")
        return found.text, name


def _cjk_share(text: str) -> float:
    """Share of CJK among non-space, non-ASCII characters: real GBK Chinese is nearly all CJK."""
    chars = [c for c in text if not c.isspace() and ord(c) > 0x7F]
    if not chars:
        return 0.0
    return sum("\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" for c in chars) / len(chars)

"""Plain text (.txt): one paragraph per line, decoded exactly as the build decodes it."""
from pathlib import Path

from ..read import read_text
from .record import Extracted

UTF8_BOM = b"\xef\xbb\xbf"


def decode(path: Path) -> tuple[str, str]:
    """The text (LF newlines) and the name of its encoding; errors name the file and line."""
    data = Path(path).read_bytes()
    text = read_text(path)
    if data.startswith(UTF8_BOM):
        return text, "UTF-8 (BOM)"
    try:
        data.decode("utf-8")
        return text, "UTF-8"
    except UnicodeDecodeError:
        return text, "GB18030"


def read(path: Path) -> Extracted:
    text, encoding = decode(path)
    return Extracted("txt", [(None, line) for line in text.split("\n")], encoding=encoding)

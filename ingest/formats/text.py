"""Plain text (.txt): one paragraph per line, decoded exactly as the build decodes it."""
from pathlib import Path

from ..read import decode_file
from .record import Extracted


def decode(path: Path) -> tuple[str, str]:
    """The text (LF newlines) and the name of its encoding; errors name the file and line."""
    return decode_file(path)


def read(path: Path) -> Extracted:
    text, encoding = decode(path)
    return Extracted("txt", [(None, line) for line in text.split("\n")], encoding=encoding)

"""The word lists in kbcore/data, read and checked in one place.

A `#` line is a comment and a blank line is nothing (read raw, jieba's `load_userdict` would
take a `#` line for a word); any other line must have the shape of its list, or the reading
fails with `file:LINE: …` rather than adding a malformed word to every cut.
"""
import re
from pathlib import Path
from typing import NamedTuple


class WordListError(ValueError):
    """A malformed line in a word list; the message starts with `file:LINE:`."""


class Term(NamedTuple):
    word: str
    freq: int | None  # jieba's frequency; None lets jieba suggest one
    tag: str | None   # part of speech: nz a governance term, ns a place, ...


_TERM = re.compile(r"(?P<word>\S+)(?: (?P<freq>[0-9]+))?(?: (?P<tag>[a-z]+))?")


def lines(path: Path):
    """(line number, text) of each line that is not blank or a comment."""
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if text and not text.startswith("#"):
            yield number, text


def read_words(path: Path) -> list[str]:
    """One word per line (stopwords.txt)."""
    words = []
    for number, text in lines(path):
        if len(text.split()) != 1:
            raise WordListError(f"{path}:{number}: one word per line, not {text!r}")
        words.append(text)
    return words


def read_terms(path: Path) -> list[Term]:
    """A jieba user dictionary (terms.txt): `word [freq] [tag]` per line, single spaces between."""
    terms = []
    for number, text in lines(path):
        match = _TERM.fullmatch(text)
        if not match:
            raise WordListError(f"{path}:{number}: expected `word [frequency] [part of speech]` "
                                f"such as `政社互动 20000 nz`, not {text!r}")
        freq = match["freq"]
        terms.append(Term(match["word"], int(freq) if freq else None, match["tag"]))
    return terms

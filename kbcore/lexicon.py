"""The governance lexicon (kbcore/data/lexicon.yml): everyday words, Chinese or English, mapped to the
terms the cases use (负担太重 -> 减负, 公共汽车 -> 公交, homeowners committee -> 业委会).

An official describes a problem in the words of the street; the cases are written in the words of the
office. The keyword side of a search also looks for the case terms of every entry whose words the
query holds (index.query). The file is read once (kbcore.rules, as every rule file) and checked on
load: every error names the file and line, an unknown key is refused, and every entry states its source.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from kbcore.rules import InputError, Mapping, Sequence, check_keys, read_rules
from kbcore.text import fold

LEXICON_FILE = Path(__file__).resolve().parent / "data" / "lexicon.yml"
ENTRY_KEYS = {"words": True, "terms": True, "source": True, "note": False}  # key -> required
TOP_KEYS = {"sources", "entries"}
_LATIN = re.compile(r"[a-z]")


class LexiconError(InputError):
    """A mistake in the lexicon file; the message starts with `file:line:`."""


class Entry(NamedTuple):
    words: tuple[str, ...]   # everyday words, folded (Simplified, ASCII lower case)
    terms: tuple[str, ...]   # the case terms the keyword side also searches for
    source: str              # a key of the file's `sources`
    line: int                # where the entry starts in the file


@dataclass(frozen=True)
class Lexicon:
    entries: tuple[Entry, ...]
    sources: dict[str, str]  # source key -> what it is (own list, a dictionary and its licence ...)

    def __post_init__(self):
        latin = sorted({w for e in self.entries for w in e.words if _LATIN.search(w)}, key=len, reverse=True)
        pattern = re.compile(r"(?<![a-z])(?:" + "|".join(map(re.escape, latin)) + r")(?![a-z])") if latin else None
        object.__setattr__(self, "_latin", pattern)
        object.__setattr__(self, "_split", tuple(  # per entry: its Chinese words, its Latin ones
            (tuple(w for w in e.words if not _LATIN.search(w)), frozenset(w for w in e.words if _LATIN.search(w)))
            for e in self.entries))

    def terms_for(self, folded: str) -> tuple[str, ...]:
        """The case terms of every entry a folded query holds a word of, in file order, without repeats.
        A Chinese word is found anywhere in the query; a Latin one only as whole words (bus, not business;
        of two that overlap, the longer)."""
        text = folded.lower()
        latin = set(self._latin.findall(text)) if self._latin is not None and _LATIN.search(text) else set()
        out: dict[str, None] = {}
        for entry, (chinese, english) in zip(self.entries, self._split):
            if (latin and not latin.isdisjoint(english)) or any(w in text for w in chinese):
                out.update(dict.fromkeys(entry.terms))
        return tuple(out)


@lru_cache(maxsize=4)
def lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """The lexicon in `path`, read and checked once per process."""
    return load_lexicon(path)


def load_lexicon(path: Path) -> Lexicon:
    """Read and check a lexicon file (kbcore.rules: YAML with the line of every entry); LexiconError
    (`file:line: ...`) for any mistake in it."""
    try:
        return _load(Path(path))
    except LexiconError:
        raise
    except InputError as e:  # unreadable, not YAML, a repeated or unknown key: said by kbcore.rules
        raise LexiconError(str(e)) from None


def _load(path: Path) -> Lexicon:
    root = read_rules(path)
    check_keys(root, TOP_KEYS)
    missing = [k for k in sorted(TOP_KEYS) if k not in root]
    if missing:
        raise LexiconError(f"{root.where()}: the lexicon lacks {', '.join(missing)}")
    sources = root["sources"]
    if not isinstance(sources, Mapping) or not sources:
        raise LexiconError(f"{root.where('sources')}: sources must map each source's key to what it is")
    for key, value in sources.items():
        if not _is_text(value):
            raise LexiconError(f"{sources.where(key)}: source {key!r} must say in words what it is")
    items = root["entries"]
    if not isinstance(items, Sequence) or not items:
        raise LexiconError(f"{root.where('entries')}: entries must be a non-empty list")
    entries, seen = [], {}
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise LexiconError(f"{items.where(i)}: each entry must be a mapping with {', '.join(ENTRY_KEYS)}")
        check_keys(item, ENTRY_KEYS)
        missing = [k for k, needed in ENTRY_KEYS.items() if needed and k not in item]
        if missing:
            raise LexiconError(f"{item.where()}: an entry lacks {', '.join(missing)}")
        words, terms = (_texts(item, key) for key in ("words", "terms"))
        source = item["source"]
        if not _is_text(source) or source.strip() not in sources:
            raise LexiconError(f"{item.where('source')}: source must be one of the file's sources "
                               f"({', '.join(sources)}), not {source!r}")
        for word in words:
            if word in seen:
                raise LexiconError(f"{item.where()}: the word {word!r} is already in the entry at line {seen[word]}")
            seen[word] = item.line
        entries.append(Entry(words, terms, source.strip(), item.line))
    return Lexicon(tuple(entries), {key: value.strip() for key, value in sources.items()})


def _is_text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _texts(item: Mapping, key: str) -> tuple[str, ...]:
    """A non-empty list of texts, each folded (Simplified, NFKC, ASCII lower case)."""
    values = item[key]
    if not isinstance(values, list) or not values or not all(map(_is_text, values)):
        raise LexiconError(f"{item.where(key)}: {key} must be a non-empty list of texts")
    return tuple(dict.fromkeys(fold(v.strip()).lower() for v in values))

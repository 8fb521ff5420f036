"""The governance lexicon (kbcore/data/lexicon.yml): everyday words, Chinese or English, mapped to the
terms the cases use (负担太重 -> 减负, 公共汽车 -> 公交, homeowners committee -> 业委会).

An official describes a problem in the words of the street; the cases are written in the words of the
office. The keyword side of a search also looks for the case terms of every entry whose words the
query holds (index.query). The file is read once, checked on load: every error names the file and
line, an unknown key is refused, and every entry states its source.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import yaml

from kbcore.text import fold

LEXICON_FILE = Path(__file__).resolve().parent / "data" / "lexicon.yml"
ENTRY_KEYS = {"words": True, "terms": True, "source": True, "note": False}  # key -> required
TOP_KEYS = {"sources", "entries"}
_LATIN = re.compile(r"[a-z]")


class LexiconError(ValueError):
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
    """Read and check a lexicon file; LexiconError (`file:line: ...`) for any mistake in it."""
    path = Path(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError) as e:
        raise LexiconError(f"{path}: cannot read the lexicon ({e})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise LexiconError(f"{path}:{mark.line + 1 if mark else 1}: not valid YAML: "
                           f"{getattr(e, 'problem', None) or e}") from None
    where = lambda node: f"{path}:{node.start_mark.line + 1}"  # noqa: E731
    if not isinstance(root, yaml.MappingNode):
        raise LexiconError(f"{path}:1: expected the keys {', '.join(sorted(TOP_KEYS))} at the top of the file")
    top = _mapping(root, TOP_KEYS, {k: True for k in TOP_KEYS}, where, "the lexicon")
    sources_node = top["sources"]
    if not isinstance(sources_node, yaml.MappingNode) or not sources_node.value:
        raise LexiconError(f"{where(sources_node)}: sources must map each source's key to what it is")
    sources = {}
    for key, value in sources_node.value:
        if not _is_text(value):
            raise LexiconError(f"{where(value)}: source {key.value!r} must say in words what it is")
        sources[key.value] = value.value.strip()
    entries_node = top["entries"]
    if not isinstance(entries_node, yaml.SequenceNode) or not entries_node.value:
        raise LexiconError(f"{where(entries_node)}: entries must be a non-empty list")
    entries, seen = [], {}
    for node in entries_node.value:
        if not isinstance(node, yaml.MappingNode):
            raise LexiconError(f"{where(node)}: each entry must be a mapping with {', '.join(ENTRY_KEYS)}")
        fields = _mapping(node, set(ENTRY_KEYS), ENTRY_KEYS, where, "an entry")
        words, terms = (_texts(fields[k], k, where) for k in ("words", "terms"))
        source = fields["source"]
        if not _is_text(source) or source.value.strip() not in sources:
            raise LexiconError(f"{where(source)}: source must be one of the file's sources "
                               f"({', '.join(sources)}), not {getattr(source, 'value', source)!r}")
        for word in words:
            if word in seen:
                raise LexiconError(f"{where(node)}: the word {word!r} is already in the entry at line {seen[word]}")
            seen[word] = node.start_mark.line + 1
        entries.append(Entry(words, terms, source.value.strip(), node.start_mark.line + 1))
    return Lexicon(tuple(entries), sources)


def _mapping(node, allowed: set, required: dict, where, what: str) -> dict:
    """The node's keys -> value nodes; an unknown, repeated or missing key is an error at its line."""
    out = {}
    for key, value in node.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if name not in allowed:
            raise LexiconError(f"{where(key)}: unknown key {name!r} in {what} (expected {', '.join(sorted(allowed))})")
        if name in out:
            raise LexiconError(f"{where(key)}: duplicate key {name!r} in {what}")
        out[name] = value
    missing = [k for k, needed in required.items() if needed and k not in out]
    if missing:
        raise LexiconError(f"{where(node)}: {what} lacks {', '.join(missing)}")
    return out


def _is_text(node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str" and bool(node.value.strip())


def _texts(node, key: str, where) -> tuple[str, ...]:
    """A non-empty list of texts, each folded (Simplified, NFKC, ASCII lower case)."""
    if not isinstance(node, yaml.SequenceNode) or not node.value or not all(map(_is_text, node.value)):
        raise LexiconError(f"{where(node)}: {key} must be a non-empty list of texts")
    return tuple(dict.fromkeys(fold(v.value.strip()).lower() for v in node.value))

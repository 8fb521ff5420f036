"""Segmenters by source kind: how a source of each `kind` in sources.yml becomes documents.

A segmenter is `segment(entry, lines) -> list[dict]`: the manifest entry (path, title,
case_regions, ...) and the cleaned (line number, text) pairs in, documents
(segment/documents.py) out. SOURCE_KINDS is the one list of source kinds: the manifest
accepts exactly these, and checks the fields each one needs.
"""
from typing import Callable, NamedTuple

from .article import segment_article
from .award import segment_award
from .book import merge_book_part, segment_book
from .journal import segment_journal
from .multicase import segment_cases


class SourceKind(NamedTuple):
    name: str
    segment: Callable[[dict, list], list[dict]]
    needs: tuple[str, ...] = ()   # manifest fields a source of this kind must have
    part_of: str | None = None    # its documents join the source of this kind its `part_of:` names,
    merge: Callable | None = None  # by merge(that source's documents, these, entry) -> documents


SOURCE_KINDS = {k.name: k for k in (
    SourceKind("book", segment_book),
    SourceKind("book_cases", segment_book, part_of="book", merge=merge_book_part),
    SourceKind("journal_feature", segment_journal, needs=("case_regions",)),
    SourceKind("award_page", segment_award),
    SourceKind("article", segment_article),
    SourceKind("cases", segment_cases),
)}

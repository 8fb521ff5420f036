"""Segmenters by source kind: how a source of each `kind` in sources.yml becomes documents.

A segmenter is `segment(entry, lines) -> list[dict]`: the manifest entry (path, title,
case_regions, ...) and the cleaned (line number, text) pairs in, documents
(segment/documents.py) out. SOURCE_KINDS is the one list of source kinds: the manifest
accepts exactly these, and checks the fields each one needs. A segmenter that leaves lines out
of its documents on purpose names them in `sets_aside` ({rule: test(line number, text, documents)}):
the build counts them by rule and refuses any other line left out (ingest/whole.py).
"""
from typing import Callable, NamedTuple

from .article import segment_article, segment_document
from .award import SETS_ASIDE as AWARD_ASIDE, segment_award
from .book import SETS_ASIDE as BOOK_ASIDE, merge_book_part, segment_book
from .journal import SETS_ASIDE as JOURNAL_ASIDE, segment_journal
from .multicase import SETS_ASIDE as CASES_ASIDE, segment_cases


class SourceKind(NamedTuple):
    name: str
    segment: Callable[[dict, list], list[dict]]
    needs: tuple[str, ...] = ()   # manifest fields a source of this kind must have
    part_of: str | None = None    # its documents join the source of this kind its `part_of:` names,
    merge: Callable | None = None  # by merge(that source's documents, these, entry) -> documents
    sets_aside: dict[str, Callable] = {}  # lines it leaves out on purpose, by rule


SOURCE_KINDS = {k.name: k for k in (
    SourceKind("book", segment_book, sets_aside=BOOK_ASIDE),
    SourceKind("book_cases", segment_book, part_of="book", merge=merge_book_part, sets_aside=BOOK_ASIDE),
    SourceKind("journal_feature", segment_journal, needs=("case_regions",), sets_aside=JOURNAL_ASIDE),
    SourceKind("award_page", segment_award, sets_aside=AWARD_ASIDE),
    SourceKind("article", segment_article),
    SourceKind("document", segment_document),
    SourceKind("cases", segment_cases, sets_aside=CASES_ASIDE),
)}

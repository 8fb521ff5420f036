"""Snippets: the window of a passage around the first matched term, and safe HTML highlighting."""
import html
import re

from kbcore.text import fold, term_pattern, to_simplified

SNIPPET_CHARS = 140
CONTEXT_BEFORE = 30  # characters shown before the first matched term


def window(text: str, terms: list[str], chars: int = SNIPPET_CHARS) -> str:
    """At most `chars` characters of text, starting a little before the first matched term."""
    if len(text) <= chars:
        return text
    folded = fold(text) if terms else ""
    hits = [folded.find(t) for t in terms if folded.find(t) >= 0]
    start = max(0, min(hits) - CONTEXT_BEFORE) if hits else 0
    end = min(len(text), start + chars)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def highlight(text: str, terms: list[str]) -> str:
    """HTML with the terms in <strong>: escape first, then swap sentinels, so no markup leaks."""
    if not text:
        return ""
    marked = text
    terms = tuple(t for t in terms if t)
    if terms:
        pattern = term_pattern(terms, re.IGNORECASE)
        folded = fold_keep_length(text)
        spans = [m.span() for m in pattern.finditer(folded)]
        marked = "".join(_interleave(text, spans))
    return html.escape(marked).replace("\ue000", "<strong>").replace("\ue001", "</strong>")


def fold_keep_length(text: str) -> str:
    """Traditional->Simplified without NFKC, so match offsets stay valid in the original."""
    folded = to_simplified(text)
    return folded if len(folded) == len(text) else text


def _interleave(text, spans):
    pos = 0
    for start, end in spans:
        yield text[pos:start] + "\ue000" + text[start:end] + "\ue001"
        pos = end
    yield text[pos:]

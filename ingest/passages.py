"""Split a case's text into citable passages that record their character offsets.

Passages follow paragraphs; a long paragraph is split at sentence ends into pieces of
about TARGET characters; a very short paragraph (a lead-in such as "主要做法是：")
joins the passage that follows it. Offsets index into the field the passage is from,
so `body[start:end] == text` always holds.
"""
import re

TARGET = 300
SHORT = 40
_SENTENCE_END = re.compile(r"(?<=[。！？；])")


def join_blocks(blocks) -> tuple[str, list[tuple[int, int, str | None]]]:
    """Field text (section headings as their own lines) and each paragraph's span and section."""
    parts, spans, pos, current = [], [], 0, None
    for section, text in blocks:
        if section != current and section:
            parts.append(section)
            pos += len(section) + 1
        current = section
        spans.append((pos, pos + len(text), section))
        parts.append(text)
        pos += len(text) + 1
    return "\n".join(parts), spans


def split_passages(text: str, spans) -> list[dict]:
    """Passages as dicts with start, end, section (text is text[start:end])."""
    pieces = []
    for start, end, section in spans:
        pieces.extend((s, e, section) for s, e in _split_long(text, start, end))
    passages, pending = [], None
    for start, end, section in pieces:
        if pending and pending["section"] == section:
            start = pending["start"]
        elif pending:
            passages.append(pending)
        pending = {"start": start, "end": end, "section": section}
        if end - start >= SHORT:
            passages.append(pending)
            pending = None
    if pending:
        passages.append(pending)
    return passages


def _split_long(text, start, end):
    if end - start <= TARGET * 1.5:
        return [(start, end)]
    out, piece_start = [], start
    cuts = [start + m.start() for m in _SENTENCE_END.finditer(text[start:end])] + [end]
    last_cut = start
    for cut in cuts:
        if cut - piece_start > TARGET and last_cut > piece_start:
            out.append((piece_start, last_cut))
            piece_start = last_cut
        last_cut = cut
    out.append((piece_start, end))
    return [(s, e) for s, e in out if e > s]

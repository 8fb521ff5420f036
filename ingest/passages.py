"""Split a case's text into citable passages that record their character offsets.

Passages follow paragraphs; a long paragraph is split at sentence ends into pieces of
about TARGET characters; a very short paragraph (a lead-in such as "主要做法是：")
joins the passage that follows it. Offsets index into the field the passage is from,
so `body[start:end] == text` always holds. A passage records the heading it stands under
(`section`) and, when headings were stacked, all of them (`heading_path`, outermost first).
"""
from kbcore.textrules import SENTENCE_END_SPLIT

TARGET = 300
SHORT = 40
HEADING_PATH_SEPARATOR = " > "


def heading_path(section) -> tuple[str, ...]:
    """A block's section as a path of headings: None -> (), "主要做法" -> ("主要做法",)."""
    if not section:
        return ()
    return (section,) if isinstance(section, str) else tuple(section)


def join_blocks(blocks) -> tuple[str, list[tuple[int, int, tuple[str, ...]]]]:
    """Field text (each heading on its own line, where its path starts) and each paragraph's span
    and heading path; a block without text adds its headings only."""
    parts, spans, pos, current = [], [], 0, ()
    for section, text in blocks:
        path = heading_path(section)
        if path != current:
            shared = next((i for i, (a, b) in enumerate(zip(path, current)) if a != b), min(len(path), len(current)))
            for heading in path[shared if shared < len(path) else 0:]:  # the headings not written yet
                parts.append(heading)
                pos += len(heading) + 1
        current = path
        if text is None:
            continue
        spans.append((pos, pos + len(text), path))
        parts.append(text)
        pos += len(text) + 1
    return "\n".join(parts), spans


def split_passages(text: str, spans) -> list[dict]:
    """Passages as dicts with start, end, section and heading_path (text is text[start:end])."""
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
    return [{**p, "section": p["section"][-1] if p["section"] else None,
             "heading_path": HEADING_PATH_SEPARATOR.join(p["section"]) or None} for p in passages]


def _split_long(text, start, end):
    if end - start <= TARGET * 1.5:
        return [(start, end)]
    out, piece_start = [], start
    cuts = [start + m.start() for m in SENTENCE_END_SPLIT.finditer(text[start:end])] + [end]
    last_cut = start
    for cut in cuts:
        if cut - piece_start > TARGET and last_cut > piece_start:
            out.append((piece_start, last_cut))
            piece_start = last_cut
        last_cut = cut
    out.append((piece_start, end))
    return [(s, e) for s, e in out if e > s]

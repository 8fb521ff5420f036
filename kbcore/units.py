"""What gets indexed for a case title and for a passage.

The FTS index and the embeddings both read passage_text, so a keyword hit and a semantic
hit are about the same text. A title is embedded bare; its chapter topic is for keywords only.
Ingest cuts passage_text for the keyword index (passages.text_seg) while it cuts the text anyway.
"""


def title_text(title: str, chapter: str | None) -> str:
    """The title with its chapter's topic, for the keyword title index: "鱼儿回来了 生态建设",
    not the book's refrain "“政社互动”与生态建设"."""
    topic = chapter.rsplit("与", 1)[-1] if chapter else None
    return " ".join(filter(None, [title, topic]))


def passage_text(section: str | None, text: str) -> str:
    """The passage under its section heading, which often names its subject."""
    return " ".join(filter(None, [section, text]))

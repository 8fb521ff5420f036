"""A single article: the first line is its title, the rest one case (short lines are headings);
or a document that is not a case (a report, a speech, a policy document) in the same layout."""
from .documents import document, sectioned


def segment_article(entry, lines) -> list[dict]:
    (line, title), body = lines[0], lines[1:]
    return [document("article", title, line, blocks=sectioned(body))]


def segment_document(entry, lines) -> list[dict]:
    (line, title), body = lines[0], lines[1:]
    return [document("document", title, line, blocks=sectioned(body))]

"""What the Chinese site must not show: the interface text of Datasette 0.65's templates and table.js,
and the English menu labels the site had before. Data (table and column names, codes, SQL) may be Latin."""
import re
from html import unescape

ENGLISH = ["Powered by", "Queries took", "Data license", "Data source", "This data as", "Advanced export",
           "JSON shape", "CSV options", "download file", "expand labels", "stream all rows", "Export CSV",
           "Suggested facets", "Custom SQL query", "Run SQL", "Format SQL", "Query parameters", "Edit SQL",
           "Next page", "View and edit SQL", "Links from other tables", "Download SQLite DB", "hidden table",
           "remove filter", "- column -", "Sort...", "Sort by", "descending", "Search:", "Apply", "0 records",
           "0 results", "Menu", "Log out", "Table actions", "Database not found", "Table not found", "Error 404",
           "Sort ascending", "Sort descending", "Facet by this", "Hide this column", "Show all columns",
           "Show not-blank rows", "Type:", "Remove this filter", "rows", "row", "where", "sorted by", "Tables",
           "Views", "Queries", "Search", "Mechanisms", "Compare", "Overview", "home", "(array)", "(view)"]
ENGLISH_RE = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(e) for e in ENGLISH) + r")(?![\w-])")


def visible_text(page: str) -> str:
    """What a reader sees of an HTML page: no scripts, styles, SQL boxes, tags or comments; entities decoded.
    Table and code names (<code class="casekb-name">, <small class="casekb-code">) are data, not interface."""
    page = re.sub(r"<(script|style|textarea|pre)\b.*?</\1>|<!--.*?-->", " ", page, flags=re.S)
    page = re.sub(r"<code class=\"casekb-name\">.*?</code>|<small class=\"casekb-code\">.*?</small>", " ", page)
    return unescape(re.sub(r"<[^>]+>", " ", page))


def english_in(text: str) -> list[str]:
    """The English interface strings in a text (a page's visible text)."""
    return sorted(set(ENGLISH_RE.findall(text)))

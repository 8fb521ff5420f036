"""The course-pack formats: a registry the CLI choices, the web links and validation all read.

A new format is a renderer module (pack record -> bytes) and one entry here.
"""
import re
import unicodedata
from typing import Callable, NamedTuple

from .pack import CoursePack
from .render_docx import render_docx
from .render_html import render_html
from .render_md import render_markdown
from .render_report import render_report


class PackFormat(NamedTuple):
    id: str                          # ?format= and --format value
    label: str                       # what a download link says
    content_type: str
    render: Callable[[CoursePack], bytes]
    extension: str = ""              # of the file; the id when empty
    readable: bool = False           # a page the browser opens to read or print (a download link beside)

    @property
    def suffix(self) -> str:
        return self.extension or self.id


FORMATS = {f.id: f for f in (
    PackFormat("md", "Markdown", "text/markdown; charset=utf-8",
               lambda pack: render_markdown(pack).encode("utf-8")),
    PackFormat("html", "可打印网页 (HTML)", "text/html; charset=utf-8",
               lambda pack: render_html(pack).encode("utf-8"), readable=True),
    PackFormat("docx", "Word (DOCX)", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               render_docx),
    PackFormat("report", "检索报告 (HTML)", "text/html; charset=utf-8",
               lambda pack: render_report(pack).encode("utf-8"), extension="html", readable=True),
)}
DEFAULT_FORMAT = "docx"


def check_format(fmt: str) -> PackFormat:
    """The format named by a `format` parameter; ValueError naming the parameter and the choices."""
    if fmt not in FORMATS:
        raise ValueError(f"format: 未知格式 {fmt!r}，可选 {', '.join(FORMATS)} (unknown format)")
    return FORMATS[fmt]


def render(pack: CoursePack, fmt: str) -> bytes:
    return check_format(fmt).render(pack)


# Removed from download names: controls (Cc), format characters (Cf: the bidi overrides and isolates
# U+202A-202E, U+2066-2069, the marks U+200E/F, which make "…gpj.exe.html" read as "…lmth.exe.jpg"),
# surrogates, unassigned code points and noncharacters (Cs, Cn) and line/paragraph separators.
_INVISIBLE = frozenset(("Cc", "Cf", "Cs", "Cn", "Zl", "Zp"))


def download_name(pack: CoursePack, fmt: str) -> str:
    """课程包标题-2026-11-24.docx, without characters a file system or a header would refuse,
    nor any that change how the name reads."""
    title = "".join(ch for ch in pack.title if unicodedata.category(ch) not in _INVISIBLE)
    stem = re.sub(r'[\\/:*?"<>|]+', "_", title).strip(" ._")[:60] or "casekb"
    return f"{stem}-{pack.date}.{check_format(fmt).suffix}"

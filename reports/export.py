"""Course pack bytes and a download name for a format: md, html or docx."""
import re

from .render_docx import render_docx
from .render_html import render_html
from .render_md import render_markdown

FORMATS = {
    "md": ("text/markdown; charset=utf-8", lambda pack: render_markdown(pack).encode("utf-8")),
    "html": ("text/html; charset=utf-8", lambda pack: render_html(pack).encode("utf-8")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", render_docx),
}


def render(pack: dict, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"format: 未知格式 {fmt!r} (one of: {', '.join(FORMATS)})")
    return FORMATS[fmt][1](pack)


def download_name(pack: dict, fmt: str) -> str:
    """课程包标题-2026-11-24.docx, without characters a file system or a header would refuse."""
    stem = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", pack["title"]).strip(" ._")[:60] or "casekb"
    return f"{stem}-{pack['date']}.{fmt}"

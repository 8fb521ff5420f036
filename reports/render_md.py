"""Course pack as plain Markdown: readable as a text file, renders cleanly anywhere."""
import re

from .pack import CoursePack

_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_LINE_START = re.compile(r"^(\s*)(#|>|[-+]\s|\d+[.)]\s?)")


def escape(text: str) -> str:
    """Markdown-inert text: no emphasis, links, HTML or table breaks; '1. ' does not start a list."""
    text = _SPECIAL.sub(r"\\\1", text or "")
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def render_markdown(pack: CoursePack) -> str:
    out = [f"# {escape(pack.title)}", "",
           escape(pack.dateline),
           "", pack.summary,
           "", "## 案例目录", ""]
    out += [f"{c['n']}. {escape(c['title'])}（{escape(c['place'])}）" for c in pack.cases]
    for case in pack.case_pages:
        out += ["", "---", "", f"## {case['n']}. {escape(case['title'])}", ""]
        out += [f"- **{label}**：{escape(value)}" for label, value in case["meta"]]
        out.append("")
        if case["missing_note"]:
            out += [f"> 注：{case['missing_note']}", ""]
        section = None
        for p in case["body_passages"]:
            if p["section"] and p["section"] != section:
                section = p["section"]
                out += [f"### {escape(section)}", ""]
            out += [escape(p["text"]), ""]
        if case["comment"]:
            out += ["### 专家点评", "", escape(case["comment"]), ""]
    if pack.title_only_list:
        out += ["", "---", "", f"## {pack.title_only_heading}", "", pack.title_only_intro, ""]
        out += [f"{c['n']}. {escape(c['title'])}（{escape(c['place'])}）：{escape(c['list_line'])}"
                for c in pack.title_only_list]
    out += ["", "---", "", "## 机制对照表", ""]
    if pack.matrix:
        out.append("| 机制 | " + " | ".join(f"{c['n']}. {escape(c['place'])}" for c in pack.matrix_cases) + " |")
        out.append("|---" * (len(pack.matrix_cases) + 1) + "|")
        out += [f"| {escape(row['id'])} | " + " | ".join("✓" if cell else "" for cell in row["cells"]) + " |"
                for row in pack.matrix]
        out.append("")
    out.append(pack.matrix_note)
    out += ["", "## 来源文献", ""]
    out += [f"{i}. {escape(s['entry'])}" for i, s in enumerate(pack.sources, 1)]
    return "\n".join(out).rstrip() + "\n"

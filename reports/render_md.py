"""Course pack as plain Markdown: readable as a text file, renders cleanly anywhere."""
import re


_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_LINE_START = re.compile(r"^(\s*)(#|>|[-+]\s|\d+[.)]\s?)")


def escape(text: str) -> str:
    """Markdown-inert text: no emphasis, links, HTML or table breaks; '1. ' does not start a list."""
    text = _SPECIAL.sub(r"\\\1", text or "")
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def render_markdown(pack: dict) -> str:
    out = [f"# {escape(pack['title'])}", "",
           f"生成日期：{pack['date']}" + (f" · 选取方式：{escape(pack['selection'])}" if pack["selection"] else ""),
           "", pack["summary"],
           "", "## 案例目录", ""]
    out += [f"{c['n']}. {escape(c['title'])}（{escape(c['region'] or '全国')}）" for c in pack["cases"]]
    for case in pack["cases"]:
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
            out += [f"{escape(p['text'])} 〔{p['id']}〕", ""]
        if case["comment"]:
            out += ["### 专家点评", "", escape(case["comment"]), ""]
    out += ["", "---", "", "## 机制对照表", ""]
    if pack["matrix"]:
        out.append("| 机制 | " + " | ".join(f"{c['n']}. {escape(c['region'] or '全国')}" for c in pack["matrix_cases"]) + " |")
        out.append("|---" * (len(pack["matrix_cases"]) + 1) + "|")
        out += [f"| {escape(row['id'])} | " + " | ".join("✓" if cell else "" for cell in row["cells"]) + " |"
                for row in pack["matrix"]]
        out += ["", "列为案例目录中的序号；✓ 表示在案例文本或标题中检测到该机制。未列出的案例未检测到任何机制。"]
    else:
        out.append("所选案例中未检测到治理机制。")
    out += ["", "## 来源文献", ""]
    out += [f"{i}. {escape(s['reference'])}" + (f"。说明：{escape(s['note'])}" if s["note"] else "")
            for i, s in enumerate(pack["sources"], 1)]
    return "\n".join(out).rstrip() + "\n"

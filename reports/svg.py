"""Charts as SVG strings drawn on the server: no JavaScript, no external fonts, images or scripts.

Sizes come from the text (a CJK character is about 1 em wide, Latin about 0.6 em), so labels are
shown whole and never cut off by the frame. Every text goes through _esc: labels come from the database.
"""
import unicodedata
from html import escape

FONT = '"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif'
SIZE = 14  # px
ROW, BAR = 28, 20  # row pitch and bar thickness of bar charts
# fill, stroke, dash, text colour per series. Blue/orange stay apart for colour-blind readers;
# the third series (缺失) is an empty dashed box: something that should be there and is not.
SERIES_STYLES = (("#2f6db5", "none", "", "#fff"), ("#f2a93b", "none", "", "#222"),
                 ("#f7f7f7", "#777", "4 3", "#444"))
HEAT_LOW, HEAT_HIGH = (226, 243, 222), (0, 100, 40)  # light to dark green; not the blue of 有正文


def _esc(text) -> str:
    return escape(str(text), quote=True)


def text_width(text, size=SIZE) -> float:
    """Estimated rendered width; ambiguous-width marks such as “ ” count as wide, as CJK fonts draw them."""
    return sum(size if unicodedata.east_asian_width(ch) in "WFA" else 0.6 * size for ch in str(text))


def _linked(part: str, href: str | None) -> str:
    """The part as a link to what it counts (SVG 2 `href`), or as it is when there is nothing to open."""
    return f'<a href="{_esc(href)}">{part}</a>' if href else part


def _svg(width, height, title, body) -> str:
    width, height = round(width), round(height)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="casekb-chart" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(title)}" '
            f"font-family='{FONT}' font-size=\"{SIZE}\" fill=\"#222\">"
            f"<title>{_esc(title)}</title>{body}</svg>")


def _text(x, y, text, anchor="start", fill="#222", weight="normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" dy="0.35em" text-anchor="{anchor}" fill="{fill}"'
            + (f' font-weight="{weight}"' if weight != "normal" else "") + f">{_esc(text)}</text>")


def bar_chart(rows, title, *, series=("案例数",), total_format="{}", bar_width=480, links=None) -> str:
    """Horizontal bars, one per (label, values) row, values stacked in the order of `series`.

    All rows share one scale, so a short bar really is a small number; each bar ends with its total
    (written with total_format), and a segment carries its own count when the count fits inside.
    Labels are shown whole (the chart widens for them); `links[i]`, if given, is what row i opens.
    """
    rows = [(label, [v or 0 for v in values]) for label, values in rows]
    links = links or [None] * len(rows)
    label_w = max((text_width(label) for label, _ in rows), default=0) + 12
    totals = [total_format.format(sum(values)) for _, values in rows]
    total_w = max((text_width(t) for t in totals), default=0) + 10
    top = 30 if len(series) > 1 else 6
    largest = max((sum(values) for _, values in rows), default=0)
    scale = bar_width / largest if largest else 0
    parts = []
    if len(series) > 1:
        x = label_w
        for name, (fill, stroke, dash, _) in zip(series, SERIES_STYLES):
            parts.append(f'<rect x="{x:.1f}" y="4" width="12" height="12" fill="{fill}" stroke="{stroke}"'
                         f' stroke-dasharray="{dash}"/>')
            parts.append(_text(x + 17, 10, name))
            x += 17 + text_width(name) + 18
    for i, ((label, values), total, href) in enumerate(zip(rows, totals, links)):
        y = top + i * ROW
        detail = "，".join(f"{name} {v}" for name, v in zip(series, values))
        bar = [f"<g><title>{_esc(label)}：{_esc(detail)}</title>", _text(label_w - 8, y + BAR / 2, label, anchor="end")]
        x = label_w
        for v, (fill, stroke, dash, ink) in zip(values, SERIES_STYLES):
            w = v * scale
            if w <= 0:
                continue
            bar.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR}" fill="{fill}"'
                       f' stroke="{stroke}" stroke-dasharray="{dash}"/>')
            if len(series) > 1 and w >= text_width(v) + 8:
                bar.append(_text(x + w / 2, y + BAR / 2, v, anchor="middle", fill=ink))
            x += w
        bar += [_text(x + 6, y + BAR / 2, total, weight="bold"), "</g>"]
        parts.append(_linked("".join(bar), href))
    height = top + len(rows) * ROW + 4
    parts.insert(0, f'<line x1="{label_w}" y1="{top - 3}" x2="{label_w}" y2="{height - 4}" stroke="#999"/>')
    return _svg(label_w + bar_width + total_w, height, title, "".join(parts))


def _heat(count, largest) -> tuple[str, str]:
    """Fill and text colour: linear in the count, starting visibly above the empty-cell grey."""
    t = 0.15 + 0.85 * count / largest
    rgb = [round(lo + (hi - lo) * t) for lo, hi in zip(HEAT_LOW, HEAT_HIGH)]
    return "#%02x%02x%02x" % tuple(rgb), ("#fff" if t > 0.5 else "#222")


def heatmap(row_labels, col_labels, counts, title, *, cell_height=24, links=None) -> str:
    """A grid of cells, counts[i][j] for row i and column j, darker for more; each non-zero cell
    shows its number, an empty cell stays pale grey and blank so the pattern reads at a glance.
    `links[i][j]`, if given, is what a non-zero cell opens (the cases it counts)."""
    label_w = max((text_width(label) for label in row_labels), default=0) + 12
    cell_w = max([36] + [text_width(c) + 12 for c in col_labels])
    top = SIZE + 14
    largest = max((max(r, default=0) for r in counts), default=0)
    parts = []
    for j, col in enumerate(col_labels):
        parts.append(_text(label_w + (j + 0.5) * cell_w, SIZE / 2 + 4, col, anchor="middle"))
    for i, label in enumerate(row_labels):
        y = top + i * cell_height
        parts.append(_text(label_w - 8, y + cell_height / 2, label, anchor="end"))
        for j, (col, n) in enumerate(zip(col_labels, counts[i])):
            x = label_w + j * cell_w
            fill, ink = _heat(n, largest) if n else ("#f3f3f3", "#222")
            cell = (f'<rect x="{x:.1f}" y="{y}" width="{cell_w:.1f}" height="{cell_height}" fill="{fill}"'
                    f' stroke="#fff" stroke-width="2"><title>{_esc(label)} × {_esc(col)}：{n}</title></rect>')
            if n:
                cell += _text(x + cell_w / 2, y + cell_height / 2, n, anchor="middle", fill=ink)
            parts.append(_linked(cell, links[i][j] if links and n else None))
    return _svg(label_w + len(col_labels) * cell_w + 4, top + len(row_labels) * cell_height + 4, title,
                "".join(parts))

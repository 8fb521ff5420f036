"""Charts as SVG strings drawn on the server: no JavaScript, no external fonts, images or scripts.

Sizes come from the text (a CJK character is about 1 em wide, Latin about 0.6 em), so labels are
shown whole and never cut off by the frame. Every text goes through _esc: labels come from the database.
"""
import unicodedata
from html import escape

FONT = '"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif'
SIZE = 14  # px
# Bar charts: a label line, then the bar (thick enough to tap), then a gap; the bars' full length fits a
# 390 px phone beside the longest total, so the chart needs no scaling there.
LINE, BAR, ROW_GAP, BAR_WIDTH = 18, 30, 12, 250
CELL = 36  # px: a heat-map cell's side, room for a three-digit count and a finger
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


def wrap(text, width: float, size=SIZE) -> list[str]:
    """The text in lines of at most `width` px (estimated as text_width does), every character kept."""
    lines, line = [], ""
    for ch in str(text):
        if line and text_width(line + ch, size) > width:
            lines.append(line)
            line = ""
        line += ch
    return lines + [line] if line or not lines else lines


def bar_chart(rows, title, *, series=("案例数",), total_format="{}", bar_width=BAR_WIDTH, links=None,
              label_links=None) -> str:
    """Horizontal bars, one per (label, values) row, values stacked in the order of `series`; each
    row's label stands above its bar (wrapped, never cut), so the chart stays narrow enough for a phone.

    All rows share one scale, so a short bar really is a small number; each bar ends with its total
    (written with total_format), and a segment carries its own count when the count fits inside.
    `links[i]`, if given, is what row i opens: one address for the whole bar, or one per segment
    (in the order of `series`; None where a segment opens nothing). `label_links[i]`, if given, is what
    row i's label opens (all of the bar's cases: a segment of one case is too thin to tap).
    """
    rows = [(label, [v or 0 for v in values]) for label, values in rows]
    links = links or [None] * len(rows)
    label_links = label_links or [None] * len(rows)
    totals = [total_format.format(sum(values)) for _, values in rows]
    total_w = max((text_width(t) for t in totals), default=0) + 10
    width = bar_width + total_w + 2
    labels = [wrap(label, width) for label, _ in rows]
    legend = []
    if len(series) > 1:  # the key, wrapped onto as many lines as it needs
        x, y = 0.0, 10
        for name, (fill, stroke, dash, _) in zip(series, SERIES_STYLES):
            step = 17 + text_width(name) + 18
            if x and x + step > width:
                x, y = 0.0, y + 20
            legend += [f'<rect x="{x + 1:.1f}" y="{y - 6}" width="12" height="12" fill="{fill}" stroke="{stroke}"'
                       f' stroke-dasharray="{dash}"/>', _text(x + 18, y, name)]
            x += step
        top = y + 20
    else:
        top = 4
    largest = max((sum(values) for _, values in rows), default=0)
    scale = bar_width / largest if largest else 0
    parts, y = legend, top
    for (label, values), lines, total, href, label_href in zip(rows, labels, totals, links, label_links):
        detail = "，".join(f"{name} {v}" for name, v in zip(series, values))
        segment_links = href if isinstance(href, (list, tuple)) else None
        row = [f"<g><title>{_esc(label)}：{_esc(detail)}</title>"]
        row.append(_linked("".join(_text(0, y + LINE * (k + 0.5), line) for k, line in enumerate(lines)), label_href))
        y += LINE * len(lines) + 2
        x = 0.0
        for i, (v, (fill, stroke, dash, ink)) in enumerate(zip(values, SERIES_STYLES)):
            w = v * scale
            if w <= 0:
                continue
            seg = (f'<rect x="{x + 1:.1f}" y="{y}" width="{w:.1f}" height="{BAR}" fill="{fill}"'
                   f' stroke="{stroke}" stroke-dasharray="{dash}">'
                   f'<title>{_esc(label)}：{_esc(series[i])} {v}</title></rect>')
            if len(series) > 1 and w >= text_width(v) + 8:
                seg += _text(x + 1 + w / 2, y + BAR / 2, v, anchor="middle", fill=ink)
            row.append(_linked(seg, segment_links[i] if segment_links and i < len(segment_links) else None))
            x += w
        row += [_text(x + 7, y + BAR / 2, total, weight="bold"), "</g>"]
        parts.append("".join(row) if segment_links else _linked("".join(row), href))
        y += BAR + ROW_GAP
    parts.insert(0, f'<line x1="1" y1="{top}" x2="1" y2="{y - ROW_GAP}" stroke="#999"/>')
    return _svg(width, y - ROW_GAP + 4, title, "".join(parts))


def _heat(count, largest) -> tuple[str, str]:
    """Fill and text colour: linear in the count, starting visibly above the empty-cell grey."""
    t = 0.15 + 0.85 * count / largest
    rgb = [round(lo + (hi - lo) * t) for lo, hi in zip(HEAT_LOW, HEAT_HIGH)]
    return "#%02x%02x%02x" % tuple(rgb), ("#fff" if t > 0.5 else "#222")


def _column_label(x: float, text) -> str:
    """A column's name written top to bottom (vertical writing), so columns stay one cell wide."""
    return f'<text x="{x:.1f}" y="2" writing-mode="tb" text-anchor="start">{_esc(text)}</text>'


def heatmap(row_labels, col_labels, counts, title, *, cell_height=CELL, links=None) -> str:
    """A grid of cells, counts[i][j] for row i and column j, darker for more; each non-zero cell
    shows its number, an empty cell stays pale grey and blank so the pattern reads at a glance.
    Column names run downwards so eight cities fit a phone's width.
    `links[i][j]`, if given, is what a non-zero cell opens (the cases it counts)."""
    label_w = max((text_width(label) for label in row_labels), default=0) + 12
    cell_w = CELL
    top = max((text_width(c) for c in col_labels), default=SIZE) + 8
    largest = max((max(r, default=0) for r in counts), default=0)
    parts = []
    for j, col in enumerate(col_labels):
        parts.append(_column_label(label_w + (j + 0.5) * cell_w, col))
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

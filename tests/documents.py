"""Documents in the formats people have, written by the tests that add them: a Word file, a
web page, a PDF printed by Chromium, images and scans rendered from known Chinese text."""
import shutil
import subprocess
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")

# Two cases, each with a first and a last sentence no other case shares.
TAICANG = {
    "title": "太仓市：政社互动的两份清单",
    "first": "2008年起，太仓市开始探索政府行政管理与基层群众自治有效衔接的路径。",
    "middle": [f"太仓市的做法第{i}条：各镇村按照清单履行职责，定期向居民公开办理结果，"
               "并由村民代表会议对照清单逐项评议，评议结果作为考核的依据。" for i in range(1, 4)],
    "last": "两份清单让村居委会从繁重的行政事务中解脱出来。",
}
NANJING = {
    "title": "南京市：社区减负增效",
    "first": "南京市把社区承担的工作事项由78项减少到28项。",
    "middle": [f"南京市的做法第{i}条：街道统一受理居民事项，社区把精力用在服务上，"
               "各部门不得再把新的工作事项交给社区，确需社区协助的须经准入审核。" for i in range(1, 4)],
    "last": "社区工作者因此有更多时间走访居民。",
}
CASES = (TAICANG, NANJING)
# A PDF locked with a user password (the standard security handler, RC4): pdfium asks for it.
ENCRYPTED_PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
                 b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
                 b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
                 b"4 0 obj << /Filter /Standard /V 1 /R 2 /O <" + b"00" * 32 + b"> /U <" + b"11" * 32
                 + b"> /P -4 >> endobj\ntrailer << /Root 1 0 R /Encrypt 4 0 R /ID [<0123456789abcdef0123456789abcdef>"
                 b"<0123456789abcdef0123456789abcdef>] /Size 5 >>\n%%EOF\n")
SITE_RESIDUE = ["首页", "新闻中心", "版权所有", "备案号", "相关阅读", "全市召开社区工作会议", "志愿服务月活动启动"]


def paragraphs(case: dict, repeat: int = 1) -> list[str]:
    return [case["first"], *case["middle"] * repeat, case["last"]]


def word_cases(path: Path) -> Path:
    """A Word file: a Title, each case a Heading 1 with Heading 2 sections, a table, a 点评."""
    import docx
    document = docx.Document()
    document.add_paragraph("基层治理案例选编", style="Title")
    for case in CASES:
        document.add_heading(case["title"], level=1)
        document.add_heading("主要做法", level=2)
        for text in paragraphs(case)[:-1]:
            document.add_paragraph(text)
        table = document.add_table(rows=2, cols=2)
        for (r, c), text in zip([(0, 0), (0, 1), (1, 0), (1, 1)], ["事项", "数量", "清单事项", "28项"]):
            table.cell(r, c).text = text
        document.add_heading("工作成效", level=2)
        document.add_paragraph(case["last"])
        document.add_paragraph("点评：这一做法值得推广。")
    document.save(path)
    return path


def word_book_cases(path: Path, titles: list[str]) -> Path:
    """A Word file with the text of some of the book's cases, under their titles as headings."""
    import docx
    document = docx.Document()
    document.add_paragraph("太仓“政社互动”100例（补）", style="Title")
    for k, title in enumerate(titles, 1):
        document.add_heading(title, level=1)
        document.add_paragraph(f"这是第{k}个补入案例的正文，记录了镇村协商的经过和结果。")
        document.add_paragraph("点评")
        document.add_paragraph(f"第{k}个补入案例的点评。")
    document.save(path)
    return path


def web_page(path: Path) -> Path:
    """A news page: navigation, breadcrumb, the article with two cases, related links, footer."""
    cases = "".join(f"<h2>案例{n}：{c['title']}</h2>" + "".join(f"<p>{p}</p>" for p in paragraphs(c))
                    for n, c in zip("一二", CASES))
    path.write_text(f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>基层治理案例两则 - 某某市民政局</title><meta name="date" content="2021-06-18"></head><body>
<nav><a href="/">首页</a> | <a href="/news">新闻中心</a> | <a href="/cases">案例库</a></nav>
<div class="breadcrumb">当前位置：首页 &gt; 案例库 &gt; 正文</div>
<article><h1>基层治理案例两则</h1>{cases}</article>
<aside><h3>相关阅读</h3><ul><li><a href="/a">全市召开社区工作会议</a></li>
<li><a href="/b">志愿服务月活动启动</a></li></ul></aside>
<footer>版权所有 © 某某市民政局　备案号：苏ICP备12345678号</footer>
</body></html>""", encoding="utf-8")
    return path


def printed_pdf(tmp: Path, repeat: int = 12) -> Path | None:
    """Two cases printed over several pages by headless Chromium, with a running head, a running
    foot and page numbers; None when Chromium is not installed (scripts/install-browser)."""
    cases = "".join(f"<h2>案例{n}：{c['title']}</h2>" + "".join(f"<p>{p}</p>" for p in paragraphs(c, repeat))
                    for n, c in zip("一二", CASES))
    return print_pdf("基层治理案例汇编", f"<h1>基层治理案例汇编</h1>{cases}", tmp)


def print_pdf(title: str, body_html: str, tmp: Path) -> Path | None:
    """An A4 page layout (running head, page number, running foot) printed to tmp/<title>.pdf."""
    if not CHROMIUM.exists():
        return None
    html = tmp / "print.html"
    html.write_text(f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title><style>
@page {{ size: A4; margin: 25mm 20mm;
  @top-center {{ content: "某某市基层治理案例汇编（内部资料）"; font-size: 9pt; }}
  @bottom-center {{ content: "— " counter(page) " —"; font-size: 9pt; }}
  @bottom-right {{ content: "某某市民政局编印"; font-size: 9pt; }} }}
body {{ font-family: "Noto Serif CJK SC", serif; font-size: 12pt; line-height: 1.6; }}
p {{ text-indent: 2em; margin: 0; }} h1 {{ font-size: 20pt; text-align: center; }} h2 {{ font-size: 15pt; }}
</style></head><body>{body_html}</body></html>""", encoding="utf-8")
    out = tmp / f"{title}.pdf"
    subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp / 'chromium-profile'}", "--no-pdf-header-footer",
                    f"--print-to-pdf={out}", html.as_uri()], check=True, capture_output=True, timeout=120)
    return out


def cjk_font() -> Path | None:
    """A Noto CJK font file fontconfig knows of, for drawing Chinese text into images."""
    if not shutil.which("fc-list"):
        return None
    listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True).stdout
    fonts = sorted(line.split(":")[0].strip() for line in listed.splitlines() if "NotoSansCJK-Regular" in line)
    return Path(fonts[0]) if fonts else None


def text_image(lines: list[tuple[str, int]], font_path: Path, width: int = 1100):
    """A white page with each (text, size) line drawn in black: what a scanner would see."""
    from PIL import Image, ImageDraw, ImageFont
    image = Image.new("L", (width, sum(int(size * 2) for _, size in lines) + 80), 255)
    draw, y = ImageDraw.Draw(image), 40
    for text, size in lines:
        draw.text((40, y), text, fill=0, font=ImageFont.truetype(str(font_path), size, index=2))  # index 2: SC
        y += int(size * 2)
    return image


def case_lines(cases=CASES) -> list[tuple[str, int]]:
    """The cases as lines for an image: headings larger than the body."""
    lines = []
    for n, case in zip("一二", cases):
        lines.append((f"案例{n}：{case['title']}", 34))
        lines += [(p, 26) for p in (case["first"], case["last"])]
    return lines


def page_pdf(pages: list[tuple[float, float]], scanned: bool = True, missing_page: bool = False) -> bytes:
    """A PDF of the given page sizes (points); each page shows a 1-pixel image (a scan) or nothing."""
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 3: (b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 "
                                                            b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Length 1 >>"
                                                            b"\nstream\n\x80\nendstream")}
    kids = []
    for i, (width, height) in enumerate(pages):
        page, content = 4 + 2 * i, 5 + 2 * i
        kids.append(page)
        draw = f"q {width} 0 0 {height} 0 0 cm /Im0 Do Q".encode() if scanned else b""
        objects[page] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Contents {content} 0 R "
                         "/Resources << /XObject << /Im0 3 0 R >> >> >>").encode()
        objects[content] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(draw), draw)
    if missing_page:
        kids.append(9999)
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
    out, offsets = bytearray(b"%PDF-1.4\n"), {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += (b"%010d 00000 n \n" % offsets[number]) if number in offsets else b"0000000000 65535 f \n"
    out += b"trailer << /Root 1 0 R /Size %d >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)

"""Small inputs in the sources' formats, written by the tests that need them."""
from pathlib import Path

# Two cases in the book's layout (number + title, body, 点评): case 1 fills a title-only
# case of the real table of contents; case 67 is one the contents do not list.
SAMPLE_CASES = """一 “政社互动”与政府管理

1 动迁安置工作的“放手还权”

2010年，某镇启动动迁安置工作，村民对补偿方案有意见。

镇政府把方案交给村民代表会议讨论，由村委会组织协商。

点评

这是一个“放手还权”的例子。

67 一个新的案例

社区居民议事会商量停车难问题，形成停车公约。

点评：议事会让居民自己定规矩。
"""


def add_book_text(corpus: Path) -> Path:
    """Register SAMPLE_CASES in a corpus copy as a `book_cases` file of the book."""
    (corpus / "100li_cases.txt").write_text(SAMPLE_CASES, encoding="utf-8")
    with (corpus / "sources.yml").open("a", encoding="utf-8") as f:
        f.write("\n  - id: taicang100-cases\n    file: 100li_cases.txt\n    title: 太仓“政社互动”100例（正文）\n"
                "    kind: book_cases\n    part_of: taicang100\n    script: Simplified\n")
    return corpus

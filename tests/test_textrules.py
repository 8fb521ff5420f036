"""The Chinese text rules every stage shares (kbcore.textrules), table-driven."""
import pytest

from kbcore.textrules import (
    COMMENT,
    SHORT_HEADING_MAX,
    chinese_numeral,
    ends_sentence,
    heading_shape,
    is_numbered_heading,
    runs_on,
    title_shape,
    to_number,
)


@pytest.mark.parametrize("line, heading", [
    ("主要做法", True),
    ("服务在前解民忧", True),
    ("一、坚持以人民为中心的发展思想，持续推进基层治理体系和治理能力现代化建设", True),  # numbered: any length
    ("（二）强化数智赋能", True),
    ("3．建立议事会", True),
    ("第三章 社区治理", True),
    ("社区党委牵头成立议事会，居民每月议事一次。", False),       # a sentence
    ("一网格一支部，强化数智赋能", False),                          # unnumbered with a comma: shape alone cannot tell
    ("主要做法是：", False),                                         # a lead-in runs on to its list
    ("2. 和谐氛围浓厚。近年来，太仓市围绕目标", False),             # numbered paragraph, not a heading
    ("这" * (SHORT_HEADING_MAX + 1), False),
])
def test_heading_shape(line, heading):
    assert heading_shape(line) is heading


@pytest.mark.parametrize("line, title", [
    ("践行“八八战略”，打造“重要窗口”：浙江省某县以网格党建推动基层治理现代化的实践与探索", True),
    ("案例1：以党建引领，推动社区治理", True),
    ("近年来，某县坚持和发展新时代“枫桥经验”。", False),
    ("这" * 61, False),
])
def test_title_shape(line, title):
    assert title_shape(line) is title


def test_sentence_ends_and_run_on():
    assert ends_sentence("办结。") and ends_sentence("办结;") and not ends_sentence("办结”")
    assert runs_on("统筹街面秩序、环境卫生和") and not runs_on("他说：") and not runs_on("“三社联动”")
    assert is_numbered_heading("一、背景") and not is_numbered_heading("2013年以来")
    assert not is_numbered_heading("1.5亿元用于社区服务")


@pytest.mark.parametrize("numeral, number", [("12", 12), ("十", 10), ("十二", 12), ("二十", 20), ("一百零五", 105),
                                             ("两", 2), ("〇", 0)])
def test_numerals(numeral, number):
    assert to_number(numeral) == number
    if 0 < number < 100 and numeral not in ("两",) and not numeral.isdigit():
        assert chinese_numeral(number) == numeral


@pytest.mark.parametrize("line, text", [("点评", ""), ("点评：这一做法值得推广。", "这一做法值得推广。"),
                                        ("专家点评: 好", "好"), ("评析 居民自治", "居民自治"), ("点评这个做法", None)])
def test_comment_heading(line, text):
    m = COMMENT.match(line)
    assert (m.group("text") if m else None) == text


@pytest.mark.parametrize("line", ["2022-06-13", "2022年6月13日", "2016-12-14 10:30", "2015.03"])
def test_a_dateline_is_neither_a_heading_nor_a_title(line):
    assert not heading_shape(line) and not title_shape(line)
    assert heading_shape("一网格一支部") and title_shape("2022年的社区减负")

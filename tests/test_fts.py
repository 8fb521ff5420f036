"""The keyword index's column: ingest gives each passage it reads its cut (ingest.group.cut_passages, made
from the cut it takes for the classifier anyway), and it must be the cut the index stage would have made,
kbcore.words.segmented of kbcore.units.passage_text."""
import sqlite3
from contextlib import closing

import pytest

from ingest.group import cut_passages
from kbcore import words
from kbcore.units import passage_text


def test_every_passage_of_a_build_holds_the_cut_of_its_section_and_text(built_db):
    with closing(sqlite3.connect(built_db)) as conn:
        rows = conn.execute("select section, text, text_seg from passages").fetchall()
        hits = conn.execute("select count(*) from passages_fts where passages_fts match '社区'").fetchone()[0]
    assert rows and hits
    assert [seg for _, _, seg in rows] == [words.segmented(passage_text(section, text)) for section, text, _ in rows]


@pytest.mark.parametrize("section, text", [
    ("一、社區減負", "太倉市推進政社互動。"),           # Traditional on both sides of the join
    ("第二节 Smart城市", "AI赋能社区治理"),             # letters meeting letters across the space
    ("三、(一)居民议事", "  议事会每月召开一次"),       # spaces at the join
    ("", "没有小标题的段落"),
    (None, "社区减负增效"),
    ("標題１２３", "４５６号文件：２０２２年"),          # full-width digits on both sides
])
def test_a_passage_cut_by_ingest_equals_the_index_stages_cut(section, text):
    passage = {"section": section, "text": text}
    cuts = list(cut_passages([passage]))
    assert cuts == [words.cut_for_index(text)]
    assert passage["text_seg"] == words.segmented(passage_text(section, text))

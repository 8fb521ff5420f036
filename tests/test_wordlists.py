"""kbcore/data's word lists are read and checked by kbcore.wordlists: a `#` line is a comment, not a word,
and a malformed line names file:line."""
import re

import pytest

from kbcore import words
from kbcore.wordlists import Term, WordListError, read_terms, read_words


def test_comments_and_blank_lines_are_not_words(tmp_path):
    path = tmp_path / "terms.txt"
    path.write_text("# governance terms\n\n政社互动 20000 nz\n  # indented comment\n太仓市 ns\n社工\n",
                    encoding="utf-8")
    assert read_terms(path) == [Term("政社互动", 20000, "nz"), Term("太仓市", None, "ns"), Term("社工", None, None)]
    path.write_text("# function words\n的\n\n怎么办\n", encoding="utf-8")
    assert read_words(path) == ["的", "怎么办"]


@pytest.mark.parametrize("reader, text, line", [
    (read_terms, "政社互动 20000 nz\n三社联动 many nz\n", 2),
    (read_terms, "政社互动 20000 nz extra\n", 1),
    (read_terms, "# ok\n政社互动  20000\n", 2),
    (read_words, "的\n怎么 办\n", 2),
])
def test_a_malformed_line_names_its_file_and_line(tmp_path, reader, text, line):
    path = tmp_path / "list.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WordListError, match="^" + re.escape(f"{path}:{line}: ")):
        reader(path)


def test_the_bundled_lists_are_well_formed():
    terms = read_terms(words.TERMS_FILE)
    assert terms and all(t.freq and t.tag for t in terms)
    assert "的" in read_words(words.STOPWORDS_FILE)

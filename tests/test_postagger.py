"""ingest/postagger.py: jieba's POS tagging with the faster decoder gives jieba's own (word, tag) pairs,
on the bundled corpus and on generated text (rare characters, digits, Latin, punctuation, long runs)."""
import random
import sqlite3
from contextlib import closing

import jieba.posseg
import pytest

from ingest import postagger
from kbcore import words


@pytest.fixture
def jieba_then_fast():
    """tag(text, fast) -> jieba.posseg's pairs with jieba's decoder (fast=False) or postagger's."""
    words.init()
    installed = jieba.posseg.viterbi

    def tag(text: str, fast: bool):
        jieba.posseg.viterbi = postagger.viterbi if fast else postagger.jieba_viterbi.viterbi
        return [tuple(pair) for pair in jieba.posseg.cut(text)]
    yield tag
    jieba.posseg.viterbi = installed


def test_the_bundled_corpus_is_tagged_as_jieba_tags_it(built_db, jieba_then_fast):
    with closing(sqlite3.connect(built_db)) as conn:
        texts = [t for (t,) in conn.execute("select text from passages union all select title from cases")]
    postagger._decode.cache_clear()
    expected = [jieba_then_fast(t, False) for t in texts]
    for _ in range(2):  # decoded, then from the kept runs
        assert [jieba_then_fast(t, True) for t in texts] == expected
    assert postagger._decode.cache_info().hits > 0


def test_generated_text_is_tagged_as_jieba_tags_it(built_db, jieba_then_fast):
    with closing(sqlite3.connect(built_db)) as conn:
        common = "".join(t for (t,) in conn.execute("select text from passages"))
    rng = random.Random(23)
    rare = [chr(c) for c in range(0x4E00, 0x9FA5)]
    other = list("0123456789abcXYZ，。！？、（）《》 ·-%")
    texts = ["".join(rng.choice(common) if r < 0.55 else rng.choice(rare) if r < 0.9 else rng.choice(other)
                     for r in (rng.random() for _ in range(rng.randint(1, 100)))) for _ in range(40)]
    texts += ["".join(rng.choice(rare) for _ in range(40))]  # one long run of characters jieba does not know
    postagger._decode.cache_clear()
    assert [jieba_then_fast(t, True) for t in texts] == [jieba_then_fast(t, False) for t in texts]


def test_another_model_is_decoded_by_jieba_itself():
    states = {"a": [("B", "x")]}
    start, trans = {("B", "x"): -1.0}, {("B", "x"): {}}
    emit = {("B", "x"): {"a": -2.0}}
    assert postagger.viterbi("a", states, start, trans, emit) == postagger.jieba_viterbi.viterbi(
        "a", states, start, trans, emit)

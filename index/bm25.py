"""FTS5's bm25 ranking of the passages for a keyword query, without scoring every passage that
holds a word found everywhere.

The keyword side is one FTS5 MATCH of the query's terms joined by OR, ranked by bm25, and FTS5 scores
every row that matches: a query with 社区 (in three passages of four) scores most of the corpus. But
FTS5 clamps the IDF of a term held by half the rows or more to 1e-6 (its log((N - n + 0.5) / (n + 0.5))
is not positive), so such a "common" term adds less than 1e-6 x (k1 + 1) to any passage's score: it
only breaks ties between passages holding the other ("rare") terms, and orders the passages holding
common terms only. So when the rare terms alone give at least k passages, and the k-th of them scores
more than the common terms could ever add, the top k are among the passages FTS5 ranks on the rare
terms, and only those within that margin of the k-th can change places: they are scored here in full,
with FTS5's own formula (fts5_aux.c, fts5Bm25Function) in its own order of operations, from the FTS
index's own counts (rows, tokens, each passage's length) and the passage's indexed text, so the scores
are FTS5's floats and the order is the plain query's (ties by rowid). Before anything is used, the
rare terms' part recomputed here must equal FTS5's score of each passage to the last bit; if it does
not, or the query has no rare or no common term, or the margin does not hold, the plain query runs.
"""
import math
import re
import sqlite3
from typing import Callable, NamedTuple

from kbcore.words import match_expression

K1, B = 1.2, 0.75       # FTS5's bm25 constants
CLAMPED_IDF = 1e-6      # FTS5's IDF of a term in half the rows or more
MAX_CANDIDATES = 4000   # passages within the margin of the k-th before the plain query is cheaper
# An unicode61 token (FTS5's default tokenizer): a run of letters, digits or private-use characters.
_TOKEN = re.compile(r"(?:[^\W_]|[\ue000-\uf8ff])+")
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]+")  # terms the recount below handles: one unicode61 token each


class Averages(NamedTuple):
    """What bm25 reads of the whole FTS index: its rows and their total length in tokens."""
    rows: int
    tokens: int

    @property
    def avgdl(self) -> float:
        return float(self.tokens) / float(self.rows)


def averages(conn, table: str) -> Averages | None:
    """The FTS5 table's averages record (rowid 1 of its %_data table: rows, then tokens per column)."""
    try:
        row = conn.execute(f"select block from {table}_data where id = 1").fetchone()
    except sqlite3.Error:  # no such FTS5 table: the plain query always
        return None
    values = varints(row[0]) if row and row[0] else []
    return Averages(values[0], sum(values[1:])) if len(values) >= 2 and values[0] > 0 else None


def varints(blob: bytes) -> list[int]:
    """SQLite's variable-length integers, one after another (FTS5 stores sizes and counts so)."""
    out, i = [], 0
    while i < len(blob):
        value = 0
        for n in range(9):
            byte = blob[i]
            i += 1
            if n == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(value)
    return out


def idf(rows: int, hits: int) -> float:
    """FTS5's IDF of a phrase matching `hits` of `rows` rows."""
    value = math.log((rows - hits + 0.5) / (hits + 0.5))
    return CLAMPED_IDF if value <= 0.0 else value


def score(weights: list[float], freqs: list[int], length: int, avgdl: float) -> float:
    """FTS5's bm25() of one row, as it computes it: phrases in query order, negated."""
    total = 0.0
    for w, f in zip(weights, freqs):
        f = float(f)
        total += w * ((f * (K1 + 1.0)) / (f + K1 * (1 - B + B * float(length) / avgdl)))
    return -1.0 * total


def top(conn, terms: list[str], k: int, count: Callable[[str], int], stats: Averages | None,
        table: str = "passages_fts", content: str = "passages", column: str = "text_seg"
        ) -> list[tuple[int, float]] | None:
    """(rowid, bm25) of the k best rows for the OR of the terms, best first, ties by rowid — or None
    when the plain query must run (see the module's docstring). `count(term)` is how many rows hold it."""
    if stats is None or k <= 0 or len(terms) < 2 or not all(_HAN_WORD.fullmatch(t) for t in terms):
        return None
    weights = {t: idf(stats.rows, count(t)) for t in terms}
    rare = [t for t in terms if weights[t] != CLAMPED_IDF]
    common = len(terms) - len(rare)
    if not rare or not common:
        return None
    reach = common * CLAMPED_IDF * (K1 + 1.0)  # more than the common terms can add to any row
    limit = 2 * k
    while True:
        rows = conn.execute(f"select rowid, bm25({table}) as rank from {table} where {table} match ? "
                            f"order by rank, rowid limit ?", [match_expression(rare), limit]).fetchall()
        if len(rows) < k:
            return None  # rows of common terms only would be ranked too
        kth = -rows[k - 1][1]
        slack = 1e-9 * max(1.0, kth)  # float rounding, many orders of magnitude above it
        if kth - slack <= reach:
            return None
        if len(rows) < limit or -rows[-1][1] <= kth - reach - slack:
            break
        if limit >= MAX_CANDIDATES:
            return None
        limit *= 4
    near = [(rowid, rank) for rowid, rank in rows if -rank > kth - reach - slack]
    texts = {rowid: (text or "", varints(size or b"")) for rowid, text, size in conn.execute(
        f"select c.rowid, c.{column}, d.sz from {content} c join {table}_docsize d on d.id = c.rowid "
        f"where c.rowid in ({','.join('?' * len(near))})", [rowid for rowid, _ in near])}
    rare_weights = [weights[t] for t in rare]
    all_weights = [weights[t] for t in terms]
    scored = []
    for rowid, rank in near:
        if rowid not in texts:
            return None
        text, sizes = texts[rowid]
        tokens = _TOKEN.findall(text.lower())
        freq = {t: 0 for t in terms}
        for token in tokens:
            if token in freq:
                freq[token] += 1
        length = sum(sizes)
        if score(rare_weights, [freq[t] for t in rare], length, stats.avgdl) != rank:
            return None  # not FTS5's view of this row: trust FTS5
        scored.append((score(all_weights, [freq[t] for t in terms], length, stats.avgdl), rowid))
    scored.sort()
    return [(rowid, rank) for rank, rowid in scored[:k]]

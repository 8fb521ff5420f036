"""Remove web and layout residue, repair what the layout broke, normalise width.

The residue and the repairs are rules about particular sources, so they live beside them
in the corpus folder (residue.yml, repairs.yml); a corpus without such a file has none.
Every rule counts what it removed, so the build summary can show it per source.
The result keeps one paragraph (or heading, or table-of-contents entry) per line.

Control characters (NUL, U+0001, ESC, DEL, form feed ...; not newline or tab) are removed before
any rule runs and counted as `control_characters`. They are removed rather than refused: they
come from conversions and scrapes, carry no text, are invisible in an editor, and a NUL cuts
the text short wherever SQLite or a C library reads it (`length()`, FTS, the site), so a
passage silently lost its end. Refusing would stop a build over a byte the operator can
neither see nor needs; removing keeps every passage whole, and the count in the build
summary (and sources.residue_removed) says it happened.
"""
import re
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from kbcore.rules import Mapping, get, read_rules
from kbcore.schema import LOST_CHARACTER
from kbcore.text import normalise_width
from kbcore.textrules import heading_shape, runs_on

from . import IngestError
from .segment.documents import same_kind, unmarked
from .segment.multicase import CASE_HEADING

RESIDUE_FILE = "residue.yml"
REPAIRS_FILE = "repairs.yml"
RUN_ON_MIN = 30  # a line this long that stops mid-sentence may run on into the next (a page break)


class Residue(NamedTuple):
    """Whole lines that are never content, and lines that start a trailer: {rule: [pattern]}."""
    drop_lines: dict[str, list[re.Pattern]]
    truncate_at: dict[str, list[re.Pattern]]


class Move(NamedTuple):
    """A repair: the lines from the one starting with `start` to the one ending with `end`
    join the end of the line ending with `after`; `where` is its place in repairs.yml."""
    start: str
    end: str
    after: str
    where: str


def load_residue(path: Path) -> Residue:
    """The residue rules of residue.yml (none if there is no such file), patterns compiled."""
    rules = read_rules(path, required=False)
    for section in rules:
        if section not in Residue._fields:
            raise IngestError(f"{rules.where(section)}: unknown section {section!r} "
                              f"(expected {' or '.join(Residue._fields)})")
    return Residue(*(_patterns(get(rules, section, "mapping", default={}), section)
                     for section in Residue._fields))


def _patterns(group: Mapping, section: str) -> dict[str, list[re.Pattern]]:
    compiled = {}
    for rule in group:
        patterns = get(group, rule, "texts", section)
        compiled[rule] = []
        for i, pattern in enumerate(map(str, patterns)):
            try:
                compiled[rule].append(re.compile(pattern))
            except re.error as e:
                raise IngestError(f"{patterns.where(i)}: {section}: {rule}: bad regular expression "
                                  f"{pattern!r}: {e}") from None
    return compiled


def load_repairs(path: Path) -> dict[str, list[Move]]:
    """The layout repairs of repairs.yml by corpus file name (none if there is no such file)."""
    rules, repairs = read_rules(path, required=False), {}
    for name in rules:
        items = get(rules, name, "list")
        repairs[name] = []
        for i, item in enumerate(items):
            move = item.get("move") if isinstance(item, Mapping) else None
            if not isinstance(move, Mapping):
                raise IngestError(f"{items.where(i)}: {name}: each repair needs a `move:` "
                                  "with from, to and after")
            anchors = [str(get(move, key, "text", f"{name}: move")) for key in ("from", "to", "after")]
            repairs[name].append(Move(*anchors, where=items.where(i)))
    return repairs


def clean(text: str, name: str, residue: Residue = Residue({}, {}),
          repairs=(), rejoin: bool = True) -> tuple[list[tuple[int, str]], Counter]:
    """Cleaned paragraphs as (source line number, text) pairs, and removals per rule.

    Line numbers survive cleaning so that later errors can point into the file. `rejoin=False`
    for a text whose paragraphs a format reader has already rebuilt (see `rejoins`): its headings
    carry their level as `casekb add` wrote it (`## text`), and come out as segment.documents.Heading.
    """
    removed = Counter()
    text = _drop_control_characters(text, removed)
    numbered = [(n, line.strip()) for n, line in enumerate(text.split("\n"), 1)]
    if not rejoin:
        numbered = [(n, unmarked(line)) for n, line in numbered]
    numbered = _truncate_trailers(numbered, residue.truncate_at, removed)
    numbered = _drop_residue_lines(numbered, residue.drop_lines, removed)
    numbered = [(n, same_kind(line, _repair_mojibake(line, removed))) for n, line in numbered]
    for move in repairs:
        numbered = _apply_move(numbered, move, name, removed)
    if rejoin:
        numbered = _join_broken_paragraphs(numbered, removed)
    return [(n, same_kind(line, normalise_width(line))) for n, line in numbered], removed


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # Unicode category Cc, less newline and tab


def _drop_control_characters(text: str, removed: Counter) -> str:
    """The text without C0/C1 control characters other than newline and tab (lines keep their numbers)."""
    text, count = _CONTROL.subn("", text)
    if count:
        removed["control_characters"] += count
    return text


def _truncate_trailers(lines, rules, removed):
    for i, (_, line) in enumerate(lines):
        for rule, patterns in rules.items():
            if any(p.fullmatch(line) for p in patterns):
                removed[rule] += sum(1 for _, x in lines[i:] if x)
                return lines[:i]
    return lines


def _drop_residue_lines(lines, rules, removed):
    kept = []
    for n, line in lines:
        rule = next((r for r, pats in rules.items() if any(p.fullmatch(line) for p in pats)), None)
        if rule:
            removed[rule] += 1
        elif line:
            kept.append((n, line))
    return kept


_GARBLED = re.compile(r"\?!([^?\n]*)(\??)")


def _repair_mojibake(line: str, removed: Counter) -> str:
    """Undo GBK text that was decoded one byte out of step (scraped-page damage).

    Such a run starts with "?!" where bytes were lost; decoding its bytes one byte
    later restores the text. Lost characters become □ instead of being guessed.
    """
    def fix(match):
        removed["garbled_text_repaired"] += 1
        data = b"".join(_gbk_bytes(c) for c in match.group(1))
        fixed = data[1:].decode("gbk", errors="replace").replace("\ufffd", LOST_CHARACTER)
        if match.group(2) and not fixed.endswith(LOST_CHARACTER):
            fixed += LOST_CHARACTER  # the closing "?" is the lost half of the run's last character
        return LOST_CHARACTER + fixed
    return _GARBLED.sub(fix, line)


def _gbk_bytes(char: str) -> bytes:
    try:
        return char.encode("gbk")
    except UnicodeEncodeError:
        data = char.encode("gb18030")  # GBK's user-defined area decodes to private-use characters
        return data if len(data) == 2 else b"\xff"  # else lost: an undecodable placeholder


def _apply_move(lines, move: Move, name: str, removed: Counter):
    first = _find_one(lines, lambda l: l.startswith(move.start), f"from: {move.start}", move, name)
    last = _find_one(lines, lambda l: l.endswith(move.end), f"to: {move.end}", move, name)
    target = _find_one(lines, lambda l: l.endswith(move.after), f"after: {move.after}", move, name)
    target_line = lines[target]
    if not first <= last < target and not target < first <= last:
        raise IngestError(f"{move.where}: move anchors are out of order in {name}")
    block = lines[first:last + 1]
    rest = lines[:first] + lines[last + 1:]
    target = rest.index(target_line)
    rest[target] = (target_line[0], target_line[1] + block[0][1])
    removed["layout_block_moved"] += 1
    return rest[:target + 1] + block[1:] + rest[target + 1:]


def _find_one(lines, test, anchor, move, name):
    hits = [i for i, (_, line) in enumerate(lines) if test(line)]
    if len(hits) != 1:
        raise IngestError(f"{move.where}: `{anchor}` matches {len(hits)} lines of {name}, expected exactly 1")
    return hits[0]


def rejoins(entry: dict) -> bool:
    """Are broken paragraphs of this source rejoined? Not when `casekb add` wrote the text (its
    manifest entry has a `format`): a reader has already made one line of each paragraph and
    heading, so a headline or a short line with a comma is what it is, not prose that runs on."""
    return not entry.get("format")


def _join_broken_paragraphs(lines, removed):
    """Rejoin prose that a page break split, and drop the fragment a page break duplicated.

    A long line, or one holding a comma, that ends without sentence-final punctuation continues
    on the next line, unless either has the shape of a heading: the first line (the title), a
    numbered heading (一、 （一） 1．) or a line that reads as a heading does not run on, and
    nothing runs on into a heading. When the next line starts with a short fragment plus comma
    that repeats the end of the previous paragraph ("...操作办法。" / "法,为各地学习..."), the
    fragment is a duplicate.
    """
    out = []
    for n, line in lines:
        prev_n, prev = out[-1] if out else (0, "")
        dup = re.match(r"^(.{1,3})[,，]", line)
        if dup and len(prev) >= 30 and prev.endswith("。") and prev[:-1].endswith(dup.group(1)):
            out[-1] = (prev_n, prev[:-1] + "，" + line[dup.end():])
            removed["page_break_fragment"] += 1
        elif len(out) > 1 and _is_prose(prev) and runs_on(prev) and not _is_heading(line):
            out[-1] = (prev_n, prev + line)
            removed["layout_break_joined"] += 1
        else:
            out.append((n, line))
    return out


def _is_prose(line: str) -> bool:
    """A line that may run on into the next one; a case heading (案例1：以党建引领，推动…) never does,
    whatever its length or commas."""
    return ((len(line) >= RUN_ON_MIN or bool(re.search(r"[，,]", line)))
            and not CASE_HEADING.match(line) and not heading_shape(line))


def _is_heading(line: str) -> bool:
    return heading_shape(line)

"""Remove web and layout residue, repair what the layout broke, normalise width.

Every rule counts what it removed, so the build summary can show it per source.
The result keeps one paragraph (or heading, or table-of-contents entry) per line.
"""
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import yaml

from kbcore.text import normalise_width

from . import IngestError

RESIDUE_RULES = Path(__file__).with_name("residue.yml")
TERMINAL = tuple("。！？!?；;：:”」』）)…—")
MISSING = "□"  # the customary mark for a character that cannot be read


@lru_cache(maxsize=4)
def load_residue_rules(path: Path = RESIDUE_RULES) -> dict:
    rules = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    compile_all = lambda group: {name: [re.compile(p) for p in pats] for name, pats in group.items()}
    return {"drop_lines": compile_all(rules["drop_lines"]), "truncate_at": compile_all(rules["truncate_at"])}


def load_repairs(corpus_dir: Path) -> dict:
    path = Path(corpus_dir) / "repairs.yml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}


def clean(text: str, name: str, repairs: list | None = None) -> tuple[list[tuple[int, str]], Counter]:
    """Cleaned paragraphs as (source line number, text) pairs, and removals per rule.

    Line numbers survive cleaning so that later errors can point into the file.
    """
    removed = Counter()
    numbered = [(n, line.strip()) for n, line in enumerate(text.split("\n"), 1)]
    numbered = _truncate_trailers(numbered, removed)
    numbered = _drop_residue_lines(numbered, removed)
    numbered = [(n, _repair_mojibake(line, removed)) for n, line in numbered]
    for repair in repairs or []:
        numbered = _apply_move(numbered, repair, name, removed)
    numbered = _join_broken_paragraphs(numbered, removed)
    return [(n, normalise_width(line)) for n, line in numbered], removed


def _truncate_trailers(lines, removed):
    rules = load_residue_rules()["truncate_at"]
    for i, (_, line) in enumerate(lines):
        for rule, patterns in rules.items():
            if any(p.fullmatch(line) for p in patterns):
                removed[rule] += sum(1 for _, x in lines[i:] if x)
                return lines[:i]
    return lines


def _drop_residue_lines(lines, removed):
    rules = load_residue_rules()["drop_lines"]
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
        fixed = data[1:].decode("gbk", errors="replace").replace("\ufffd", MISSING)
        if match.group(2) and not fixed.endswith(MISSING):
            fixed += MISSING  # the closing "?" is the lost half of the run's last character
        return MISSING + fixed
    return _GARBLED.sub(fix, line)


def _gbk_bytes(char: str) -> bytes:
    try:
        return char.encode("gbk")
    except UnicodeEncodeError:
        data = char.encode("gb18030")  # GBK's user-defined area decodes to private-use characters
        return data if len(data) == 2 else b"\xff"  # else lost: an undecodable placeholder


def _apply_move(lines, repair, name, removed):
    move = repair.get("move") or {}
    try:
        first = _find_one(lines, lambda l: l.startswith(move["from"]), "from", move["from"], name)
        last = _find_one(lines, lambda l: l.endswith(move["to"]), "to", move["to"], name)
        target = _find_one(lines, lambda l: l.endswith(move["after"]), "after", move["after"], name)
        target_line = lines[target]
    except KeyError as e:
        raise IngestError(f"corpus/repairs.yml ({name}): a move needs from, to and after; {e} missing") from None
    if not first <= last < target and not target < first <= last:
        raise IngestError(f"corpus/repairs.yml ({name}): move anchors are out of order")
    block = lines[first:last + 1]
    rest = lines[:first] + lines[last + 1:]
    target = rest.index(target_line)
    rest[target] = (target_line[0], target_line[1] + block[0][1])
    removed["layout_block_moved"] += 1
    return rest[:target + 1] + block[1:] + rest[target + 1:]


def _find_one(lines, test, field, anchor, name):
    hits = [i for i, (_, line) in enumerate(lines) if test(line)]
    if len(hits) != 1:
        raise IngestError(f"corpus/repairs.yml ({name}): `{field}: {anchor}` matches "
                          f"{len(hits)} lines, expected exactly 1")
    return hits[0]


def _join_broken_paragraphs(lines, removed):
    """Rejoin prose that a page break split, and drop the fragment a page break duplicated.

    A long line that ends without sentence-final punctuation continues on the next line.
    When the next line starts with a short fragment plus comma that repeats the end of the
    previous paragraph ("...操作办法。" / "法,为各地学习..."), the fragment is a duplicate.
    """
    out = []
    for n, line in lines:
        prev_n, prev = out[-1] if out else (0, "")
        dup = re.match(r"^(.{1,3})[,，]", line)
        if dup and len(prev) >= 30 and prev.endswith("。") and prev[:-1].endswith(dup.group(1)):
            out[-1] = (prev_n, prev[:-1] + "，" + line[dup.end():])
            removed["page_break_fragment"] += 1
        elif _is_prose(prev) and not prev.endswith(TERMINAL) and not _is_heading(line):
            out[-1] = (prev_n, prev + line)
            removed["layout_break_joined"] += 1
        else:
            out.append((n, line))
    return out


def _is_prose(line: str) -> bool:
    return len(line) >= 30 or bool(re.search(r"[，,]", line))


def _is_heading(line: str) -> bool:
    return len(line) <= 25 and not line.endswith(TERMINAL[:2])

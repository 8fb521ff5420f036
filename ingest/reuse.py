"""What a rebuild takes from the previous database instead of working it out again.

A source group (a source and the parts that join it, as a book and its book_cases) is reused
whole, its rows of sources, cases, passages and case_tokens copied, when each member's build
key is the one the previous build recorded. The key covers the file's bytes, its manifest
entry and layout repairs, the residue rules and the code and dictionary that read it
(CODE_FILES: any change there reads every source anew). Tags that follow one rule file
(STAGE_RULES) are copied while that file is unchanged and worked out again when it changed.
The corpus-wide tags (domains, keywords, places) are always worked out, from stored tokens.
"""
import hashlib
import importlib.metadata
import json
import sqlite3
from pathlib import Path
from typing import NamedTuple

from kbcore import words
from kbcore.schema import TABLES

from .clean import RESIDUE_FILE
from .rulefiles import rule_file

ROOT = Path(__file__).resolve().parents[1]
# Tag tables that follow one rule file each: {fingerprint name: (rule file name, tables it fills)};
# the file is the corpus' own or the package's (ingest.rulefiles.rule_file).
STAGE_RULES = {"mechanisms": ("mechanisms.yml", ("case_mechanisms",)),
               "figures": ("figures.yml", ("case_figures",))}
# The rule files the corpus-wide passes read: they run on every build anyway.
PASS_RULES = ("domains.yml", "domain_terms.yml")
RULE_FILES = frozenset({name for name, _ in STAGE_RULES.values()} | set(PASS_RULES))  # not code
GROUP_TABLES = ("sources", "cases", "passages", "case_tokens")
LIBRARIES = ("jieba", "opencc-python-reimplemented", "opencc")


def code_files() -> list[Path]:
    """What reads a source into rows: the ingest and kbcore code, their data and rule files (but the
    per-stage and per-pass rule files, whose changes redo only their own tags)."""
    return sorted(p for folder in ("ingest", "kbcore") for p in (ROOT / folder).rglob("*")
                  if p.is_file() and p.suffix in (".py", ".yml", ".txt", ".json") and "__pycache__" not in p.parts
                  and not (p.parent == ROOT / "ingest" and p.name in RULE_FILES))


def fingerprints(corpus_dir: Path) -> dict[str, str]:
    """The digests a previous build is compared with: the code, the corpus' residue rules, each stage's rules."""
    residue = Path(corpus_dir) / RESIDUE_FILE
    return {"code": _digest(code_files(), _library_versions()),
            "residue": _file_digest(residue) if residue.exists() else "none",
            "segmenter": words.fingerprint(),
            **{name: _file_digest(rule_file(file)) for name, (file, _) in STAGE_RULES.items()}}


def source_key(entry: dict, repairs, prints: dict[str, str]) -> str:
    """The build key of one source: its bytes, its manifest entry (not where in the manifest it
    stands), its repairs, and the code and residue rules that read it."""
    fields = {k: v for k, v in entry.items() if k not in ("path", "line")}
    described = json.dumps({"entry": fields, "repairs": [tuple(m)[:3] for m in repairs],
                            "code": prints["code"], "residue": prints["residue"]},
                           sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(described.encode("utf-8") + _file_digest(entry["path"]).encode()).hexdigest()


class Previous(NamedTuple):
    """The previous build, attached to the new database as `prev`."""
    keys: dict[str, tuple[str | None, str | None]]  # source id -> (build key, part_of)
    changed_rules: tuple[str, ...]                    # STAGE_RULES whose file changed since


def attach_previous(conn: sqlite3.Connection, path: Path | None,
                    prints: dict[str, str]) -> tuple[Previous | None, str | None]:
    """Attach the previous database as `prev` and say what of it can be reused: (Previous, None),
    or (None, why nothing can be) when there is none or it predates incremental builds or other code."""
    if path is None:
        return None, None
    conn.execute("attach database ? as prev", [str(path)])
    try:
        row = conn.execute("select fingerprints from prev.build_info where id = 1").fetchone()
        keys = {sid: (key, part) for sid, key, part in conn.execute("select id, build_key, part_of from prev.sources")}
        conn.execute("select case_id from prev.case_tokens limit 1").fetchall()
    except sqlite3.OperationalError:
        return None, "the previous database predates incremental builds: every source read anew"
    before = json.loads(row[0]) if row and row[0] else {}
    if before.get("code") != prints["code"]:
        return None, "casekb's code or dictionary changed since the previous build: every source read anew"
    return Previous(keys, tuple(n for n in STAGE_RULES if before.get(n) != prints[n])), None


def detach_previous(conn: sqlite3.Connection) -> None:
    if "prev" in {name for _, name, _ in conn.execute("pragma database_list")}:
        conn.commit()  # the copies' transaction holds it
        conn.execute("detach database prev")


def reusable(previous: Previous | None, group: list[dict], keys: dict[str, str]) -> bool:
    """Whether the previous build holds this group's rows: each member with the same key, and no
    other source joined to it then."""
    if previous is None:
        return False
    members = {e["id"] for e in group}
    was = {sid for sid, (_, part) in previous.keys.items() if part == group[0]["id"]} | {group[0]["id"]}
    return was == members and all(previous.keys.get(sid, (None,))[0] == keys[sid] for sid in members)


def copy_group(conn: sqlite3.Connection, source_ids: list[str], tables: list[str]) -> None:
    """Copy the group's rows of `tables` from prev, in the order the previous build wrote them."""
    marks = ",".join("?" * len(source_ids))
    cases = f"select id from prev.cases where source_id in ({marks})"
    where = {"sources": f"id in ({marks})", "cases": f"source_id in ({marks})"}
    for table in tables:
        columns = ", ".join(f"[{c}]" for c in TABLES[table][0])
        condition = where.get(table, f"case_id in ({cases})")
        conn.execute(f"insert into main.[{table}] ({columns}) select {columns} from prev.[{table}] "
                     f"where {condition} order by rowid", source_ids)


def _library_versions() -> str:
    versions = []
    for name in LIBRARIES:
        try:
            versions.append(f"{name}={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return ";".join(versions)


def _digest(paths: list[Path], extra: str) -> str:
    h = hashlib.sha256(extra.encode())
    for path in paths:
        h.update(f"{path.relative_to(ROOT)}:{_file_digest(path)};".encode())
    return h.hexdigest()


def _file_digest(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()

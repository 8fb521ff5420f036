"""Read and validate corpus/sources.yml, keeping line numbers for error messages.

A `file:` must name a regular file inside the corpus folder once every symlink is resolved:
the build publishes what it reads, so `../../etc/passwd`, an absolute path or a symlink out of
the folder would publish a file of the machine. A `date:` must be YYYY, YYYY-MM or YYYY-MM-DD
(a real date); it is cited, so `date: yesterday` is refused rather than printed.
FIELDS is the schema of an entry: a field it does not name (`pubisher:`) is refused with the
nearest known one, rather than dropped without a word.
"""
import datetime
import hashlib
import re
from pathlib import Path

from kbcore.rules import CHECKS, Mapping, check_keys, get, mappings, read_rules, unique

from . import IngestError
from .clean import REPAIRS_FILE, RESIDUE_FILE
from .rulefiles import RULES_DIR, corpus_rule_files
from .segment import SOURCE_KINDS

SCRIPTS = {"Simplified", "Traditional"}
REQUIRED = ("id", "file", "title", "kind", "script")
MANIFEST = "sources.yml"
# The fields of an entry and what each must hold: one of kbcore.rules.CHECKS, or "date" and
# "case_regions", which _date() and _case_regions() check. The corpus/sources.yml header explains them.
FIELDS = {
    "id": "text", "file": "text", "title": "text", "kind": "text", "script": "text",
    "part_of": "text", "editor": "text", "publisher": "text", "place": "text", "date": "date",
    "isbn": "text", "url": "text", "region": "text", "province": "text", "expected_cases": "number",
    "case_regions": "case_regions", "note": "text",
    "original": "text", "format": "text", "ocr_confidence": "number", "ocr_pages": "list",  # by `casekb add`
    "case_titles": "list",  # by `casekb add`: the headings that start cases when only a heading level marks them
}


def load_manifest(corpus_dir: Path) -> list[dict]:
    """Source entries as plain dicts, each with `path` and `line`; raises IngestError."""
    path = Path(corpus_dir) / MANIFEST
    if not path.exists():
        raise IngestError(f"{path}: manifest not found (every corpus needs a sources.yml)")
    sources = mappings(read_rules(path), "sources", "one per corpus file")
    entries = []
    for i, raw in enumerate(sources):
        where = sources.where(i)
        missing = [k for k in REQUIRED if not raw.get(k)]
        if missing:
            raise IngestError(f"{where}: source is missing {', '.join(missing)}")
        _check_fields(raw)
        kind = SOURCE_KINDS.get(str(raw["kind"]))
        if kind is None:
            raise IngestError(
                f"{where}: unknown kind {raw['kind']!r} (expected one of {', '.join(sorted(SOURCE_KINDS))})")
        missing = [k for k in kind.needs + (("part_of",) if kind.part_of else ()) if not raw.get(k)]
        if missing:
            raise IngestError(f"{where}: kind {kind.name} needs {', '.join(missing)}")
        if raw["script"] not in SCRIPTS:
            raise IngestError(f"{where}: unknown script {raw['script']!r} (Simplified or Traditional)")
        entries.append({**raw, "date": _date(raw), "case_regions": _case_regions(raw),
                        "path": _corpus_file(corpus_dir, raw), "line": sources.lines[i]})
    unique(sources, "id", "source id")
    for e in entries:
        parent = SOURCE_KINDS[e["kind"]].part_of
        if parent and e["part_of"] not in {x["id"] for x in entries if x["kind"] == parent}:
            raise IngestError(f"{path}:{e['line']}: part_of {e['part_of']!r} is not a {parent} in this manifest")
    return entries


def _check_fields(raw: Mapping) -> None:
    """Every field is one FIELDS names, holding what it must; a misspelt one names the nearest."""
    check_keys(raw, FIELDS, "field")
    for key in raw:
        if FIELDS[key] in CHECKS and raw[key] != "":  # an empty field is an absent one
            get(raw, key, FIELDS[key], "source", default=None)


def _corpus_file(corpus_dir: Path, raw: Mapping) -> Path:
    """The path of the entry's `file`, which must resolve to a regular file inside corpus_dir."""
    name, where = str(raw["file"]), raw.where("file")
    path = Path(corpus_dir) / name
    if Path(name).is_absolute():
        raise IngestError(f"{where}: file {name!r} is outside the corpus folder {corpus_dir} "
                          "(give a path relative to it)")
    try:
        real, root = path.resolve(strict=True), Path(corpus_dir).resolve(strict=True)
    except FileNotFoundError:
        raise IngestError(f"{where}: file {name!r} not found in {corpus_dir}") from None
    except (OSError, RuntimeError) as e:  # a symlink loop, a name too long
        raise IngestError(f"{where}: file {name!r} cannot be opened: {e}") from None
    if not real.is_relative_to(root):
        raise IngestError(f"{where}: file {name!r} is outside the corpus folder {corpus_dir} "
                          f"(it resolves to {real}); copy the file into the folder instead")
    if not real.is_file():
        raise IngestError(f"{where}: file {name!r} is not a regular file")
    return path


DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
DATE_FORMATS = {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}


def _date(raw: Mapping) -> str:
    """The `date` as written ("" if there is none). YAML reads 2016-12-14 as a date and 2011 as a
    number; anything but YYYY, YYYY-MM or YYYY-MM-DD naming a real date is refused."""
    value = raw.get("date")
    if value is None or value == "":
        return ""
    if type(value) is datetime.date:
        return value.isoformat()
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    try:
        if DATE.fullmatch(text) and datetime.datetime.strptime(text, DATE_FORMATS[len(text)]):
            return text
    except ValueError:
        pass
    raise IngestError(f"{raw.where('date')}: date {value!r} is not a date: expected YYYY, YYYY-MM or "
                      "YYYY-MM-DD (e.g. 2015, 2015-03 or 2015-03-14)")


def corpus_checksum(corpus_dir: Path) -> str:
    """sha256 over what a build reads from the corpus folder: the manifest, the rule files beside
    it and in its rules/ folder, and every source file it names, each as its name, its length and
    its bytes (manifest order). Files the manifest does not name do not count."""
    digest = hashlib.sha256()
    files = [(name, Path(corpus_dir) / name) for name in (MANIFEST, RESIDUE_FILE, REPAIRS_FILE)
             if (Path(corpus_dir) / name).exists()]
    files += [(f"{RULES_DIR}/{name}", path) for name, path in corpus_rule_files(corpus_dir).items()]
    files += [(str(e["file"]), e["path"]) for e in load_manifest(corpus_dir)]
    for name, path in files:
        data = Path(path).read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode("utf-8"))
        digest.update(data)
    return digest.hexdigest()


def _case_regions(raw: Mapping) -> dict[int, dict]:
    """`case_regions`: the region (and province) of each numbered case, by case number."""
    regions = raw.get("case_regions") or {}
    if not isinstance(regions, dict) or not all(
            isinstance(k, int) and isinstance(v, dict) and set(v) <= {"region", "province"}
            for k, v in regions.items()):
        raise IngestError(f"{raw.where('case_regions')}: case_regions must map each case number "
                          "to its region and province ({region: ..., province: ...})")
    return {k: dict(v) for k, v in regions.items()}

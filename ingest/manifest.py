"""Read and validate corpus/sources.yml, keeping line numbers for error messages."""
from pathlib import Path

from . import IngestError
from .rules import Mapping, mappings, read_rules, unique
from .segment import SOURCE_KINDS

SCRIPTS = {"Simplified", "Traditional"}
REQUIRED = ("id", "file", "title", "kind", "script")


def load_manifest(corpus_dir: Path) -> list[dict]:
    """Source entries as plain dicts, each with `path` and `line`; raises IngestError."""
    path = Path(corpus_dir) / "sources.yml"
    if not path.exists():
        raise IngestError(f"{path}: manifest not found (every corpus needs a sources.yml)")
    sources = mappings(read_rules(path), "sources", "one per corpus file")
    entries = []
    for i, raw in enumerate(sources):
        where = sources.where(i)
        missing = [k for k in REQUIRED if not raw.get(k)]
        if missing:
            raise IngestError(f"{where}: source is missing {', '.join(missing)}")
        kind = SOURCE_KINDS.get(str(raw["kind"]))
        if kind is None:
            raise IngestError(
                f"{where}: unknown kind {raw['kind']!r} (expected one of {', '.join(sorted(SOURCE_KINDS))})")
        missing = [k for k in kind.needs + (("part_of",) if kind.part_of else ()) if not raw.get(k)]
        if missing:
            raise IngestError(f"{where}: kind {kind.name} needs {', '.join(missing)}")
        if raw["script"] not in SCRIPTS:
            raise IngestError(f"{where}: unknown script {raw['script']!r} (Simplified or Traditional)")
        file_path = Path(corpus_dir) / raw["file"]
        if not file_path.exists():
            raise IngestError(f"{where}: file {raw['file']!r} not found in {corpus_dir}")
        entries.append({**raw, "date": str(raw.get("date") or ""), "case_regions": _case_regions(raw),
                        "path": file_path, "line": sources.lines[i]})
    unique(sources, "id", "source id")
    for e in entries:
        parent = SOURCE_KINDS[e["kind"]].part_of
        if parent and e["part_of"] not in {x["id"] for x in entries if x["kind"] == parent}:
            raise IngestError(f"{path}:{e['line']}: part_of {e['part_of']!r} is not a {parent} in this manifest")
    return entries


def _case_regions(raw: Mapping) -> dict[int, dict]:
    """`case_regions`: the region (and province) of each numbered case, by case number."""
    regions = raw.get("case_regions") or {}
    if not isinstance(regions, dict) or not all(
            isinstance(k, int) and isinstance(v, dict) and set(v) <= {"region", "province"}
            for k, v in regions.items()):
        raise IngestError(f"{raw.where('case_regions')}: case_regions must map each case number "
                          "to its region and province ({region: ..., province: ...})")
    return {k: dict(v) for k, v in regions.items()}

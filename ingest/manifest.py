"""Read and validate corpus/sources.yml, keeping line numbers for error messages."""
from pathlib import Path

import yaml

from . import IngestError

KINDS = {"book", "book_cases", "article", "journal_feature", "award_page"}
SCRIPTS = {"Simplified", "Traditional"}
REQUIRED = ("id", "file", "title", "kind", "script")


class _LineLoader(yaml.SafeLoader):
    """Records the line each mapping starts on as `__line__`."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


def load_manifest(corpus_dir: Path) -> list[dict]:
    """Source entries as plain dicts, each with `path` and `line`; raises IngestError."""
    path = Path(corpus_dir) / "sources.yml"
    if not path.exists():
        raise IngestError(f"{path}: manifest not found (every corpus needs a sources.yml)")
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as e:
        raise IngestError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("sources"), list):
        raise IngestError(f"{path}: expected a top-level `sources:` list")
    entries, seen = [], set()
    for raw in doc["sources"]:
        line = raw.pop("__line__", "?") if isinstance(raw, dict) else "?"
        where = f"{path}:{line}"
        if not isinstance(raw, dict):
            raise IngestError(f"{where}: each source must be a mapping")
        missing = [k for k in REQUIRED if not raw.get(k)]
        if missing:
            raise IngestError(f"{where}: source is missing {', '.join(missing)}")
        if raw["kind"] not in KINDS:
            raise IngestError(
                f"{where}: unknown kind {raw['kind']!r} (expected one of {', '.join(sorted(KINDS))})")
        if raw["script"] not in SCRIPTS:
            raise IngestError(f"{where}: unknown script {raw['script']!r} (Simplified or Traditional)")
        if raw["id"] in seen:
            raise IngestError(f"{where}: duplicate source id {raw['id']!r}")
        if raw["kind"] == "book_cases" and not raw.get("part_of"):
            raise IngestError(f"{where}: kind book_cases needs `part_of: <book source id>`")
        seen.add(raw["id"])
        file_path = Path(corpus_dir) / raw["file"]
        if not file_path.exists():
            raise IngestError(f"{where}: file {raw['file']!r} not found in {corpus_dir}")
        regions = {int(k): _strip_lines(v) for k, v in _strip_lines(raw.get("case_regions") or {}).items()}
        entries.append({**raw, "date": str(raw.get("date") or ""), "case_regions": regions,
                        "path": file_path, "line": line})
    for e in entries:
        if e["kind"] == "book_cases" and e["part_of"] not in {x["id"] for x in entries if x["kind"] == "book"}:
            raise IngestError(f"{path}:{e['line']}: part_of {e['part_of']!r} is not a book in this manifest")
    return entries


def _strip_lines(value):
    return {k: v for k, v in value.items() if k != "__line__"} if isinstance(value, dict) else value

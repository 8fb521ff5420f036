"""The manifest schema (ingest.manifest.FIELDS): a misspelt or unknown field is refused with the nearest
known one and its line, a field holding the wrong type names its line, and the schema, the source kinds'
needs and the header of sources.yml agree."""
import re
from pathlib import Path

import pytest

from conftest import CORPUS, REAL_CORPUS
from ingest import IngestError
from ingest.manifest import FIELDS, load_manifest
from ingest.segment import SOURCE_KINDS
from kbcore.rules import CHECKS


def write_manifest(folder: Path, extra: str) -> Path:
    (folder / "a.txt").write_text("正文。", encoding="utf-8")
    (folder / "sources.yml").write_text(
        "# a comment\nsources:\n  - id: a\n    file: a.txt\n    title: 标题\n    kind: article\n"
        f"    script: Simplified\n{extra}", encoding="utf-8")
    return folder / "sources.yml"


@pytest.mark.parametrize("extra, message", [
    ("    pubisher: 苏州大学出版社\n", ":8: unknown field 'pubisher' (did you mean 'publisher'?)"),
    ("    regoin: 太仓市\n", ":8: unknown field 'regoin' (did you mean 'region'?)"),
    ("    expected_case: 3\n", ":8: unknown field 'expected_case' (did you mean 'expected_cases'?)"),
    ("    colour: red\n", ":8: unknown field 'colour' (known fields: id, file, title,"),
    ("    publisher: [a, b]\n", ":8: source: publisher must be a non-empty text"),
    ("    expected_cases: many\n", ":8: source: expected_cases must be a number"),
    ("    ocr_pages: 3\n", ":8: source: ocr_pages must be a list"),
])
def test_a_field_the_schema_does_not_know_or_a_wrong_type_names_its_line(tmp_path, extra, message):
    manifest = write_manifest(tmp_path, extra)
    with pytest.raises(IngestError, match="^" + re.escape(f"{manifest}{message}")):
        load_manifest(tmp_path)


def test_every_field_of_the_schema_is_accepted(tmp_path):
    write_manifest(tmp_path, "    publisher: 出版社\n    expected_cases: 2\n    note: ''\n    ocr_pages: [1, 2]\n"
                             "    ocr_confidence: 0.93\n    date: 2015-03\n")
    (entry,) = load_manifest(tmp_path)
    assert (entry["publisher"], entry["expected_cases"], entry["ocr_pages"], entry["date"]) == (
        "出版社", 2, [1, 2], "2015-03")


def test_the_schema_covers_what_the_source_kinds_need_and_each_check_exists():
    needed = {field for kind in SOURCE_KINDS.values() for field in kind.needs} | {"part_of"}
    assert needed <= set(FIELDS)
    assert {check for check in FIELDS.values()} <= set(CHECKS) | {"date", "case_regions"}


@pytest.mark.parametrize("corpus", [REAL_CORPUS, CORPUS], ids=["corpus", "test corpus"])
def test_the_manifest_header_explains_every_field(corpus):
    header = (corpus / "sources.yml").read_text(encoding="utf-8").split("\nsources:")[0]
    assert [f for f in FIELDS if not re.search(rf"#.*\b{f}\b", header)] == []
    assert load_manifest(corpus)  # and the bundled manifests pass the schema

"""Registries drive every list: the lists people read (CLI help, metadata.yml, the manifest's header)
name exactly what the registries hold, so a new encoder or source kind cannot be left out of them;
the build summary is a typed record whose fields every stage must use."""
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from casekb.cli import main
from index.encoders import ENCODERS
from ingest.segment import SOURCE_KINDS
from kbcore.build_summary import BuildSummary

ROOT = Path(__file__).resolve().parents[1]


def test_build_help_names_every_registered_encoder():
    result = CliRunner().invoke(main, ["build", "--help"], terminal_width=400)
    assert result.exit_code == 0, result.output
    help_line = " ".join(result.output.split())
    named = re.search(r"--model TEXT Encoder: (.*?) \[default", help_line).group(1)
    assert named == ", ".join(k.usage for k in ENCODERS.values())
    for name in ENCODERS:
        assert f"'{name}" in named


def test_metadata_lists_exactly_the_registered_source_kinds():
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    described = metadata["databases"]["casekb"]["tables"]["sources"]["columns"]["kind"]
    assert set(re.findall(r"[a-z_]+", described)) == set(SOURCE_KINDS)


def manifest_header_kinds(manifest: Path) -> set[str]:
    documented = re.search(r"^#\s+kind\s+(.+)$", manifest.read_text(encoding="utf-8"), re.M)
    return set(documented.group(1).split(" | "))


def test_manifest_headers_list_exactly_the_registered_source_kinds():
    for manifest in (ROOT / "corpus" / "sources.yml", ROOT / "tests" / "fixtures" / "corpus" / "sources.yml"):
        assert manifest_header_kinds(manifest) == set(SOURCE_KINDS), manifest


def test_the_build_summary_refuses_a_count_it_has_no_field_for():
    summary = BuildSummary()
    summary.add({"embedded": 3, "model": "usem3"})
    assert (summary.embedded, summary.model, summary["embedded"]) == (3, "usem3", 3)
    with pytest.raises(TypeError, match="no field embeded"):
        summary.add({"embeded": 3})

"""A corpus may bring its own rule files in <corpus>/rules/ (ingest.rulefiles): the build reads them
instead of the package's, file by file; a corpus without them builds with the package's own."""
import shutil

import pytest

from conftest import CORPUS
from ingest import IngestError
from ingest.manifest import corpus_checksum
from ingest.mechanisms import MECHANISMS_FILE, load_mechanisms
from ingest.pipeline import ingest_tables
from ingest.rulefiles import rule_file, use_corpus
from ingest.tag import DOMAINS_FILE

ONE_MECHANISM = """mechanisms:
  - id: 议事协商
    name_zh: 居民议事协商
    description: 居民就公共事务议事协商。
    terms: [议事, 协商]
"""


@pytest.fixture
def small_corpus(tmp_path):
    """The test corpus' award page alone, so that the build is quick."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "003_6f11e2d1cae9dd3c.txt", corpus)
    manifest = (CORPUS / "sources.yml").read_text(encoding="utf-8")
    entry = manifest[manifest.index("  - id: zjg-award"):]
    (corpus / "sources.yml").write_text("sources:\n" + entry[:entry.index("\n\n")] + "\n", encoding="utf-8")
    yield corpus
    use_corpus(None)  # later tests in this process read the package's rules again


def test_a_corpus_with_its_own_mechanisms_is_tagged_with_them(small_corpus):
    before = corpus_checksum(small_corpus)
    (small_corpus / "rules").mkdir()
    (small_corpus / "rules" / "mechanisms.yml").write_text(ONE_MECHANISM, encoding="utf-8")
    tables, _ = ingest_tables(small_corpus)
    assert [m["id"] for m in tables["mechanisms"]] == ["议事协商"]
    assert {r["mechanism"] for r in tables["case_mechanisms"]} == {"议事协商"}
    assert rule_file("mechanisms.yml") == small_corpus / "rules" / "mechanisms.yml"
    assert rule_file("domains.yml") == DOMAINS_FILE  # a file it does not bring is the package's
    assert corpus_checksum(small_corpus) != before  # a rule file of the corpus is part of what was built


def test_a_corpus_without_rules_uses_the_packages(small_corpus):
    tables, _ = ingest_tables(small_corpus)
    assert [m["id"] for m in tables["mechanisms"]] == [m["id"] for m in load_mechanisms(MECHANISMS_FILE)]
    assert rule_file("mechanisms.yml") == MECHANISMS_FILE


def test_a_malformed_corpus_rule_file_names_its_file_and_line(small_corpus):
    (small_corpus / "rules").mkdir()
    (small_corpus / "rules" / "mechanisms.yml").write_text(ONE_MECHANISM.replace("    terms: [议事, 协商]\n", ""),
                                                          encoding="utf-8")
    with pytest.raises(IngestError, match=f"^{small_corpus / 'rules' / 'mechanisms.yml'}:2: "):
        ingest_tables(small_corpus)

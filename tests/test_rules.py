"""Rule files: each loader takes a path and a mistake in the file is an IngestError naming file:line."""
import re
from pathlib import Path

import pytest

from ingest import IngestError
from ingest.classify import load_terms
from ingest.clean import Residue, clean, load_repairs, load_residue
from ingest.figures import FIGURES_FILE, load_rules
from ingest.mechanisms import MECHANISMS_FILE, load_mechanisms
from ingest.tag import DOMAINS_FILE, load_domains
from kbcore.rules import read_rules


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """The (1-based) line of the file holding needle, so the tests do not count by hand."""
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def raises_at(path: Path, needle: str, message: str):
    """pytest.raises for an IngestError that starts with path:line of needle, then message."""
    return pytest.raises(IngestError, match=re.escape(f"{path}:{line_of(path, needle)}: ") + message)


# --- the shared reader -------------------------------------------------------------------

def test_duplicate_key_is_an_error_not_a_silent_overwrite(tmp_path):
    path = write(tmp_path, "x.yml", "a: 1\nb: 2\na: 3\n")
    with pytest.raises(IngestError, match=re.escape(f"{path}:3: duplicate key 'a' (first at line 1)")):
        read_rules(path)


def test_invalid_yaml_and_missing_file_name_the_file(tmp_path):
    with pytest.raises(IngestError, match=re.escape(f"{tmp_path / 'bad.yml'}:2: not valid YAML")):  # and the line
        read_rules(write(tmp_path, "bad.yml", "a: [1, 2\n"))
    with pytest.raises(IngestError, match="nothing.yml: file not found"):
        read_rules(tmp_path / "nothing.yml")
    assert read_rules(tmp_path / "nothing.yml", required=False) == {}


# --- corpus rule files: residue.yml, repairs.yml -------------------------------------------

def test_bad_regex_in_residue_names_file_line_and_the_regex(tmp_path):
    path = write(tmp_path, "residue.yml", "drop_lines:\n  site_navigation:\n    - 首页\n    - \"当前位置[:：.*\"\n")
    with raises_at(path, "当前位置", r"drop_lines: site_navigation: bad regular expression '当前位置\[:：\.\*'"):
        load_residue(path)


def test_residue_rule_must_be_a_list_and_sections_are_known(tmp_path):
    path = write(tmp_path, "residue.yml", "drop_lines:\n  spam: 香蕉\n")
    with raises_at(path, "spam", "drop_lines: spam must be a non-empty list of texts"):
        load_residue(path)
    path = write(tmp_path, "residue2.yml", "drop_lines: {}\ntruncate_after:\n  related: [猜你喜欢]\n")
    with raises_at(path, "truncate_after", "unknown section 'truncate_after'"):
        load_residue(path)


def test_a_corpus_without_residue_file_has_no_residue_rules(tmp_path):
    residue = load_residue(tmp_path / "residue.yml")
    assert residue == Residue({}, {})
    lines, removed = clean("首页\n正文。", "page.txt", residue)
    assert [t for _, t in lines] == ["首页", "正文。"] and not removed


def test_residue_file_rules_are_applied_and_counted(tmp_path):
    path = write(tmp_path, "residue.yml",
                 "drop_lines:\n  nav: [首页, \"当前位置.*\"]\ntruncate_at:\n  related: [相关阅读]\n")
    lines, removed = clean("首页\n当前位置：正文\n正文。\n相关阅读\n链接", "page.txt", load_residue(path))
    assert [t for _, t in lines] == ["正文。"]
    assert removed == {"nav": 2, "related": 2}


def test_repair_without_anchor_names_file_and_line(tmp_path):
    path = write(tmp_path, "repairs.yml", "a.txt:\n  - move:\n      from: 甲\n      after: 丙\n    why: test\n")
    with raises_at(path, "from: 甲", "a.txt: move: to must be a non-empty text"):
        load_repairs(path)
    path = write(tmp_path, "repairs2.yml", "a.txt:\n  - why: no move\n")
    with raises_at(path, "why", "a.txt: each repair needs a `move:`"):
        load_repairs(path)


def test_repair_anchor_not_found_names_the_repair(tmp_path):
    path = write(tmp_path, "repairs.yml", "# layout repairs\na.txt:\n  - move: {from: 不存在, to: 尾。, after: 前文}\n")
    moves = load_repairs(path)["a.txt"]
    with raises_at(path, "move:", r"`from: 不存在` matches 0 lines of a\.txt, expected exactly 1"):
        clean("前文\n尾。", "a.txt", repairs=moves)


def test_repair_moves_the_block(tmp_path):
    path = write(tmp_path, "repairs.yml", "a.txt:\n  - move: {from: 乙, to: 乙完。, after: 甲接}\n")
    lines, removed = clean("甲接\n丙。\n乙完。", "a.txt", repairs=load_repairs(path)["a.txt"])
    assert [t for _, t in lines] == ["甲接乙完。", "丙。"] and removed["layout_block_moved"] == 1


# --- vocabulary rule files: domains, domain terms, mechanisms, figures ----------------------

def test_bundled_rule_files_load():
    assert len(load_domains(DOMAINS_FILE)) == 8 and load_mechanisms(MECHANISMS_FILE)
    assert load_rules(FIGURES_FILE)["quantity"].search("减少了78项").group("unit") == "项"


def test_domain_without_description_names_file_and_line(tmp_path):
    path = write(tmp_path, "domains.yml", "domains:\n  - id: 政府管理\n    chapter: 一\n    name_en: Gov\n")
    with raises_at(path, "id: 政府管理", "domain: description must be a non-empty text"):
        load_domains(path)


def test_repeated_domain_id_names_both_lines(tmp_path):
    entry = "  - id: 政府管理\n    chapter: 一\n    name_en: Gov\n    description: 说明。\n"
    path = write(tmp_path, "domains.yml", "domains:\n" + entry + entry)
    with pytest.raises(IngestError, match=re.escape(f"{path}:6: domain '政府管理' is repeated (first at line 2)")):
        load_domains(path)


def test_domain_terms_unknown_domain_and_bad_weight_name_the_line(tmp_path):
    path = write(tmp_path, "terms.yml", "domains:\n  政府管理:\n    职能转变: 3\n  太空治理:\n    火星: 1\n")
    with raises_at(path, "太空治理", "unknown domain '太空治理'"):
        load_terms(path)
    path = write(tmp_path, "terms2.yml", "domains:\n  政府管理:\n    职能转变: 3\n    简政放权: -1\n")
    with raises_at(path, "简政放权", "domain 政府管理: 简政放权 must be a positive weight"):
        load_terms(path)
    path = write(tmp_path, "terms3.yml", "domains:\n  政府管理:\n    职能转变: 很重要\n")
    with raises_at(path, "职能转变", "domain 政府管理: 职能转变 must be a number"):
        load_terms(path)


def test_mechanism_without_terms_names_file_and_line(tmp_path):
    path = write(tmp_path, "mechanisms.yml",
                 "mechanisms:\n  - id: 网格化\n    name_zh: 网格化管理\n    description: 说明。\n    terms: []\n")
    with raises_at(path, "terms:", "mechanism 网格化: terms must be a non-empty list"):
        load_mechanisms(path)


def test_mechanism_entry_that_is_not_a_mapping_or_repeats_an_id(tmp_path):
    path = write(tmp_path, "mechanisms.yml", "mechanisms:\n  - 网格化\n")
    with raises_at(path, "- 网格化", "each entry of mechanisms must be a mapping"):
        load_mechanisms(path)
    entry = "  - id: 网格化\n    name_zh: 网格化管理\n    description: 说明。\n    terms: [网格员]\n"
    path = write(tmp_path, "mechanisms2.yml", "mechanisms:\n" + entry + entry)
    with pytest.raises(IngestError, match=re.escape(f"{path}:6: mechanism '网格化' is repeated (first at line 2)")):
        load_mechanisms(path)


def test_figures_rules_name_the_missing_or_bad_entry(tmp_path):
    good = FIGURES_FILE.read_text(encoding="utf-8")
    path = write(tmp_path, "figures.yml", good.replace("  减少: 2\n", "  减少: 很多\n"))
    with raises_at(path, "  减少: 很多", "cues: 减少 must be a number"):
        load_rules(path)
    path = write(tmp_path, "figures2.yml", re.sub(r"(?m)^units: .*$", "units: []", good))
    with raises_at(path, "units: []", "units must be a non-empty list of texts"):
        load_rules(path)


def test_figures_words_are_literal_text_not_regex(tmp_path):
    good = FIGURES_FILE.read_text(encoding="utf-8")
    path = write(tmp_path, "figures.yml", re.sub(r"(?m)^magnitudes: .*$", 'magnitudes: ["[", "]"]', good))
    assert load_rules(path)["quantity"].search("共3]项").group() == "3]项"

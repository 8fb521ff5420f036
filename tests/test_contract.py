"""The database contract (kbcore.schema) as built and as documented: one set of facts everywhere."""
import sqlite3
from pathlib import Path

import yaml

from kbcore.schema import CASE_KINDS, DOCUMENT_KINDS, TABLES, VIEWS

ROOT = Path(__file__).resolve().parents[1]


def test_built_database_has_every_table_and_view_of_the_contract(built_db):
    conn = sqlite3.connect(built_db)
    names = {n for (n,) in conn.execute("select name from sqlite_master where type in ('table', 'view')")}
    assert set(TABLES) | set(VIEWS) <= names
    for table, (columns, _, _) in TABLES.items():
        built = [r[1] for r in conn.execute(f'pragma table_info("{table}")')]
        assert built[:len(columns)] == list(columns), table


def test_real_cases_are_the_case_kinds(built_db):
    conn = sqlite3.connect(built_db)
    kinds = {k for (k,) in conn.execute("select distinct kind from real_cases")}
    assert kinds and kinds <= set(CASE_KINDS)
    others = conn.execute("select count(*) from cases where kind not in (select kind from real_cases)").fetchone()[0]
    not_cases = [k.id for k in DOCUMENT_KINDS.values() if not k.is_case]  # prefaces, essays, editors' notes
    assert others == conn.execute(f"select count(*) from cases where kind in ({','.join('?' * len(not_cases))})",
                                  not_cases).fetchone()[0] > 0
    labels = dict(conn.execute("select id, label from document_kinds"))
    assert labels == {k.id: k.label for k in DOCUMENT_KINDS.values()}


def test_every_column_of_the_contract_is_described_in_metadata(built_db):
    """Researchers read column meanings on the table pages: none may be left undescribed."""
    tables = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))["databases"]["casekb"]["tables"]
    conn = sqlite3.connect(built_db)
    for name in [*TABLES, *VIEWS]:
        described = tables.get(name, {}).get("columns", {})
        built = [r[1] for r in conn.execute(f'pragma table_info("{name}")')]
        if name == "real_cases":
            continue  # same columns as cases, described there
        missing = [c for c in built if c not in described]
        assert not missing, f"metadata.yml: {name}: no description for {missing}"

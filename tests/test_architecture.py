"""The layers stay one-way: kbcore -> ingest -> index -> reports -> datasette_plugins -> casekb.

The contracts are in pyproject.toml ([tool.importlinter]); a wrong import fails this test.
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--config", "pyproject.toml"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout

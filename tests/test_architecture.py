"""The layers stay one-way: kbcore -> ingest -> index -> reports -> datasette_plugins -> casekb.

The contracts are in pyproject.toml ([tool.importlinter]); a wrong import fails this test.
"""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--config", "pyproject.toml"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_casekb_serve_works_from_any_directory(built_db, tmp_path, monkeypatch):
    """Started elsewhere, `casekb serve --db PATH` still finds the site's metadata and templates."""
    import os

    from click.testing import CliRunner

    from casekb.cli import main

    from casekb.asgi import ARGUMENTS_VARIABLE

    started = []
    monkeypatch.setattr(os, "execvpe", lambda file, args, env: started.append(json.loads(env[ARGUMENTS_VARIABLE])))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["serve", "--db", str(built_db)])
    assert result.exit_code == 0, result.output
    (args,) = started  # what each worker gives Datasette's `serve` (casekb.asgi)
    for flag in ("--metadata", "--template-dir", "-i"):
        path = Path(args[args.index(flag) + 1])
        assert path.is_absolute() and path.exists(), (flag, path)
    assert Path(args[args.index("--metadata") + 1]) == ROOT / "metadata.yml"

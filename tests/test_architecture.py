"""The layers stay one-way: kbcore -> (ingest | index) -> reports -> datasette_plugins -> casekb.

The contracts are in pyproject.toml ([tool.importlinter]); a wrong import fails this test.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]


FACADE = "The plugin reaches the index only through its public modules"
SITE_WITHOUT_INGEST = "What serves the site never imports the build-time ingest stage"
PACKAGES = ("kbcore", "ingest", "index", "reports", "datasette_plugins", "casekb")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(lint), "--no-cache", "pyproject.toml"], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(root)})


def test_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, line, broken", [
    # a new index module is closed to the plugin without being named in pyproject.toml
    ("datasette_plugins/casekb_search/shortcut.py", "from index.brand_new import x", [FACADE]),
    ("datasette_plugins/casekb_search/shortcut.py", "from index.fusion import fuse", [FACADE]),
    # ingest and index are siblings: neither imports the other
    ("ingest/shortcut.py", "from index.fusion import fuse", ["Layers"]),
    ("index/shortcut.py", "from ingest.records import citation", ["Layers", SITE_WITHOUT_INGEST]),
])
def test_the_contracts_catch_a_wrong_import(tmp_path, module, line, broken):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "index" / "brand_new.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / module).write_text(line + "\n", encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    said = " ".join(result.stdout.split())
    names = [c["name"] for c in tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]
             ["contracts"]]
    assert [n.split(":")[0].split(" (")[0] for n in names if f"{n} BROKEN" in said] == list(broken), result.stdout


def test_casekb_serve_works_from_any_directory(built_db, tmp_path, monkeypatch):
    """Started elsewhere, `casekb serve --db PATH` still finds the site's metadata and templates."""
    import os

    from click.testing import CliRunner

    from casekb.asgi import ARGUMENTS_VARIABLE
    from casekb.cli import main

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

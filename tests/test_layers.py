"""`make lint` keeps the layers: a view that imports a store fails it (import-linter, setup.cfg)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "setup.cfg"], cwd=tree,
                          capture_output=True, text=True, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})


def test_the_layers_hold_today():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_view_importing_a_store_fails_the_lint(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copy(ROOT / "setup.cfg", tree)
    ignore = shutil.ignore_patterns("__pycache__", "*.mo", "site_files")
    for package in ("monitor", "services_catalog"):
        shutil.copytree(ROOT / package, tree / package, ignore=ignore)
    (tree / "monitor" / "views" / "public" / "shortcut.py").write_text(
        '"""A view that reads the database itself."""\nfrom ...stores import visits  # noqa: F401\n')
    result = _lint(tree)
    assert result.returncode != 0
    assert "monitor.views.public.shortcut -> monitor.stores.visits" in result.stdout

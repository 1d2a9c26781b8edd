"""A module of this repository as it was at an earlier git revision, for a same-run baseline."""
from __future__ import annotations

import subprocess  # nosec B404 - git show of a given revision, no shell
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_at(revision: str, path: str, package: str, rewrites: tuple[tuple[str, str], ...] = ()
              ) -> types.ModuleType:
    """``path`` (e.g. ``monitor/compliance/indicators.py``) as of ``revision``, importable
    beside today's modules: it runs as a module of ``package``, so its relative imports
    find today's neighbours; ``rewrites`` (old, new) mend imports of modules moved since."""
    source = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT, check=True,  # nosec B603 B607
                            capture_output=True, text=True).stdout
    for old, new in rewrites:
        source = source.replace(old, new)
    module = types.ModuleType(f"{package}._baseline_{Path(path).stem}")
    module.__package__ = package
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{revision}:{path}", "exec"), module.__dict__)  # nosec B102 - our own code
    return module

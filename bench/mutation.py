"""`make mutation`: mutation testing of the engine and the calendar, one module at a time.

Runs mutmut (the ``[mutmut]`` section of setup.cfg: monitor/compliance/ and monitor/calendar.py,
the engine's tests only) for each module in turn with at most ``--max-children`` test
processes, then prints the score per module: killed / all mutants. Survivors are listed with
``mutmut show NAME``; each one left is explained in docs/testing.md.

    python bench/mutation.py [--max-children 2] [--module monitor.calendar ...] [--report-only]

Hypothesis runs the property tests with the ``mutation`` profile (few, derandomized examples;
tests/conftest.py). mutmut keeps its mutants, statistics and results in ./mutants; a module
named here is re-tested in full each time (``--report-only`` only reads the last results).

Survivors that docs/testing.md lists as equivalent (a row of its "Surviving mutants" tables
whose verdict is **equivalent**) are counted apart: the second score is killed / (tested -
equivalent), and any other survivor is printed as not yet judged.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTING_DOC = ROOT / "docs" / "testing.md"
MODULES = [
    "monitor.calendar",
    "monitor.compliance.rules",
    "monitor.compliance.timeline",
    "monitor.compliance.indicators",
    "monitor.compliance.integrity",
    "monitor.compliance",  # __init__.py: judge() and Analysis
]
# mutmut's names: module.x_function__mutmut_N or module.xǁClassǁmethod__mutmut_N
_RESULT = re.compile(r"^\s*(?P<name>[\w.ǁ]+__mutmut_\d+): (?P<status>.+)$")


def listed_equivalent(doc: Path = TESTING_DOC) -> set[str]:
    """Mutant names docs/testing.md judges equivalent: under a ``### monitor/...py`` heading,
    a table row whose verdict says **equivalent**; ``_12`` after a full name is its sibling."""
    names: set[str] = set()
    module = None
    for line in doc.read_text(encoding="utf-8").splitlines() if doc.exists() else []:
        heading = re.match(r"^### (monitor/\S+)\.py\s*$", line)
        if heading:
            module = heading[1].replace("\\_", "_").replace("/", ".").removesuffix(".__init__")
            continue
        if module and line.startswith("| `") and "**equivalent**" in line:
            prefix = None
            for token in re.findall(r"`([^`]+)`", line.split(" | ")[0]):
                if "__mutmut_" in token:
                    prefix = token[:token.rindex("__mutmut_")]
                    names.add(f"{module}.{token}")
                elif prefix and re.fullmatch(r"_\d+", token):
                    names.add(f"{module}.{prefix}__mutmut{token}")
    return names


def mutmut(*arguments: str) -> subprocess.CompletedProcess:
    executable = Path(sys.executable).with_name("mutmut")
    if not executable.exists():
        sys.exit(f"{executable} is missing: `make mutation` installs it (the `mutation` extra)")
    environment = {**os.environ, "HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", "mutation")}
    return subprocess.run([str(executable), *arguments], cwd=ROOT, env=environment,
                          text=True, capture_output=True)


def percent(value: float, width: int) -> str:
    """A score as ``95.9%``, or "not run" when no mutant of the module was tested (NaN)."""
    return f"{value:{width}.1f}%" if value == value else f"{'not run':>{width + 1}}"


def module_of(name: str) -> str:
    """The module a mutant belongs to: its dotted name before the function part."""
    parts = name.split(".")
    for position, part in enumerate(parts):
        if part.startswith("x_") or part.startswith("xǁ"):
            return ".".join(parts[:position])
    return ".".join(parts[:-1])


def results() -> dict[str, Counter]:
    listed = mutmut("results", "--all", "true")
    if listed.returncode != 0:
        sys.exit(f"mutmut results failed:\n{listed.stdout}\n{listed.stderr}")
    by_module: dict[str, Counter] = {}
    for line in listed.stdout.splitlines():
        match = _RESULT.match(line)
        if match:
            by_module.setdefault(module_of(match["name"]), Counter())[match["status"].strip()] += 1
    return by_module


def survivors() -> list[str]:
    listed = mutmut("results")
    return [m["name"] for m in map(_RESULT.match, listed.stdout.splitlines())
            if m and m["status"].strip() not in ("killed", "not checked")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--module", action="append", help="only this module (repeatable)")
    parser.add_argument("--report-only", action="store_true", help="print the scores of the last run")
    parser.add_argument("--target", type=float, default=95.0, help="lowest acceptable score per module")
    options = parser.parse_args()
    modules = options.module or MODULES
    if not options.report_only:
        for module in modules:
            print(f"mutmut run {module} ...", flush=True)
            # the pattern names this module's functions only (not those of its submodules)
            run = mutmut("run", "--max-children", str(options.max_children), f"{module}.x*")
            if run.returncode != 0:
                print(run.stdout[-4000:], run.stderr[-4000:], sep="\n")
                return run.returncode
    scores = results()
    # The score is over the mutants tested; "not checked" ones (an interrupted run) are shown
    # apart, so that a partial run never passes for a complete one.
    left = [name for name in survivors() if module_of(name) in modules]
    equivalent = listed_equivalent() & set(left)
    print(f"\n{'module':36} {'mutants':>8} {'tested':>7} {'killed':>7} {'survived':>9} {'other':>6} "
          f"{'score':>7} {'equiv.':>7} {'score of the others':>20}")
    low = False
    for module in modules:
        counts = scores.get(module, Counter())
        total = sum(counts.values())
        tested = total - counts["not checked"]
        killed = counts["killed"]
        survived = counts["survived"]
        other = tested - killed - survived
        score = 100 * killed / tested if tested else float("nan")
        alike = sum(module_of(name) == module for name in equivalent)
        others = 100 * killed / (tested - alike) if tested > alike else float("nan")
        low |= not score >= options.target or tested < total
        print(f"{module:36} {total:8} {tested:7} {killed:7} {survived:9} {other:6} {percent(score, 6)} "
              f"{alike:7} {percent(others, 19)}")
        for status, number in sorted(counts.items()):
            if status not in ("killed", "survived", "not checked"):
                print(f"{'':36} {number} {status}")
    unjudged = [name for name in left if name not in equivalent]
    if unjudged:
        print("\nnot killed and not listed as equivalent in docs/testing.md (`mutmut show NAME`):")
        for name in unjudged:
            print(f"  {name}")
    return 1 if low or unjudged else 0


if __name__ == "__main__":
    sys.exit(main())

"""Progress of long commands, as lines on stderr, for whoever runs them at a terminal.

Use cases take an optional ``progress(done, total, note="")`` callable and call it as they go;
the CLI passes a ``Lines`` (``flask jobs run``, ``visits import|refresh``, ``findings sweep``,
``analyze``), the web and the scheduler pass nothing, so nothing is printed there.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Protocol, TextIO


class Progress(Protocol):
    def __call__(self, done: int, total: int, note: str = "") -> None: ...


def silent(done: int, total: int, note: str = "") -> None:
    """The default: the web and the scheduler report nothing."""


class Lines:
    """``label: done/total (pct%) note, elapsed``: a line at every ``every_percent`` crossed,
    at the end, and whenever a note is given (one line per published week, say)."""

    def __init__(self, label: str, every_percent: int = 10, stream: TextIO | None = None,
                 echo: Callable[[str], None] | None = None):
        self.label, self.every = label, every_percent
        self.echo = echo or (lambda text: print(text, file=stream or sys.stderr, flush=True))
        self.started = time.monotonic()
        self.shown = -1

    def __call__(self, done: int, total: int, note: str = "") -> None:
        step = 100 * done // total // self.every if total else 0
        if not note and step == self.shown and done != total:
            return
        self.shown = step
        share = f" ({100 * done // total}%)" if total else ""
        self.echo(f"{self.label}: {done:,}/{total:,}{share}{' ' + note if note else ''}, {self.elapsed()}")

    def phase(self, text: str) -> None:
        self.echo(f"{self.label}: {text}, {self.elapsed()}")

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.started:.1f}s"

"""What a long-running web worker does once it has started (gunicorn.conf.py)."""
from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Move every object alive now (the libraries, the application, what warming loaded) out
    of the cyclic garbage collector's reach: they live as long as the worker.

    Python's full collection walks every tracked object. A worker holds about 200,000 after
    start-up, and a report request makes enough new ones to trigger a full collection every
    other request: about 150 ms each on the 2-core machine at 400 offices, the report's
    "bimodal" times. Frozen, a full collection walks only what requests made (about 15 ms;
    docs/benchmarks.md). Objects made later are collected as before."""
    gc.collect()
    gc.freeze()

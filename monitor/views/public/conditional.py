"""Repeat conditional requests of citizens' pages answered before Flask runs.

A citizen's browser (or a proxy) that revalidates a page it holds sends ``If-None-Match``
with the page's ETag. The first such request of an address goes through the application,
which answers 304; that answer's headers are kept, and the same request (same address,
language header and scheme, no cookie) is answered with them at once while nothing the page
depends on can have changed: no change committed by this process, within
``PUBLIC_RECHECK_SECONDS`` (the interval after which the application itself would look again
for changes made elsewhere) and within the same minute (the service page's example due date
is per minute). Anything else, and every request carrying a cookie, goes to the application.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from werkzeug.http import parse_etags, unquote_etag

from ...logs import request_id_for
from ...services import public_pages

KEPT_ANSWERS = 20_000


@dataclass(frozen=True)
class _Answer:
    tag: str
    headers: tuple[tuple[str, str], ...]
    committed: int
    expires: float  # time.monotonic()
    minute: int  # time.time() // 60


class ConditionalAnswers:
    """WSGI middleware around the Flask application (inside ProxyFix, so the scheme is the
    citizen's)."""

    def __init__(self, wsgi_app, config):
        self.wsgi_app = wsgi_app
        self.config = config  # the application's: PUBLIC_RECHECK_SECONDS is read when an answer is kept
        self.answers: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "GET" or "HTTP_COOKIE" in environ \
                or "HTTP_IF_NONE_MATCH" not in environ:
            return self.wsgi_app(environ, start_response)
        key = (environ.get("PATH_INFO"), environ.get("QUERY_STRING"), environ.get("HTTP_ACCEPT_LANGUAGE"),
               environ.get("wsgi.url_scheme"))
        answer = self.answers.get(key)
        if answer is not None and self._current(answer) \
                and parse_etags(environ["HTTP_IF_NONE_MATCH"]).contains(answer.tag):
            request_id = request_id_for(environ.get("HTTP_X_REQUEST_ID", ""))
            start_response("304 NOT MODIFIED", [*answer.headers, ("X-Request-ID", request_id)])
            return []
        return self.wsgi_app(environ, self._keeping(key, start_response))

    def _current(self, answer: _Answer) -> bool:
        return (answer.committed == public_pages.committed_changes()
                and time.monotonic() < answer.expires and int(time.time() // 60) == answer.minute)

    def _keeping(self, key, start_response):
        """start_response that keeps a public 304 answer of the application."""
        committed = public_pages.committed_changes()
        started, minute = time.monotonic(), int(time.time() // 60)

        def keep(status, headers, exc_info=None):
            fields = {name.lower(): value for name, value in headers}
            if status.startswith("304") and "set-cookie" not in fields and "etag" in fields \
                    and "public" in fields.get("cache-control", ""):
                tag, _weak = unquote_etag(fields["etag"])
                kept = tuple((name, value) for name, value in headers if name.lower() != "x-request-id")
                answer = _Answer(tag, kept, committed, started + self.config["PUBLIC_RECHECK_SECONDS"],
                                 minute)
                with self.lock:
                    self.answers[key] = answer
                    self.answers.move_to_end(key)
                    while len(self.answers) > KEPT_ANSWERS:
                        self.answers.popitem(last=False)
            return start_response(status, headers, exc_info)
        return keep

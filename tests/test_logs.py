"""Logs an operator can use: one JSON line per request with its id, role, status and time."""
from __future__ import annotations

import io
import json
import logging

import pytest

from monitor import logs


@pytest.fixture
def json_lines(app):
    """The JSON formatter on a handler of our own, as LOG_FORMAT=json installs it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonLines())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def test_each_request_is_one_json_line_with_its_id(client, login, json_lines):
    login("desk1")
    response = client.get("/desk/?lang=en", headers={"X-Request-ID": "proxy-id-12345"})
    assert response.headers["X-Request-ID"] == "proxy-id-12345"
    line = [entry for entry in json_lines() if entry["logger"] == "monitor.requests"][-1]
    assert line["request_id"] == "proxy-id-12345" and line["status"] == response.status_code
    assert line["method"] == "GET" and line["path"] == "/desk/" and line["role"] == "desk"
    assert isinstance(line["ms"], float) and line["level"] == "info" and line["time"].endswith("+00:00")
    assert "desk1" not in json.dumps(line) and "lang=en" not in json.dumps(line)  # no login, no query


def test_a_request_id_that_is_not_a_sane_token_is_replaced(client, json_lines):
    response = client.get("/healthz", headers={"X-Request-ID": "bad id; forged=1"})
    made = response.headers["X-Request-ID"]
    assert made != "bad id; forged=1" and len(made) == 32
    anonymous = [entry for entry in json_lines() if entry["logger"] == "monitor.requests"][-1]
    assert anonymous["request_id"] == made and anonymous["role"] == "anonymous"


def test_a_traceback_is_one_field_of_one_line(json_lines, app):
    try:
        1 / 0  # noqa: B018 - the error whose traceback is logged
    except ZeroDivisionError:
        logging.getLogger("monitor.test").exception("it broke", extra={"fields": {"job": "sweep"}})
    [entry] = [entry for entry in json_lines() if entry["logger"] == "monitor.test"]
    assert entry["message"] == "it broke" and entry["job"] == "sweep" and "ZeroDivisionError" in entry["traceback"]

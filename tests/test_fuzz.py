"""Fuzzed input for the visit form, the import and the JSON API: no 500, every rejection explained."""
from __future__ import annotations

import csv

from hypothesis import HealthCheck, given, settings, strategies as st

from .test_import import HEADER

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
timestamps = st.one_of(text, st.datetimes().map(lambda d: d.isoformat()),
                       st.sampled_from(["2026-04-06T10:00", "2026-04-06T10:00:00+05:00", "", "2026-13-40"]))


@FUZZ
@given(data=st.fixed_dictionaries({
    "service_code": st.one_of(text, st.just("S1")), "action": st.one_of(text, st.sampled_from(["submit", "issue"])),
    "documents": st.lists(text, max_size=3), "other_documents": text, "case_number": text,
    "applicant_ref": st.one_of(text, st.from_regex(r"\A\d{12}\Z")), "called_at": timestamps,
    "finished_at": timestamps, "ticket_at": timestamps, "refusal_ground": text, "forwarded_to": text,
    "override_reason": text}))
def test_visit_form_never_fails(client, login, loaded_catalog, data):
    if client.get("/desk/").status_code != 200:  # hypothesis reuses the client between examples
        login("desk1")
    response = client.post("/desk/visits/new", data=data)
    assert response.status_code in (200, 302, 400, 422), response.status_code  # 400: control characters
    if response.status_code == 302:
        assert "/login" not in response.headers["Location"]


@FUZZ
@given(rows=st.lists(st.fixed_dictionaries({column: text for column in HEADER}), max_size=6))
def test_import_explains_every_rejection(app, loaded_catalog, tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("fuzz") / "visits.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    result = app.test_cli_runner().invoke(args=["visits", "import", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code:
        assert "line " in result.output or "cannot read" in result.output or "missing" in result.output


@FUZZ
@given(raw=st.binary(max_size=300))
def test_import_of_garbage_is_refused_cleanly(app, loaded_catalog, tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("garbage") / "visits.csv"
    path.write_bytes(raw)
    result = app.test_cli_runner().invoke(args=["visits", "import", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["q", "week", "scope_kind", "scope_value", "indicator"]), text),
       code=text)
def test_json_api_never_fails(client, loaded_catalog, query, code):
    nul = any("\x00" in value for value in query.values())  # a NUL in the address: a clear 400
    assert client.get("/api/services", query_string=query).status_code == (400 if nul else 200)
    assert client.get("/api/indicators", query_string=query).status_code in (200, 400)
    response = client.get(f"/api/services/{code}") if "/" not in code and code.strip() else None
    if response is not None:
        assert response.status_code in (200, 400, 404, 308)

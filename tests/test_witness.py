"""The applicant as witness (issue 27, docs/witness.md): every receipt asks "is this what
happened?", and a dispute is evidence that no desk action clears."""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from monitor.extensions import db
from monitor.models import ApplicantFinding, Case, Complaint, Finding, OutgoingMail, User, Visit, VisitAnswer
from monitor.services import witness
from monitor.services.context import engine_inputs

from .test_desk import visit_form
from .test_evidence import post_correction

ACCOUNT = "The clerk wanted a salary certificate before accepting anything."


def _case_with_code(client, login, **overrides):
    login("desk1")
    saved = client.post("/desk/visits/new", data=visit_form(**overrides))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    receipt = client.get(saved.headers["Location"]).get_data(as_text=True)
    number = re.search(r'id="case-number">([^<]+)<', receipt).group(1)
    code = re.search(r'id="check-code">([A-Z0-9]{6})<', receipt).group(1)
    client.post("/logout")
    return number, code, receipt


def _dispute(**fields) -> dict:
    data = {"form": "v0-", "v0-visit_id": db.session.scalar(select(Visit.visit_id)), "v0-verdict": "disputed"}
    data.update({f"v0-{name}": value for name, value in fields.items()})
    return data


def _applicant_findings() -> dict[str, Finding]:
    db.session.expire_all()
    return {f.rule: f for f in db.session.scalars(
        select(Finding).join(ApplicantFinding, ApplicantFinding.finding_id == Finding.id))}


def test_the_receipt_carries_a_short_link_and_a_qr_code_to_the_logged_visit(client, login, loaded_catalog):
    number, code, receipt = _case_with_code(client, login)
    link = re.search(r'id="witness-link" href="([^"]+)"', receipt).group(1)
    assert link.endswith(f"/w/{number}/{code}")
    assert '<svg' in receipt and 'class="qr"' in receipt
    page = client.get(link.split("localhost", 1)[1] + "?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Is this what happened?" in html
    logged = html.split('class="documents"')[1].split("</dd>")[0]
    assert "Application" in logged and "Marriage certificate" in logged
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert client.get(f"/w/{number}/ZZZZZZ").status_code == 404


def test_a_dispute_is_evidence_with_the_applicants_account(client, login, loaded_catalog):
    number, code, _ = _case_with_code(client, login)
    response = client.post(f"/w/{number}/{code}?lang=en", data=_dispute(
        documents="ADDRESS_CERT", typed_documents="Salary certificate", account=ACCOUNT))
    assert response.status_code == 303, response.get_data(as_text=True)
    found = _applicant_findings()
    assert set(found) == {"CITIZEN_DISPUTE", "EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT"}
    dispute = found["CITIZEN_DISPUTE"]
    assert (dispute.clause, dispute.severity, dispute.review_status, dispute.firing) == ("2.2.3", "high", "open", True)
    parameters = witness.parse_dispute(dispute.detail)
    assert parameters["account"] == ACCOUNT and parameters["documents"] == ["ADDRESS_CERT"]
    assert found["EXTRA_DOCUMENT"].detail == "reported by the applicant: not required by the service: " \
                                             "Salary certificate"
    assert found["STATE_SYSTEM_DOCUMENT"].detail.endswith("obtained by the office from state systems: ADDRESS_CERT")
    assert db.session.scalar(select(func.count(Complaint.id))) == 0  # no money asked: no inducement report
    answer = db.session.scalar(select(VisitAnswer))
    assert answer.verdict == "disputed" and answer.typed_documents == "Salary certificate"
    # Nothing identifying beyond the visit link.
    assert not {"iin", "applicant_hash", "applicant_ref", "contact"} & set(VisitAnswer.__table__.c.keys())

"""Findings and refusals as data (issue 24): every rule of the rule table and every error
code worded in kk, ru and en from a code and parameters, with real plural forms; the
analyze CSV's English detail unchanged; stored findings keep their parameters."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from types import SimpleNamespace

import pandas as pd
import pytest
from flask_babel import force_locale
from sqlalchemy import select, update

from monitor.calendar import WorkingCalendar
from monitor.compliance import RULES, CatalogFrames, frame_from_text, judge, parse_visits
from monitor.compliance.details import WORDINGS, detail_text
from monitor.compliance.visit_log import BAD_ROW_CODES
from monitor.extensions import db
from monitor.models import Finding
from monitor.services.errors import DESK_CODES
from monitor.stores import evidence
from monitor.tools.synthetic import generate_visits
from monitor.views import error_words
from monitor.views.finding_words import finding_words
from services_catalog import BUNDLED_CATALOG, load_catalog

from .test_evidence import extra_document_visit

LATIN_WORDS = re.compile(r"\b[A-Za-z]{3,}\b")
ALMATY = dt.timezone(dt.timedelta(hours=5))
CATALOG = load_catalog(BUNDLED_CATALOG)

# One set of parameters per code the engine (or the desk) can record; the test below
# fails when the rule table gains a rule without one.
SAMPLES = {
    "EXTRA_DOCUMENT": {"documents": ["ID_CARD", "справка с места работы"]},
    "STATE_SYSTEM_DOCUMENT": {"documents": ["ID_CARD"]},
    "UNFOUNDED_RETURN": {"documents": ["ID_CARD"]},
    "UNFOUNDED_REFUSAL": {"ground": "R9"},
    "QUEUE_WAIT_EXCEEDED": {"minutes": 25.5, "limit": 15, "over": 10.5},
    "SERVICE_TIME_EXCEEDED": {"minutes": 21.5, "limit": 20, "over": 1.5},
    "REPEATED_RETURN": {"returns": 3},
    "EXCESS_HANDOFFS": {"handoffs": 2, "limit": 1},
    "DEADLINE_MISSED": {"hours": 12.5, "due_at": "2026-04-01T18:59:59+00:00"},
    "OVERDUE_OPEN": {"hours": 3.0, "due_at": "2026-04-01T18:59:59+00:00"},
    "CLOCK_RESET": {"accepted_on": "2026-04-06", "submitted_again_on": "2026-04-20"},
    "INFORMAL_RETURN": {"consults": 2, "days": 30},
    "REOPENED_AFTER_WITHDRAWAL": {"case": "C9", "days": 2.5},
    "CONFLICT_OF_INTEREST": {"reason": "no colleague at the desk"},
}
# Variants worded differently from the sample.
VARIANTS = [("UNFOUNDED_RETURN", {"documents": []}), ("UNFOUNDED_REFUSAL", {"ground": ""})]


def render(rule, params, language):
    with force_locale(language):
        return str(finding_words(rule, params, catalog=CATALOG, language=language, timezone=ALMATY))


def visible(html: str) -> str:
    """Text a reader sees, without what is quoted as typed (translate="no")."""
    return re.sub(r"<[^>]+>", "", re.sub(r'<span translate="no">.*?</span>', "", html))


def test_every_code_the_engine_records_has_a_sample_and_an_english_wording():
    assert set(RULES) <= set(SAMPLES) and set(SAMPLES) == set(WORDINGS)
    for rule, params in list(SAMPLES.items()) + VARIANTS:
        assert detail_text(rule, params)


@pytest.mark.parametrize("rule, params", list(SAMPLES.items()) + VARIANTS)
def test_every_rule_is_worded_in_kazakh_russian_and_english(app, rule, params):
    with app.test_request_context():
        english = render(rule, params, "en")
        assert visible(english).strip()
        for language in ("kk", "ru"):
            text = visible(render(rule, params, language))
            assert text.strip() and not LATIN_WORDS.search(text), (rule, language, text)
            assert text != visible(english)


def test_documents_are_named_from_the_catalog_and_free_text_is_quoted(app):
    with app.test_request_context():
        ru = render("EXTRA_DOCUMENT", SAMPLES["EXTRA_DOCUMENT"], "ru")
        kk = render("EXTRA_DOCUMENT", SAMPLES["EXTRA_DOCUMENT"], "kk")
    assert "Удостоверение личности гражданина Республики Казахстан" in ru and "ID_CARD" not in ru
    assert "Қазақстан Республикасы азаматының жеке куәлігі" in kk
    assert '<span translate="no">справка с места работы</span>' in ru


def test_times_are_local_and_dates_in_words(app):
    with app.test_request_context():
        assert render("DEADLINE_MISSED", SAMPLES["DEADLINE_MISSED"], "ru") == \
            "завершено через 12,5 ч после срока 1 апреля 2026, 23:59"
        assert render("CLOCK_RESET", SAMPLES["CLOCK_RESET"], "ru") == \
            "принято 6 апреля 2026, подано повторно 20 апреля 2026 (срок по-прежнему считается с приёма)"


@pytest.mark.parametrize("count, returns, handoffs, consults", [
    (1, "пакет возвращён 1 раз", "1 передача,", "1 консультация заявителя"),
    (2, "пакет возвращён 2 раза", "2 передачи,", "2 консультации заявителя"),
    (5, "пакет возвращён 5 раз", "5 передач,", "5 консультаций заявителя"),
    (21, "пакет возвращён 21 раз", "21 передача,", "21 консультация заявителя"),
])
def test_russian_plurals_for_1_2_5_and_21(app, count, returns, handoffs, consults):
    with app.test_request_context():
        assert render("REPEATED_RETURN", {"returns": count}, "ru") == returns
        assert render("EXCESS_HANDOFFS", {"handoffs": count, "limit": 1}, "ru").startswith(handoffs)
        informal = render("INFORMAL_RETURN", {"consults": count, "days": count}, "ru")
        assert informal.startswith(consults)
        assert informal.endswith({1: "за 1 день до первой подачи", 2: "за 2 дня до первой подачи",
                                  5: "за 5 дней до первой подачи", 21: "за 21 день до первой подачи"}[count])
        assert "(а)" not in returns


def test_kazakh_words_a_count_the_same_for_every_number(app):
    with app.test_request_context():
        assert render("REPEATED_RETURN", {"returns": 1}, "kk") == "құжаттар топтамасы 1 рет қайтарылды"
        assert render("REPEATED_RETURN", {"returns": 5}, "kk") == "құжаттар топтамасы 5 рет қайтарылды"


def test_a_finding_without_params_shows_its_stored_detail_as_english(app):
    with app.test_request_context():
        rendered = str(finding_words("EXTRA_DOCUMENT", None, "<b>old wording</b>"))
    assert rendered == '<span lang="en">&lt;b&gt;old wording&lt;/b&gt;</span>'


ERROR_CODES = set(BAD_ROW_CODES) | set(DESK_CODES) | {
    "invalid", "override_reason_needed", "late_reason_needed", "not_your_office", "not_found",
    "unknown_decision", "review_note_needed", "still_fires", "still_open"}
ERROR_PARAMS = {"service": "701001", "day": "2026-04-06", "now": "2026-04-06T10:00+05:00", "case": "OF1-1",
                "action": "handover", "document": "Справка", "moment": "2026-04-06T05:00:00+00:00"}


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_every_error_code_is_worded_in_kazakh_russian_and_english(app, code):
    assert set(error_words.MESSAGES) == ERROR_CODES
    with app.test_request_context():
        with force_locale("en"):
            english = error_words.error_message(code, ERROR_PARAMS, catalog=CATALOG, language="en")
        for language in ("kk", "ru"):
            with force_locale(language):
                text = error_words.error_message(code, ERROR_PARAMS, catalog=CATALOG, language=language)
            assert text != english and not LATIN_WORDS.search(text.replace("handover", "")), (code, text)


def test_a_service_is_named_and_a_day_written_in_words(app):
    with app.test_request_context(), force_locale("kk"):
        text = error_words.error_message("no_version_in_force", {"service": "701001", "day": "2026-04-06"},
                                         catalog=CATALOG, language="kk")
    assert text == "6 сәуір 2026 күні Қазақстан Республикасы азаматының жеке куәлігін беру " \
                   "қызметінің қолданыстағы нұсқасы жоқ"


# The analyze CSV of a synthetic log (3 offices, 70 days, the bundled catalog, seed 7) as the
# engine wrote it when details were English sentences (before params): unchanged since.
GOLDEN_CSV_SHA256 = "5bbae66435f5f1c14d37da67be74f7ab9036ff2d39f031007dd18d657508153b"


def test_the_analyze_csv_detail_is_unchanged():
    frames = CatalogFrames.from_catalog(CATALOG)
    raw = generate_visits(CATALOG, visits=4000, start=dt.date(2026, 3, 2), days=70, offices=["OF1", "OF2", "OF3"],
                          breach_rate=0.3)
    calendar = WorkingCalendar()
    parsed = parse_visits(frame_from_text(raw.astype(str).replace("nan", "")), frames, calendar.timezone_name)
    analysis = judge(parsed.visits, frames, calendar, pd.Timestamp("2026-06-15T12:00"))
    table = analysis.finding_table()
    assert len(set(table["rule"])) >= 11
    assert hashlib.sha256(table.to_csv(index=False).encode()).hexdigest() == GOLDEN_CSV_SHA256
    # Each finding's detail is its params in English: one wording, not two.
    assert all(detail_text(rule, params) == detail for rule, params, detail
               in zip(analysis.findings["rule"], analysis.findings["params"], analysis.findings["detail"]))


def test_stored_findings_keep_params_covered_by_the_digests_and_backfilled(app, client, login, loaded_catalog):
    extra_document_visit(client, login)
    finding = db.session.scalar(select(Finding).where(Finding.rule == "EXTRA_DOCUMENT"))
    assert finding.params == {"documents": ["Salary certificate"]}
    assert finding.detail == "not required by the service: Salary certificate"
    digest = evidence.current(db.session, "finding", [finding.id])["digest"].iloc[0]
    # A finding stored before 0009: no params. Its digest differs (params are evidence too).
    db.session.execute(update(Finding).where(Finding.id == finding.id).values(params=None))
    db.session.commit()
    assert evidence.current(db.session, "finding", [finding.id])["digest"].iloc[0] != digest
    result = app.test_cli_runner().invoke(args=["findings", "backfill-params"])
    assert result.exit_code == 0 and "1 findings got their parameters; 0 could not" in result.output
    db.session.expire_all()
    assert db.session.get(Finding, finding.id).params == {"documents": ["Salary certificate"]}
    # One whose detail no run gives again is left as it is.
    db.session.execute(update(Finding).where(Finding.id == finding.id).values(params=None, detail="edited"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["findings", "backfill-params"])
    assert "0 findings got their parameters; 1 could not" in result.output
    db.session.expire_all()
    assert db.session.get(Finding, finding.id).params is None
    # The supervisor's page words a finding from its params, in the reader's language.
    db.session.execute(update(Finding).where(Finding.id == finding.id).values(
        params={"documents": ["ID_CARD"]}))
    db.session.commit()
    client.post("/logout")
    login("super1")
    page = client.get("/supervisor/findings?lang=ru").get_data(as_text=True)
    assert "не требуется для услуги:" in page


def test_no_regular_expression_reads_english_back():
    import monitor.views.words as view_words
    for name in ("DETAIL_PATTERNS", "DESK_ERROR_PATTERNS", "finding_detail", "desk_error"):
        assert not hasattr(view_words, name)


@pytest.mark.parametrize("code, params", [
    ("imported", {}), ("other_staff", {"staff": "desk3"}), ("action_change", {}),
    ("published_week", {"week": "2026-W15"}), ("window_closed", {"moment": "2026-04-08T00:00+05:00"}),
    ("findings_change", {"opens": ["STATE_SYSTEM_DOCUMENT"], "clears": ["EXTRA_DOCUMENT"]}),
])
def test_why_a_correction_waits_is_worded_from_its_code(app, code, params):
    from monitor.services.front_desk import Supervision
    from monitor.views.words import supervised_reason
    request = SimpleNamespace(why_code=code, why_params=params, why_supervised=Supervision(code, params).text)
    with app.test_request_context():
        for language in ("kk", "ru"):
            with force_locale(language):
                text = visible(str(supervised_reason(request)))
            assert text and not LATIN_WORDS.search(text.replace("desk3", "")), (language, text)
        old = SimpleNamespace(why_code=None, why_params=None, why_supervised="an imported visit")
        assert str(supervised_reason(old)) == '<span lang="en">an imported visit</span>'


def test_digests_recorded_before_the_params_columns_still_hold():
    """An empty added column adds nothing to a row's line: a finding stored before 0009 keeps
    the digest recorded for it; a value (or its removal later) changes the digest."""
    columns = sorted(Finding.__table__.columns, key=lambda c: c.name)
    before = [c for c in columns if c.name != "params"]
    row = {c.name: None for c in columns} | {"id": 1, "rule": "EXTRA_DOCUMENT", "detail": "x", "clause": "2.2.3"}
    frame = pd.DataFrame([row], dtype=object)
    assert evidence._joined(frame, columns) == evidence._joined(frame, before)
    with_params = frame.assign(params=[{"documents": ["X"]}])
    assert evidence._joined(with_params, columns) != evidence._joined(frame, columns)

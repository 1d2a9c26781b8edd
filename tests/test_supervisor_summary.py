"""The report a supervisor can act on (issue 13): the summary names what got worse and where,
every number links to exactly the findings it is made of, and a review keeps one's place."""
from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pandas as pd
import pytest
from sqlalchemy import select

from monitor.compliance.indicator_table import FINDINGS_BEHIND
from monitor.extensions import db
from monitor.models import Finding
from monitor.services import reports
from monitor.services.context import engine_inputs
from monitor.tools.synthetic import generate_visits
from monitor.views.supervisor.routes import findings_link
from services_catalog import load_catalog

pytestmark = pytest.mark.both_databases

WEEK = "2026-W12"


def load_one_bad_office(app, catalog_dir, tmp_path):
    """OF1 and OF2 breach rarely; OF3 breaches on most of its visits."""
    catalog = load_catalog(catalog_dir)
    calm = generate_visits(catalog, visits=2400, start=dt.date(2026, 2, 2), days=60, offices=["OF1", "OF2"],
                           breach_rate=0.02)
    bad = generate_visits(catalog, visits=1200, start=dt.date(2026, 2, 2), days=60, offices=["OF3"], seed=8,
                          breach_rate=0.6)
    for column in ("visit_id", "case_id"):
        bad[column] = bad[column].where(bad[column].fillna("") == "", "B" + bad[column].astype(str))
    pd.concat([calm, bad], ignore_index=True).to_csv(tmp_path / "v.csv", index=False)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["visits", "import", str(tmp_path / "v.csv")]).exit_code == 0
    assert runner.invoke(args=["findings", "sweep", "--as-of", "2026-04-30T00:00"]).exit_code == 0


def total_at(client, url: str) -> int:
    page = client.get(url + "&lang=en").get_data(as_text=True)
    return int(re.search(r'<p id="findings-total">(\d+) findings', page).group(1))


def test_the_summary_leads_with_the_office_beyond_the_limits_and_links_its_findings(
        client, login, loaded_catalog, tmp_path, app):
    load_one_bad_office(app, loaded_catalog, tmp_path)
    login("admin")
    report = reports.weekly_report(db.session, engine_inputs(), WEEK, None)
    top = report.summary[0]
    assert (top.office, top.standing) == ("OF3", "alarm")
    assert all(item.office != "OF1" or item.standing != "alarm" for item in report.summary)
    page = client.get(f"/supervisor/?week={WEEK}&lang=ru").get_data(as_text=True)
    summary = page[page.index('<ol class="summary">'):page.index("</ol>")]
    first_link = unescape(re.search(r'<a href="([^"]+)"', summary).group(1))
    assert first_link == findings_link(top.indicator, "OF3", WEEK)
    listing = client.get(first_link + "&lang=en").get_data(as_text=True)
    shown = re.findall(r'<tr class="finding[^"]*" id="finding-(\d+)"', listing)
    assert shown, "the top item leads to findings"
    for finding in db.session.scalars(select(Finding).where(Finding.id.in_([int(i) for i in shown]))):
        assert finding.rule in FINDINGS_BEHIND[top.indicator] and finding.firing
    assert "Ваш участок" in page or "OF3" in summary  # in the reader's language, naming the office
    assert "за пределом 99,8 %" in summary


def test_every_red_tape_and_deadline_number_links_to_exactly_its_findings(client, login, loaded_catalog,
                                                                          tmp_path, app):
    load_one_bad_office(app, loaded_catalog, tmp_path)
    login("admin")
    report = reports.weekly_report(db.session, engine_inputs(), WEEK, None)
    offices = report.by_scope["office"].set_index("office")
    for office in ("OF1", "OF2", "OF3"):
        completed = offices.at[office, "cases_completed"]
        red_tape = round(offices.at[office, "red_tape_per_100_cases"] * completed / 100)
        assert total_at(client, findings_link("red_tape_per_100_cases", office, WEEK)) == red_tape
        # Behind "on time": the deadlines missed. A case completed with no deadline (never
        # accepted) is not on time either, and has no DEADLINE_MISSED: hence <=.
        not_on_time = round((1 - offices.at[office, "on_time_rate"]) * completed)
        missed = total_at(client, findings_link("on_time_rate", office, WEEK))
        assert missed <= not_on_time and (office != "OF3" or missed > 0)
    assert findings_link("lead_time_p50_hours", "OF1", WEEK) is None  # no finding makes a lead time


def test_changes_say_better_or_worse_in_words_and_arrows(client, login, loaded_catalog, tmp_path, app):
    load_one_bad_office(app, loaded_catalog, tmp_path)
    login("admin")
    page = client.get(f"/supervisor/?week={WEEK}&lang=ru").get_data(as_text=True)
    changes = re.findall(r'<span class="change (\w+)"><span aria-hidden="true">([▲▼=])</span> ([^<]*)</span>', page)
    assert changes
    for css, arrow, words in changes:
        expected = {"worse": "хуже", "better": "лучше", "same": "без изменений"}.get(css)
        if expected:
            assert words.strip().endswith(expected), (css, words)
        if css != "same":
            assert arrow in "▲▼"
    assert {"worse", "better"} <= {css for css, _, _ in changes}
    assert re.search(r"\d+,\d п\. п\. (хуже|лучше)", page)  # rates change in percentage points


def test_a_review_brings_the_supervisor_back_to_the_same_place(client, login, loaded_catalog, tmp_path, app):
    load_one_bad_office(app, loaded_catalog, tmp_path)
    login("admin")
    listing_url = "/supervisor/findings?status=open&office=OF3"
    listing = client.get(listing_url + "&lang=en").get_data(as_text=True)
    first, second, third = [int(i) for i in re.findall(r'id="finding-(\d+)"', listing)[:3]]
    # The form carries the finding that follows, for when the reviewed one leaves the filter.
    assert re.search(rf'action="/supervisor/findings/{first}/review".*?name="next" value="{second}"', listing, re.S)
    response = client.post(f"/supervisor/findings/{first}/review",
                           data={"decision": "confirmed", "note": "seen", "next": second},
                           headers={"Referer": "http://localhost" + listing_url})
    location = response.headers["Location"]
    assert location.endswith(f"reviewed={first}&next={second}#place")
    back = client.get(location.split("#")[0] + "&lang=en").get_data(as_text=True)
    # The confirmed finding is no longer "open": the place is the row that followed it.
    assert back.index('id="place"') < back.index(f'id="finding-{second}"')
    assert f'id="finding-{first}"' not in back
    # Without a status filter the reviewed finding stays, and the place is its own row.
    response = client.post(f"/supervisor/findings/{third}/review", data={"decision": "dismissed", "note": "ok"},
                           headers={"Referer": "http://localhost/supervisor/findings?office=OF3"})
    back = client.get(response.headers["Location"].split("#")[0] + "&lang=en").get_data(as_text=True)
    assert re.search(rf'id="place"[^>]*>Review of finding {third} saved: dismissed\.</td></tr>\s*'
                     rf'<tr class="finding dismissed" id="finding-{third}"', back)


def test_findings_by_rule_count_the_weeks_findings_most_increased_first(client, login, loaded_catalog,
                                                                        tmp_path, app):
    load_one_bad_office(app, loaded_catalog, tmp_path)
    login("admin")
    table = reports.findings_by_rule(db.session, None, WEEK, app.config["MONITOR_TIMEZONE"])
    assert len(table) >= 3 and list(table["change"]) == sorted(table["change"], reverse=True)
    for row in table.itertuples():
        assert row.change == row.this_week - row.last_week
        assert total_at(client, f"/supervisor/findings?rule={row.rule}&week={WEEK}&firing=yes") == row.this_week
        assert total_at(client, f"/supervisor/findings?rule={row.rule}&week=2026-W11&firing=yes") == row.last_week
    # A supervisor's area counts its own offices' findings only.
    only_of1 = reports.findings_by_rule(db.session, ["OF1"], WEEK, app.config["MONITOR_TIMEZONE"])
    assert only_of1["this_week"].sum() < table["this_week"].sum()


def test_an_area_is_compared_with_the_whole_network_published_or_not(app, loaded_catalog, tmp_path):
    from monitor.services import publishing
    load_one_bad_office(app, loaded_catalog, tmp_path)
    inputs = engine_inputs()
    network = reports.weekly_report(db.session, inputs, WEEK, None)
    expected = network.trend.set_index("week").loc[WEEK]
    live = reports.weekly_report(db.session, inputs, WEEK, ["OF1"])
    publishing.publish_week(db.session, inputs, WEEK, dt.datetime(2026, 3, 23, 6, tzinfo=dt.UTC))
    db.session.commit()
    frozen = reports.weekly_report(db.session, inputs, WEEK, ["OF1"])
    for name in ("extra_document_rate", "on_time_rate", "red_tape_per_100_cases", "cases_completed"):
        assert live.network[name] == pytest.approx(expected[name]) == pytest.approx(frozen.network[name]), name
    # OF1 alone is not the network: its own rate differs from the network's it is compared with.
    of1 = live.by_scope["office"].set_index("office").loc["OF1", "extra_document_rate"]
    assert of1 != pytest.approx(live.network["extra_document_rate"])


def test_what_got_worse_is_ranked_by_the_cases_behind_it_not_the_percentage():
    """One unfounded refusal (0 -> 100 %) ranks below an office whose on-time rate fell from
    91 % to 68 % over 25 cases (issue 24)."""
    import numpy as np
    import pandas as pd

    from monitor.compliance.indicator_table import DENOMINATORS
    from monitor.services.reports import FUNNEL_INDICATORS, _summary

    offices = pd.Index(["SMALL", "LARGE"], name="office")
    now = pd.DataFrame({name: np.nan for name in FUNNEL_INDICATORS}, index=offices)
    before = now.copy()
    now.loc["SMALL", "unfounded_refusal_rate"], before.loc["SMALL", "unfounded_refusal_rate"] = 1.0, 0.0
    now.loc["LARGE", "on_time_rate"], before.loc["LARGE", "on_time_rate"] = 0.68, 0.91
    columns = sorted(set(DENOMINATORS.values()))
    counted = pd.DataFrame(0, index=offices, columns=columns)
    counted_before = counted.copy()
    counted.loc["SMALL", "refusals"], counted_before.loc["SMALL", "refusals"] = 1, 40
    counted.loc["LARGE", "cases_completed"], counted_before.loc["LARGE", "cases_completed"] = 25, 30
    empty_funnel = pd.DataFrame(columns=["office", "value", "n", "standing", "worse_by"])
    summary = _summary({name: empty_funnel for name in FUNNEL_INDICATORS}, {}, now, before, counted,
                       counted_before, pd.DataFrame(), "2026-W12", "2026-W11")
    assert [(item.office, item.indicator) for item in summary] == [
        ("LARGE", "on_time_rate"), ("SMALL", "unfounded_refusal_rate")]

"""GET /metrics: Prometheus text that parses, with the request, job, publication, mail-queue and
page-cache families; refused (404) to other addresses unless they carry the token."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap

import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor import jobs
from monitor.extensions import db
from monitor.services import mail, publishing
from tests.test_jobs import load_visits

UTC = dt.UTC
FAMILIES = {"monitor_request_duration_seconds", "monitor_job_last_success_timestamp_seconds",
            "monitor_job_last_run_duration_seconds", "monitor_job_last_run_ok", "monitor_unpublished_closed_weeks",
            "monitor_oldest_unpublished_week_end_timestamp_seconds", "monitor_mail_queue",
            "monitor_mail_oldest_pending_timestamp_seconds", "monitor_public_page_cache"}


def scrape(client, **environ) -> dict:
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1", **environ.pop("environ", {})},
                          **environ)
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {family.name: family for family in text_string_to_metric_families(response.get_data(as_text=True))}


def samples(family, **labels) -> list:
    return [s for s in family.samples if all(s.labels.get(k) == v for k, v in labels.items())]


def test_metrics_parse_and_carry_every_family(app, client, loaded_catalog, tmp_path):
    load_visits(app, loaded_catalog, tmp_path, start=dt.date(2026, 3, 2), days=14, visits=200)
    now = dt.datetime(2026, 3, 23, 1, tzinfo=UTC)  # visits from Monday of W10; W10 published
    assert jobs.publish(now, week="2026-W10").result == "ok"
    mail.queue(db.session, mail.Mail(("a@example.kz",), "s", "b", "x.txt"), "overdue_digest", "ru", now)
    db.session.commit()
    client.get("/")
    client.get("/")  # the second is the in-process cache's
    families = scrape(client)
    assert FAMILIES <= set(families)
    latency = families["monitor_request_duration_seconds"]
    assert samples(latency, endpoint="public.index", status="200")
    assert [s.value for s in samples(families["monitor_job_last_run_ok"], job="publish")] == [1.0]
    [success] = samples(families["monitor_job_last_success_timestamp_seconds"], job="publish")
    assert abs(success.value - dt.datetime.now(UTC).timestamp()) < 600
    assert samples(families["monitor_job_last_run_duration_seconds"], job="publish")
    [pending] = samples(families["monitor_mail_queue"], status="pending")
    assert pending.value == 1.0
    assert samples(families["monitor_public_page_cache"], result="hit")
    # Every ended week since the first visit's (W10) but W10 itself (the clock is today's: many weeks).
    [unpublished] = families["monitor_unpublished_closed_weeks"].samples
    expected = publishing.unpublished_weeks(db.session, dt.datetime.now(UTC), app.config["MONITOR_TIMEZONE"])
    assert unpublished.value == len(expected) > 0 and expected[0] == "2026-W11"
    [oldest] = families["monitor_oldest_unpublished_week_end_timestamp_seconds"].samples
    assert oldest.value == dt.datetime(2026, 3, 16, tzinfo=dt.timezone(dt.timedelta(hours=5))).timestamp()


def test_metrics_are_refused_elsewhere_without_the_token(app, client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404
    app.config["METRICS_TOKEN"] = "s3cret-scrape-token"
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"},
                      headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert scrape(client, environ={"REMOTE_ADDR": "10.1.2.3"},
                  headers={"Authorization": "Bearer s3cret-scrape-token"})
    app.config["METRICS_ALLOW"] = "10.1.0.0/16"
    assert scrape(client, environ={"REMOTE_ADDR": "10.1.2.3"})


def test_a_request_through_an_untrusted_proxy_needs_the_token(app, client):
    """Behind a local proxy that the app does not trust (PROXY_FIX_X_FOR=0), every request
    seems to come from 127.0.0.1: the forwarded header gives it away."""
    app.config["PROXY_FIX_X_FOR"] = 0
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                      headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404


@pytest.mark.parametrize("workers", [2])
def test_multiprocess_mode_adds_up_the_workers(tmp_path, workers):
    """PROMETHEUS_MULTIPROC_DIR set: what each process counted is in any process's answer."""
    script = textwrap.dedent(f"""
        import sys
        from monitor import create_app
        from monitor.extensions import db
        app = create_app({{"TESTING": True, "DATABASE_URL": "sqlite:///{tmp_path}/m.db", "LOG_FORMAT": "off",
                          "SECRET_KEY": "x", "APPLICANT_HASH_KEY": "y"}})
        with app.app_context():
            db.create_all()
        client = app.test_client()
        client.get("/healthz")
        if sys.argv[1] == "scrape":
            sys.stdout.write(client.get("/metrics").get_data(as_text=True))
    """)
    (tmp_path / "metrics").mkdir()  # a folder of its own: every *.db file in it is read as metrics
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    for _ in range(workers - 1):
        subprocess.run([sys.executable, "-c", script, "count"], check=True, env=environment, cwd=os.getcwd())
    answer = subprocess.run([sys.executable, "-c", script, "scrape"], check=True, env=environment,
                            capture_output=True, text=True, cwd=os.getcwd()).stdout
    families = {f.name: f for f in text_string_to_metric_families(answer)}
    [count] = [s for s in families["monitor_request_duration_seconds"].samples
               if s.name.endswith("_count") and s.labels["endpoint"] == "health.healthz"]
    assert count.value == workers
    assert "monitor_mail_queue" in families

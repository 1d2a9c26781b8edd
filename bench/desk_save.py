"""What one front-desk save costs the server: CPU time per POST /desk/visits/new, in process
(Flask's test client: no server, no network), on a database already filled (bench/generate.py,
``visits import``), so that the case's office and the weeks have their history.

    DATABASE_URL=sqlite:////tmp/desk/x.sqlite3 python bench/desk_save.py --saves 40
    python bench/desk_save.py --database sqlite:////tmp/desk/x.sqlite3 --profile /tmp/desk/save.prof
    python bench/desk_save.py --tree /tmp/old ...    # another tree (e.g. git worktree add --detach /tmp/old REV)

Adds (if missing) a desk user of ``--office`` and saves, in turn, a consultation, a first
submit (a new case, with the documents of the version in force) and a follow-up issuing
the case's result; prints the CPU milliseconds per save of each kind (median, p95). The
saves are committed: run it on a copy of a database you keep. ``--profile`` writes a
cProfile file of the timed saves (read it with ``python -m pstats`` or snakeviz), and prints
the project's functions with the most cumulative time.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import logging
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "desk-save-password"  # nosec B105 - a throwaway account of a benchmark database
KINDS = ("consult", "submit", "issue")


def _prepare(app, office: str, login: str) -> None:
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from monitor.extensions import db
    from monitor.models import Office, User
    with app.app_context():
        if db.session.get(Office, office) is None:
            db.session.add(Office(code=office, name_kk=office, name_ru=office, name_en=office, region=""))
        if db.session.scalar(select(User).where(User.login == login)) is None:
            db.session.add(User(login=login, role="desk", office_code=office,
                                password_hash=generate_password_hash(PASSWORD)))
        db.session.commit()


def _service(app, code: str | None) -> tuple[str, list[str]]:
    """A service with a version in force today, and the documents that version may require."""
    from monitor.services.context import current_catalog
    with app.app_context():
        catalog = current_catalog()
        today = dt.date.today()
        for service in ([catalog.services[code]] if code else catalog.services.values()):
            version = service.version_in_force(today)
            if version is not None and version.required_documents:
                return service.code, [entry.codes[0] for entry in version.required_documents]
    raise SystemExit("no service with a version in force today")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", "sqlite:////tmp/desk/x.sqlite3"))
    parser.add_argument("--tree", type=Path, default=ROOT, help="the source tree to measure")
    parser.add_argument("--office", default="OF-032")
    parser.add_argument("--service", default=None, help="a service code (default: the first in force)")
    parser.add_argument("--saves", type=int, default=30, help="saves of each kind")
    parser.add_argument("--warm", type=int, default=3, help="untimed rounds first")
    parser.add_argument("--profile", type=Path, default=None, help="write a cProfile file here")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    os.environ.update({"DATABASE_URL": args.database, "SECRET_KEY": os.environ.get("SECRET_KEY", "desk-save"),
                       "APPLICANT_HASH_KEY": os.environ.get("APPLICANT_HASH_KEY", "desk-save")})
    sys.path.insert(0, str(args.tree.resolve()))
    from zoneinfo import ZoneInfo

    from monitor import create_app
    logging.disable(logging.WARNING)
    app = create_app({"DATABASE_URL": args.database, "WTF_CSRF_ENABLED": False})
    login = f"bench-{args.office.lower()}"
    _prepare(app, args.office, login)
    code, documents = _service(app, args.service)
    client = app.test_client()
    response = client.post("/login", data={"login": login, "password": PASSWORD})
    assert response.status_code == 302, response.status_code  # nosec B101 - a benchmark's own check

    # Today's visits (local), a minute apart from midnight on: never in the future, never late.
    timezone = ZoneInfo(app.config["MONITOR_TIMEZONE"])
    now = dt.datetime.now(timezone).replace(tzinfo=None)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    minutes = max(3, int((now - midnight).total_seconds() // 60) - 2)
    counter = iter(range(10**9))

    def stamp(minute: int, seconds: int = 0) -> str:
        return (midnight + dt.timedelta(minutes=minute % minutes, seconds=seconds)).strftime("%Y-%m-%dT%H:%M")

    def form(**values) -> dict:
        return {"service_code": code, "documents": [], "other_documents": "", "case_number": "",
                "applicant_ref": "", "refusal_ground": "", "forwarded_to": "", "override_reason": "",
                "late_reason": "", "ticket_at": "", **values}

    def save(data: dict) -> tuple[float, str]:
        started = time.process_time()
        response = client.post("/desk/visits/new", data=data)
        spent = (time.process_time() - started) * 1000
        assert response.status_code == 302, (response.status_code, data)  # nosec B101
        return spent, response.headers["Location"]

    def one_round() -> dict[str, float]:
        minute = next(counter)
        spent = {}
        spent["consult"], _ = save(form(action="consult", called_at=stamp(minute), finished_at=stamp(minute + 1)))
        spent["submit"], location = save(form(action="submit", documents=documents,
                                              called_at=stamp(minute), finished_at=stamp(minute + 1)))
        case_number = location.rstrip("/").rsplit("/", 1)[-1]
        spent["issue"], _ = save(form(action="issue", case_number=case_number,
                                      called_at=stamp(minute + 1), finished_at=stamp(minute + 2)))
        return spent

    for _ in range(args.warm):
        one_round()
    profile = cProfile.Profile() if args.profile else None
    if profile:
        profile.enable()
    rounds = [one_round() for _ in range(args.saves)]
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    print(f"service {code}, office {args.office}, {args.saves} saves of each kind"
          f"{' (under cProfile)' if profile else ''}: CPU ms per save")
    for kind in KINDS:
        values = sorted(r[kind] for r in rounds)
        p95 = statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]
        print(f"  {kind:8} median {statistics.median(values):7.1f}  p95 {p95:7.1f}")
    if profile:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(r"/(monitor|services_catalog)/",
                                                                               args.top)
        print(out.getvalue().replace(str(args.tree.resolve()) + "/", ""))


if __name__ == "__main__":
    main()

"""The audit trail detects every kind of tampering, and proves records up to a published head."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from monitor.extensions import db
from monitor.models import AuditRecord
from monitor.stores import audit

pytestmark = pytest.mark.both_databases


@pytest.fixture
def chain(app):
    for number in range(1, 7):
        audit.record(db.session, "tester", "update", "visit", f"V{number}", old={"n": number - 1},
                     new={"n": number}, reason="test")
    db.session.commit()
    return [row.hash for row in db.session.scalars(select(AuditRecord).order_by(AuditRecord.sequence))]


def verify_cli(app, *args):
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def test_an_intact_chain_verifies(app, chain):
    result = verify_cli(app)
    assert result.exit_code == 0 and "intact: 6 records" in result.output


def test_an_altered_record_is_named(app, chain):
    db.session.execute(update(AuditRecord).where(AuditRecord.sequence == 3).values(reason="nothing happened"))
    db.session.commit()
    result = verify_cli(app)
    assert result.exit_code == 1 and "record 3 was altered" in result.output


def test_a_removed_record_is_named(app, chain):
    db.session.execute(text("DELETE FROM audit_records WHERE sequence = 4"))
    db.session.commit()
    result = verify_cli(app)
    assert result.exit_code == 1 and "record 4 is missing" in result.output


def test_a_removed_last_record_and_renumbering_are_caught_by_the_published_head(app, chain):
    published = chain[-1]
    db.session.execute(text("DELETE FROM audit_records WHERE sequence = 6"))
    db.session.commit()
    assert verify_cli(app).exit_code == 0  # a truncated chain looks whole by itself...
    result = verify_cli(app, "--head", published)  # ...but not against the published head
    assert result.exit_code == 1 and "head is not in the chain" in result.output


def test_an_inserted_record_is_named(app, chain):
    forged = AuditRecord(sequence=7, at=db.session.get(AuditRecord, 6).at, actor="intruder", action="update",
                         entity="visit", entity_id="V9", old_values=None, new_values={"n": 9},
                         reason=None, previous_hash="f" * 64, hash="e" * 64)
    db.session.add(forged)
    db.session.commit()
    result = verify_cli(app)
    assert result.exit_code == 1 and "record 7 does not follow record 6" in result.output


def test_records_up_to_a_published_head_are_proven_even_if_later_ones_change(app, chain):
    head = chain[2]
    db.session.execute(update(AuditRecord).where(AuditRecord.sequence == 5).values(actor="someone else"))
    db.session.commit()
    # --head adds a check, never replaces the walk of the whole chain: the head is proven,
    # and the later record is still named.
    result = verify_cli(app, "--head", head)
    assert result.exit_code == 1 and "record 5 was altered" in result.output
    assert "is record 3: the records up to it are unchanged" in result.output
    assert verify_cli(app).exit_code == 1

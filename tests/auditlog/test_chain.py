"""The audit log's hash chain: every row linked, every kind of tampering found,
the checkpoint outside the table, the alert, the banner, the acknowledgement and the CLI."""
from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select, text

from app.auditlog import chain
from app.auditlog.hashing import GENESIS, compute_hash
from app.auditlog.models import AuditCheckpoint
from app.core import audit
from app.core.actor import Actor
from app.core.audit import AuditEvent
from app.extensions import db
from tests.auditlog.chain_helpers import as_owner, truncate_audit_log, write_rows


def _rows() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _outcomes() -> list[str]:
    return list(db.session.scalars(select(AuditCheckpoint.kind).order_by(AuditCheckpoint.id)))


def test_every_row_links_to_the_one_before_whichever_way_it_was_written():
    write_rows(2)
    audit.record("test.event", entity_type="test", entity_id="orm", actor=Actor.system("test"))
    db.session.flush()
    audit.record("test.event", entity_type="test", entity_id="orm-2", actor=Actor.system("test"))
    audit.record_many([{"actor_kind": "system", "actor_name": "bulk", "action": "test.bulk", "entity_type": "test",
                        "entity_id": f"bulk{i}", "data": {"i": i, "ratio": 2.0}} for i in range(3)])
    db.session.commit()
    rows = _rows()
    assert len(rows) == 7 and [r.entity_id for r in rows][-4:] == ["orm-2", "bulk0", "bulk1", "bulk2"]
    assert rows[0].prev_hash == GENESIS
    for before, row in zip(rows, rows[1:]):
        assert row.prev_hash == before.row_hash and row.id > before.id
    for row in rows:
        fields = {c: getattr(row, c) for c in ("id", "created_at", "actor_kind", "actor_id", "actor_name", "action",
                                               "entity_type", "entity_id", "reservation_id", "from_state",
                                               "to_state", "reason", "data", "request_id")}
        assert compute_hash(fields, row.prev_hash) == row.row_hash
    report = chain.verify_chain()
    assert report.intact and report.row_count == 7 and report.last_id == rows[-1].id


def test_a_rolled_back_row_leaves_a_gap_not_a_break():
    write_rows(2)
    with pytest.raises(RuntimeError):
        with db.session.begin_nested():
            audit.record("test.event", entity_type="test", entity_id="gone", actor=Actor.system("test"))
            db.session.flush()
            raise RuntimeError("changed my mind")
    write_rows(2, prefix="after")
    assert [r.entity_id for r in _rows()] == ["e0", "e1", "after0", "after1"]
    assert chain.verify_chain(batch_size=2).intact


def test_the_canonical_form_treats_whole_floats_as_ints_and_times_as_utc():
    from datetime import datetime, timedelta, timezone

    seoul = timezone(timedelta(hours=9))
    a = compute_hash({"id": 1, "created_at": datetime(2026, 12, 7, 9, 0, tzinfo=seoul), "data": {"x": 2.0}}, GENESIS)
    b = compute_hash({"id": 1, "created_at": datetime(2026, 12, 7, 0, 0), "data": {"x": 2}}, GENESIS)
    c = compute_hash({"id": 1, "created_at": datetime(2026, 12, 7, 0, 0), "data": {"x": 2.5}}, GENESIS)
    assert a == b != c
    assert compute_hash({"id": 1}, GENESIS) != compute_hash({"id": 1}, "1" * 64)


def test_an_intact_check_stores_the_checkpoint_in_the_table_and_in_redis(redis):
    ids = write_rows(3)
    report = chain.run_verification()
    assert not report.alarming and _outcomes() == ["verified"]
    stored = db.session.scalars(select(AuditCheckpoint)).one()
    last = db.session.get(AuditEvent, ids[-1])
    assert (stored.last_id, stored.last_hash, stored.row_count) == (last.id, last.row_hash, 3)
    copy = json.loads(redis.get(chain.redis_key()))
    assert (copy["last_id"], copy["last_hash"], copy["row_count"]) == (last.id, last.row_hash, 3)


def test_a_changed_row_is_named_and_alarms_everyone(client, login_as, caplog):
    login_as("staff")
    ids = write_rows(5)
    chain.run_verification()
    assert 'data-banner="audit-chain"' not in client.get("/ops/audit").get_data(as_text=True)
    as_owner("UPDATE audit_events SET reason = 'nothing happened' WHERE id = :id", params={"id": ids[2]})
    with caplog.at_level(logging.CRITICAL, logger="app.auditlog.chain"):
        report = chain.run_verification()
    assert report.alarming and [(p.kind, p.row_id) for p in report.problems] == [("changed", ids[2])]
    assert any(r.levelno == logging.CRITICAL and getattr(r, "alert", None) == "CRITICAL" and str(ids[2]) in r.message
               for r in caplog.records)
    [alarm] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit_chain.broken")).all()
    assert alarm.data["first"]["row_id"] == ids[2]
    for page in ("/ops/audit", "/ops/", "/ops/reservations", "/ops/integrity"):
        body = client.get(page).get_data(as_text=True)
        assert 'data-banner="audit-chain"' in body and f"{ids[2]}번 행" in body, page


def test_a_deleted_row_is_found_at_the_row_after_it():
    ids = write_rows(5)
    as_owner("DELETE FROM audit_events WHERE id = :id", params={"id": ids[2]})
    report = chain.verify_chain(batch_size=2)
    [problem] = report.problems
    assert (problem.kind, problem.row_id, problem.facts["previous_id"]) == ("unlinked", ids[3], ids[1])
    assert f"row {ids[3]} does not follow" in chain.describe(problem)


def test_deleting_the_first_rows_is_found():
    ids = write_rows(3)
    as_owner("DELETE FROM audit_events WHERE id = :id", params={"id": ids[0]})
    [problem] = chain.verify_chain().problems
    assert (problem.kind, problem.row_id, problem.facts["previous_id"]) == ("unlinked", ids[1], None)


def test_a_row_rewritten_with_a_fresh_hash_breaks_the_next_link():
    ids = write_rows(4)
    row = db.session.get(AuditEvent, ids[1])
    fields = {c: getattr(row, c) for c in ("id", "created_at", "actor_kind", "actor_id", "actor_name", "action",
                                           "entity_type", "entity_id", "reservation_id", "from_state", "to_state",
                                           "reason", "data", "request_id")}
    fields["reason"] = "forged"
    forged = compute_hash(fields, row.prev_hash)
    as_owner("UPDATE audit_events SET reason = 'forged', row_hash = :h WHERE id = :id",
             params={"h": forged, "id": ids[1]})
    [problem] = chain.verify_chain().problems
    assert (problem.kind, problem.row_id) == ("unlinked", ids[2])


@pytest.mark.parametrize("also_checkpoints", [False, True], ids=["log-only", "log-and-checkpoint-table"])
def test_truncation_is_found_against_the_last_checkpoint(also_checkpoints, runner):
    ids = write_rows(4)
    chain.run_verification()
    truncate_audit_log(also_checkpoints=also_checkpoints)
    write_rows(1, prefix="new")          # the log goes on, from scratch
    report = chain.run_verification()
    assert report.alarming
    kinds = {p.kind for p in report.problems}
    assert kinds <= {"truncated", "rewound"} and report.problems[0].row_id == ids[-1]
    if also_checkpoints:                  # only the Redis copy is left, and it is enough
        assert {p.facts["source"] for p in report.problems} == {"redis"}
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "NOT intact" in result.output and str(ids[-1]) in result.output


def test_a_rebuilt_log_longer_than_before_is_found():
    ids = write_rows(2)
    chain.run_verification()
    truncate_audit_log()
    if db.session.connection().dialect.name == "postgresql":
        db.session.execute(text("SELECT setval('audit_events_id_seq', :first, false)"), {"first": ids[0]})
    write_rows(4, prefix="fake")           # the same ids again (and more), other rows
    [problem] = chain.verify_chain().problems
    assert (problem.kind, problem.row_id) == ("rewound", ids[-1])


def test_a_later_pass_takes_the_banner_down(client, login_as):
    login_as("staff")
    ids = write_rows(3)
    as_owner("UPDATE audit_events SET actor_name = 'someone else' WHERE id = :id", params={"id": ids[1]})
    assert chain.run_verification().alarming
    assert 'data-banner="audit-chain"' in client.get("/ops/audit").get_data(as_text=True)
    as_owner("UPDATE audit_events SET actor_name = 'test' WHERE id = :id", params={"id": ids[1]})
    assert not chain.run_verification().alarming
    assert 'data-banner="audit-chain"' not in client.get("/ops/audit").get_data(as_text=True)
    assert _outcomes() == ["broken", "verified"]


def test_only_an_admin_acknowledges_a_break_with_a_written_reason(app, client, login_as):
    ids = write_rows(3)
    as_owner("UPDATE audit_events SET reason = 'x' WHERE id = :id", params={"id": ids[0]})
    chain.run_verification()
    login_as("manager")
    assert client.post("/ops/integrity/acknowledge", data={"reason": "I looked into it."}).status_code == 403
    page = client.get("/ops/integrity").get_data(as_text=True)
    assert 'data-banner="audit-chain"' in page and "/ops/integrity/acknowledge" not in page

    admin_client = app.test_client()
    admin = login_as("admin", test_client=admin_client)
    too_short = admin_client.post("/ops/integrity/acknowledge", data={"reason": "ok"})
    assert too_short.status_code == 422 and "field-error" in too_short.get_data(as_text=True)
    assert admin_client.post("/ops/integrity/acknowledge", data={"reason": "ok"}, csrf=False).status_code in (400, 422)
    assert _outcomes() == ["broken"]
    reason = "DB restore test by the DBA on 7 Dec; copy kept in ticket 42."
    done = admin_client.post("/ops/integrity/acknowledge", data={"reason": reason})
    assert done.status_code == 302
    assert 'data-banner="audit-chain"' not in admin_client.get("/ops/audit").get_data(as_text=True)
    [ack] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit_chain.acknowledged")).all()
    assert (ack.actor_id, ack.reason) == (admin.id, reason)
    again = admin_client.post("/ops/integrity/acknowledge", data={"reason": reason}, follow_redirects=True)
    assert again.status_code == 200 and _outcomes() == ["broken", "acknowledged"]

    report = chain.run_verification()       # the known break is listed, no longer alarming: a checkpoint again
    assert not report.alarming and report.problems[0].row_id == ids[0] and _outcomes()[-1] == "verified"
    as_owner("UPDATE audit_events SET reason = 'y' WHERE id = :id", params={"id": ids[2]})
    report = chain.run_verification()       # a new break alarms again
    assert report.alarming and [p.row_id for p in report.new_problems] == [ids[2]]


def test_the_cli_exits_0_when_intact_and_1_naming_the_row_when_not(runner):
    ids = write_rows(3)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output
    as_owner("UPDATE audit_events SET data = NULL WHERE id = :id", params={"id": ids[1]})
    result = runner.invoke(args=["audit", "verify", "--batch-size", "2"])
    assert result.exit_code == 1
    assert f"audit row {ids[1]} was changed" in result.output


def test_the_nightly_job_runs_twice_safely_and_is_scheduled(caplog):
    from workers.cron import PERIODIC_JOBS
    from workers.jobs.auditlog import verify_audit_chain

    assert PERIODIC_JOBS["audit-verify"][0] == "workers.jobs.auditlog.verify_audit_chain"
    assert "cron" in PERIODIC_JOBS["audit-verify"][2]
    ids = write_rows(2)
    first, second = verify_audit_chain(), verify_audit_chain()
    assert first == second and not first["alarming"] and first["rows"] == 2
    as_owner("DELETE FROM audit_events WHERE id = :id", params={"id": ids[0]})
    with caplog.at_level(logging.CRITICAL, logger="app.auditlog.chain"):
        result = verify_audit_chain()
    assert result["alarming"] and f"row {ids[1]}" in result["first"]
    assert [r.levelno for r in caplog.records if r.name == "app.auditlog.chain"] == [logging.CRITICAL]


def test_the_integrity_page_needs_staff_and_reads_well_before_any_check(client, login_as):
    assert client.get("/ops/integrity").status_code in (302, 303, 401)
    login_as("staff")
    page = client.get("/ops/integrity")
    assert page.status_code == 200 and "아직" in page.get_data(as_text=True)

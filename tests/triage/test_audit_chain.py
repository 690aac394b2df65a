"""The audit chain is keyed and anchored outside the database (security issue 11).

Whoever can write to the database but lacks the office secret key can neither rewrite events
(recomputing plain hashes no longer fits) nor cut off the last ones unseen (the anchors
remember the head), nor forge an anchor line.
"""
import hashlib
import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, insert, select, text

from models import AuditEvent
from triage.services import audit
from triage.services.audit import (GENESIS, KEYED, PLAIN, SYSTEM, Actor, AuditKeyMissing,
                                   audit_key, record, verify)
from triage.services.audit_anchors import anchor_daily, append_anchor, check_anchors

SECRET = bytes(range(32))
KEY = audit_key(SECRET)
OFFICER = Actor("zhang", "triage")


@pytest.fixture(autouse=True)
def no_process_key(monkeypatch):
    """Each test starts without an installed audit key and leaves none behind."""
    monkeypatch.setattr(audit, "_installed", None)


def _events(session, count: int, key: bytes | None = KEY, start: int = 0) -> None:
    for number in range(start, start + count):
        record(session, OFFICER, "open_report", f"report:{number}", key=key)
    session.commit()


def _rows(session) -> list[AuditEvent]:
    return session.scalars(select(AuditEvent).order_by(AuditEvent.id)
                           .execution_options(populate_existing=True)).all()


def _legacy_events(session, count: int) -> None:
    """Events as the code before keyed hashes wrote them: no scheme column given, the hash a
    plain sha256 of the fields and the previous hash."""
    previous = GENESIS
    for number in range(count):
        at = datetime(2025, 3, 1, 9) + timedelta(minutes=number)
        fields = [at.isoformat(), "li", "triage", "open_report", f"report:{number}", "ok", "",
                  previous]
        digest = hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()
        session.execute(insert(AuditEvent.__table__).values(
            at=at, actor="li", role="triage", action="open_report", target=f"report:{number}",
            outcome="ok", detail="", prev_hash=previous, hash=digest))
        previous = digest
    session.commit()


def test_a_fresh_chain_verifies_and_only_under_its_key(db_session):
    _events(db_session, 5)
    assert {e.scheme for e in _rows(db_session)} == {KEYED}
    assert verify(db_session, KEY) == []
    wrong = verify(db_session, audit_key(b"another office secret key!!!!!!"))
    assert len(wrong) == 5 and all("changed" in p and "被改动" in p for p in wrong)
    assert any("no audit key" in p for p in verify(db_session))  # nothing installed, no key given


def test_deleting_the_last_events_is_found_after_an_anchor(db_session, tmp_path):
    anchors = tmp_path / "anchors.log"
    _events(db_session, 5)
    append_anchor(db_session, KEY, anchors)
    _events(db_session, 2, start=5)
    assert check_anchors(db_session, KEY, anchors) == []
    db_session.execute(delete(AuditEvent).where(AuditEvent.id >= 4))
    db_session.commit()
    assert verify(db_session, KEY) == []  # what is left is a whole chain: only the anchor knows
    problems = check_anchors(db_session, KEY, anchors)
    assert any("event 5" in p and "gone" in p for p in problems)
    assert any("holds 3 events, fewer than the 5" in p and "有记录被删除" in p for p in problems)


def test_rewriting_an_event_and_recomputing_plain_hashes_is_found(db_session, tmp_path):
    anchors = tmp_path / "anchors.log"
    _events(db_session, 5)
    append_anchor(db_session, KEY, anchors)
    _recompute_without_key(db_session, first=2)
    problems = verify(db_session, KEY)
    assert problems and "event 2" in problems[0] and "without the key" in problems[0]
    # Kept under the keyed scheme, the recomputed hash does not fit.
    db_session.execute(text("update audit_events set scheme = 'hmac1'"))
    db_session.commit()
    assert any("event 2: its content was changed" in p for p in verify(db_session, KEY))
    # Every event recomputed as plain: a chain that looks old; the anchor holds the real head.
    _recompute_without_key(db_session, first=1)
    assert verify(db_session, KEY) == []
    assert any("event 5 no longer has the hash" in p for p in check_anchors(db_session, KEY, anchors))


def _recompute_without_key(session, first: int) -> None:
    """What a writer without the key can do: edit event `first`, then give it and every later
    event the plain sha256 that the code before keyed hashes would have computed."""
    previous = GENESIS
    for event in _rows(session):
        if event.id == first:
            event.detail = "nothing to see"
        if event.id >= first:
            event.scheme, event.prev_hash = PLAIN, previous
            event.hash = audit.digest(event, None)
            session.flush()
        previous = event.hash
    session.commit()


def test_a_forged_anchor_line_is_found(db_session, tmp_path):
    anchors = tmp_path / "anchors.log"
    _events(db_session, 4)
    line = append_anchor(db_session, KEY, anchors)
    db_session.execute(delete(AuditEvent).where(AuditEvent.id >= 3))
    db_session.commit()
    # Replace the true anchor by one that agrees with the shortened trail, MAC made up.
    forged = line.replace("rows=4", "rows=2").replace("last_id=4", "last_id=2")
    forged = forged.replace(line.split("last_hash=")[1].split()[0], _rows(db_session)[-1].hash)
    anchors.write_text(forged + "\n" + "not an anchor at all\n")
    problems = check_anchors(db_session, KEY, anchors)
    assert any("anchor line 1" in p and "HMAC does not hold" in p and "伪造" in p for p in problems)
    assert any("anchor line 2: not an anchor" in p for p in problems)
    # A line made under another key is refused the same way.
    other = tmp_path / "other.log"
    append_anchor(db_session, audit_key(b"not the office secret key at all"), other)
    assert "HMAC does not hold" in check_anchors(db_session, KEY, other)[0]


def test_an_old_sha256_chain_followed_by_keyed_events_verifies(db_session):
    _legacy_events(db_session, 3)
    assert {e.scheme for e in _rows(db_session)} == {PLAIN}
    assert verify(db_session, KEY) == []
    _events(db_session, 2, start=3)
    assert [e.scheme for e in _rows(db_session)] == [PLAIN] * 3 + [KEYED] * 2
    assert verify(db_session, KEY) == []
    # Once keyed, a writer without the key may not append a plain event.
    with pytest.raises(AuditKeyMissing):
        record(db_session, SYSTEM, "reminders", "transfers")
    db_session.rollback()
    # And a legacy event edited is still caught.
    db_session.execute(text("update audit_events set target = 'report:99' where id = 2"))
    db_session.commit()
    assert any("event 2: its content was changed" in p for p in verify(db_session, KEY))


def test_the_office_app_keys_what_it_records_with_its_own_secret(triage_app, office_settings,
                                                                 db_session):
    with triage_app.app_context():
        record(db_session, OFFICER, "open_report", "report:1")
    db_session.commit()
    assert _rows(db_session)[0].scheme == KEYED
    assert verify(db_session, audit_key(office_settings.secret_key)) == []
    assert verify(db_session) == []  # the app's key stays installed for the process


def test_the_worker_anchors_once_a_day_and_keys_its_reminders(factory, triage_settings, tmp_path):
    settings = replace(triage_settings, secret_key=SECRET, audit_anchor_file=tmp_path / "a.log")
    noon = datetime(2025, 10, 20, 12)
    assert anchor_daily(factory, settings, noon)
    assert not anchor_daily(factory, settings, noon + timedelta(hours=5))
    assert anchor_daily(factory, settings, noon + timedelta(days=1))
    lines = (tmp_path / "a.log").read_text().splitlines()
    assert [line[:16] for line in lines] == ["2025-10-20T12:00", "2025-10-21T12:00"]
    assert audit.current_key() == KEY
    with factory() as session:
        record(session, SYSTEM, "reminders", "transfers")  # as send_reminders does, no key given
        session.commit()
        assert _rows(session)[0].scheme == KEYED and verify(session, KEY) == []
        assert check_anchors(session, KEY, tmp_path / "a.log") == []


def test_the_audit_commands_anchor_and_verify(factory, paths, database_url, tmp_path, monkeypatch):
    from triage.cli import main

    anchors = tmp_path / "off-host" / "anchors.log"
    for name, value in {"QINGFENG_DATA_DIR": str(paths.root), "QINGFENG_DATABASE_URL": database_url,
                        "QINGFENG_OFFICE_SECRET_KEY": SECRET.hex(),
                        "QINGFENG_RECEIPT_PEPPER": "ab" * 32,
                        "QINGFENG_AUDIT_ANCHOR_FILE": str(anchors)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("QINGFENG_OFFICE_PASSPHRASE", raising=False)
    runner = CliRunner()
    assert "write-once or off-host" in " ".join(runner.invoke(main, ["audit", "--help"]).output.split())
    with factory() as session:
        _events(session, 3)
    fresh = runner.invoke(main, ["audit", "verify"])
    assert fresh.exit_code == 0 and "audit trail intact" in fresh.output and "尚无锚点" in fresh.output
    anchored = runner.invoke(main, ["audit", "anchor"])
    assert anchored.exit_code == 0 and "rows=3 last_id=3" in anchored.output
    with factory() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.id == 3))
        session.commit()
    broken = runner.invoke(main, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "event 3, anchored at" in broken.output and "已不存在" in broken.output
    assert "fewer than the 3" in broken.output

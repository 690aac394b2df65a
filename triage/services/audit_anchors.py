"""Audit anchors: the head of the chain, written down outside the database.

A keyed chain cannot be recomputed without the key, but its last rows can simply be deleted:
what is left is a shorter chain that is still whole. An anchor line records, at one hour, how
many events the chain had, its last id and last hash, with an HMAC under the audit key:

    2025-10-20T14:00Z rows=1234 last_id=1234 last_hash=<64 hex> hmac=<64 hex>

`check_anchors` then finds a chain that lost an anchored event or holds fewer events than the
latest anchor saw, and a line that was forged or edited. The file belongs where whoever can
write to the database cannot rewrite it: write-once storage or another host
(QINGFENG_AUDIT_ANCHOR_FILE); by default it is <data>/logs/audit-anchors.log.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config.office_settings import TriageSettings
from models.audit import AuditEvent
from models.base import utcnow
from triage.services.audit import GENESIS, install_audit_key

log = logging.getLogger("qingfeng.audit")
# Separates anchor MACs from row MACs made with the same key.
MAC_DOMAIN = b"qingfeng/v1/audit-anchor\n"
_anchored_on: dict[Path, date] = {}  # the day each file was last anchored by this process


@dataclass(frozen=True)
class Anchor:
    """The head of the chain at one hour (UTC)."""

    at: str
    rows: int
    last_id: int
    last_hash: str

    def body(self) -> str:
        return f"{self.at} rows={self.rows} last_id={self.last_id} last_hash={self.last_hash}"


def _mac(key: bytes, anchor: Anchor) -> str:
    return hmac.new(key, MAC_DOMAIN + anchor.body().encode(), hashlib.sha256).hexdigest()


def head(session: Session, now: datetime) -> Anchor:
    """The chain's head now: count, last id and hash read in one statement (one snapshot)."""
    count = select(func.count(AuditEvent.id)).scalar_subquery()
    last = session.execute(select(AuditEvent.id, AuditEvent.hash, count)
                           .order_by(AuditEvent.id.desc()).limit(1)).first()
    at = now.strftime("%Y-%m-%dT%H:00Z")
    return Anchor(at, last[2], last[0], last[1]) if last else Anchor(at, 0, 0, GENESIS)


def append_anchor(session: Session, key: bytes, path: Path, now: datetime | None = None) -> str:
    """Append the head's anchor line to `path` (created 0600, written through); returns it."""
    anchor = head(session, now or utcnow())
    line = f"{anchor.body()} hmac={_mac(key, anchor)}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
    return line.rstrip("\n")


def anchor_daily(factory: sessionmaker[Session], settings: TriageSettings,
                 now: datetime | None = None) -> bool:
    """The worker's round: install its audit key (the reminders it writes are keyed too), and
    once per UTC day append an anchor. A file that cannot be written is logged, not raised,
    so the sweep on the same round still runs. True when a line was written."""
    key = install_audit_key(settings.secret_key)
    today = (now or utcnow()).date()
    path = settings.audit_anchor_path
    if _anchored_on.get(path) == today or _last_anchor_day(path) == today.isoformat():
        _anchored_on[path] = today
        return False
    try:
        with factory() as session:
            append_anchor(session, key, path, now)
    except OSError as exc:
        log.warning("audit anchor not written to %s: %s", path, exc.strerror)
        return False
    _anchored_on[path] = today
    return True


def _last_anchor_day(path: Path) -> str | None:
    try:
        lines = [line for line in path.read_text(encoding="ascii").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError):  # write-only storage, or not there yet
        return None
    return lines[-1][:10] if lines else None


def parse(line: str) -> tuple[Anchor, str] | None:
    """(anchor, its hmac) from one line; None when the line is not exactly an anchor."""
    at, *pairs = line.split(" ")
    fields = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
    try:
        anchor = Anchor(at, int(fields["rows"]), int(fields["last_id"]), fields["last_hash"])
    except (KeyError, ValueError):
        return None
    mac = fields.get("hmac", "")
    return (anchor, mac) if line == f"{anchor.body()} hmac={mac}" else None


def check_anchors(session: Session, key: bytes, path: Path) -> list[str]:
    """Problems between the chain and the anchors in `path`, in English and Chinese: lines that
    are not anchors or whose HMAC fails, anchored events gone or changed, and fewer events than
    the latest anchor counted (the last rows deleted)."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []
    problems: list[str] = []
    latest: Anchor | None = None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parsed = parse(line.strip())
        if parsed is None:
            problems.append(f"anchor line {number}: not an anchor / 第 {number} 行不是锚点")
        elif not hmac.compare_digest(_mac(key, parsed[0]), parsed[1]):
            problems.append(f"anchor line {number} ({parsed[0].at}): its HMAC does not hold, "
                            f"the line was forged or edited / 第 {number} 行锚点（{parsed[0].at}）"
                            "的 HMAC 不符：该行被伪造或改动")
        else:
            latest = parsed[0]
            problems.extend(_anchored_event(session, latest))
    if latest is not None:
        problems.extend(_enough_rows(session, latest))
    return problems


def _anchored_event(session: Session, anchor: Anchor) -> list[str]:
    if not anchor.last_id:
        return []
    stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == anchor.last_id))
    if stored is None:
        return [(f"event {anchor.last_id}, anchored at {anchor.at}, is gone / "
                 f"{anchor.at} 锚定的第 {anchor.last_id} 条记录已不存在")]
    if not hmac.compare_digest(stored, anchor.last_hash):
        return [(f"event {anchor.last_id} no longer has the hash anchored at {anchor.at} / "
                 f"第 {anchor.last_id} 条记录的哈希与 {anchor.at} 的锚点不符")]
    return []


def _enough_rows(session: Session, latest: Anchor) -> list[str]:
    rows = session.scalar(select(func.count(AuditEvent.id))) or 0
    if rows >= latest.rows:
        return []
    return [(f"the trail holds {rows} events, fewer than the {latest.rows} anchored at "
             f"{latest.at}: events were deleted / 审计记录只有 {rows} 条，少于 {latest.at} "
             f"锚定的 {latest.rows} 条：有记录被删除")]

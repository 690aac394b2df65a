"""`qingfeng user …` and `qingfeng audit …`."""
from __future__ import annotations

import sys
from collections.abc import Callable

import click

from config.data import AGENCIES, ConfigError
from config.office_settings import triage_settings_from_env
from models.session import make_engine, make_sessionmaker
from models.staff import ROLES
from triage.accounts import (
    AccountRefused, create_staff, disable, enable, find_staff, list_staff, reset_totp, set_password,
    set_role, unlock,
)
from triage.services.audit import Actor, audit_key, install_audit_key, verify


def _sessions():  # type: ignore[no-untyped-def]
    try:
        settings = triage_settings_from_env()
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    install_audit_key(settings.secret_key)  # what these commands record is keyed (P5)
    return settings, make_sessionmaker(make_engine(settings.database_url))


@click.group("user")
def user_group() -> None:
    """Back-office accounts (every change is audited; most end the account's sessions)."""


CLI_ACTOR = Actor("cli", "admin")


def _on_account(username: str, done: str, change: Callable) -> None:
    """Apply `change(session, staff, settings)` (a triage.accounts action) to the account in one
    transaction; a refusal by the account rules exits 2 with their message."""
    settings, factory = _sessions()
    try:
        with factory.begin() as session:
            change(session, find_staff(session, username), settings)
    except AccountRefused as refused:
        raise click.UsageError(str(refused)) from None
    click.echo(f"{username}: {done}")


@user_group.command("add")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(sorted(ROLES)), required=True)
@click.option("--agency", type=click.Choice(AGENCIES), help="The agency of a liaison.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
@click.option("--see-contact", is_flag=True, help="A liaison may see reporters' contact details.")
def add_user(username: str, role: str, agency: str | None, password: str, see_contact: bool) -> None:
    """Create a staff account; the TOTP second factor is enrolled at first login."""
    settings, factory = _sessions()
    try:
        with factory.begin() as session:
            create_staff(session, CLI_ACTOR, username, role, agency, password, see_contact,
                         settings.password_kdf)
    except AccountRefused as refused:
        raise click.UsageError(str(refused)) from None
    click.echo(f"created {role} {username}; TOTP is set up at the first login")


@user_group.command("list")
def list_users() -> None:
    """Every account: name, role, agency, state, TOTP, lock."""
    _, factory = _sessions()
    with factory.begin() as session:
        for staff in list_staff(session, CLI_ACTOR):
            locked = f"locked until {staff.locked_until:%Y-%m-%d %H:%M} UTC" \
                if staff.locked_until else ""
            click.echo(f"{staff.username:<20} {staff.role:<11} {staff.agency or '-':<6} "
                       f"{'active' if staff.active else 'disabled':<8} "
                       f"{'totp' if staff.totp_enrolled else 'no-totp':<7} {locked}".rstrip())


@user_group.command("disable")
@click.argument("username")
def disable_user(username: str) -> None:
    """Stop an account from logging in; its sessions end at once."""
    _on_account(username, "disabled, sessions ended",
                lambda session, staff, _: disable(session, CLI_ACTOR, staff))


@user_group.command("enable")
@click.argument("username")
def enable_user(username: str) -> None:
    """Let a disabled account log in again."""
    _on_account(username, "enabled", lambda session, staff, _: enable(session, CLI_ACTOR, staff))


@user_group.command("unlock")
@click.argument("username")
def unlock_user(username: str) -> None:
    """Lift the account-wide lock (after a flood of failed logins); sessions end."""
    _on_account(username, "unlocked, sessions ended",
                lambda session, staff, _: unlock(session, CLI_ACTOR, staff))


@user_group.command("reset-totp")
@click.argument("username")
def reset_user_totp(username: str) -> None:
    """Lost phone: the next login enrols a new authenticator; sessions end."""
    _on_account(username, "TOTP reset (enrolled again at the next login), sessions ended",
                lambda session, staff, _: reset_totp(session, CLI_ACTOR, staff))


@user_group.command("set-role")
@click.argument("username")
@click.option("--role", type=click.Choice(sorted(ROLES)), required=True)
@click.option("--agency", type=click.Choice(AGENCIES), help="The agency of a liaison.")
@click.option("--see-contact", is_flag=True, help="A liaison may see reporters' contact details.")
def set_user_role(username: str, role: str, agency: str | None, see_contact: bool) -> None:
    """Change an account's role (and a liaison's agency); sessions end."""
    _on_account(username, f"now {role}, sessions ended", lambda session, staff, _: set_role(
        session, CLI_ACTOR, staff, role, agency, see_contact))


@user_group.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
def set_user_password(username: str, password: str) -> None:
    """Give an account a new password (the policy applies); sessions end."""
    _on_account(username, "password set, sessions ended", lambda session, staff, settings:
                set_password(session, CLI_ACTOR, staff, password, settings.password_kdf))


@click.group("audit")
def audit_group() -> None:
    """The audit trail: a hash chain keyed under the office secret key, and anchors of its head
    in QINGFENG_AUDIT_ANCHOR_FILE (default <data>/logs/audit-anchors.log). Point that file at
    write-once or off-host storage, out of reach of whoever can write to the database."""


@audit_group.command("verify")
def verify_audit() -> None:
    """Check the chain under the audit key and against every anchor; exit 1 naming each problem
    (an event changed, deleted or recomputed, the last events cut off, an anchor forged)."""
    from triage.services.audit_anchors import check_anchors

    settings, factory = _sessions()
    key, anchors = audit_key(settings.secret_key), settings.audit_anchor_path
    with factory() as session:
        problems = verify(session, key) + check_anchors(session, key, anchors)
    if problems:
        for problem in problems:
            click.echo(problem)
        sys.exit(1)
    click.echo("audit trail intact")
    if not anchors.exists():
        click.echo(f"no anchors in {anchors} yet: deleting the last events would go unseen; "
                   "run 'qingfeng audit anchor' / 尚无锚点：删去最后几条记录将无法发现")


@audit_group.command("anchor")
def anchor_audit() -> None:
    """Append the chain's head (UTC hour, events, last id and hash, HMAC under the audit key)
    to the anchor file; `verify` then finds the last events cut off. The worker writes one a
    day; keep the file on write-once or off-host storage (QINGFENG_AUDIT_ANCHOR_FILE)."""
    from triage.services.audit_anchors import append_anchor

    settings, factory = _sessions()
    path = settings.audit_anchor_path
    try:
        with factory() as session:
            line = append_anchor(session, audit_key(settings.secret_key), path)
    except OSError as exc:
        click.echo(f"error: cannot append to {path}: {exc.strerror} / 无法写入锚点文件", err=True)
        sys.exit(1)
    click.echo(f"anchored in {path}: {line}")


@click.command("reminders")
def reminders() -> None:
    """Remind agencies of overdue and nearly-due transfers (run hourly, or by the worker)."""
    from models.base import utcnow
    from config.deadlines import load_rules
    from triage.services.deadlines import send_reminders

    _, factory = _sessions()
    with factory.begin() as session:
        count = send_reminders(session, utcnow(), load_rules())
    click.echo(f"{count} reminder(s) written")


@click.command("export")
@click.argument("kind", type=click.Choice(["ledger", "disclosures", "rectification"]))
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--agency", type=click.Choice(AGENCIES))
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False), help="File to write (default: the form's name).")
def export_command(kind: str, start, end, agency: str | None, fmt: str, output: str | None) -> None:  # type: ignore[no-untyped-def]
    """Export the ledger (annex 3), the disclosure summary (annex 2) or the rectification
    statistics (annex 4); audited like an export from the page."""
    from triage.keys import load_office_private_key, private_key_path
    from triage.services.export import export

    settings, factory = _sessions()
    if not settings.office_passphrase:
        raise click.UsageError("exports decrypt the ledger: set QINGFENG_OFFICE_PASSPHRASE")
    key = load_office_private_key(private_key_path(settings.paths), settings.office_passphrase)
    with factory.begin() as session:
        name, content = export(session, key, kind, start.date(), end.date(), agency, fmt,
                               Actor("cli", "supervisor"))
    with open(output or name, "wb") as handle:
        handle.write(content)
    click.echo(f"wrote {output or name} ({len(content)} bytes)")

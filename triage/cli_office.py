"""`qingfeng user …` and `qingfeng audit …`."""
from __future__ import annotations

import sys

import click
from sqlalchemy import select

from config.data import AGENCIES, ConfigError
from config.office_settings import triage_settings_from_env
from models.session import make_engine, make_sessionmaker
from models.staff import ROLES, Staff
from triage.passwords import MIN_PASSWORD, hash_password
from triage.services.audit import Actor, record, verify


def _sessions():  # type: ignore[no-untyped-def]
    try:
        settings = triage_settings_from_env()
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    return settings, make_sessionmaker(make_engine(settings.database_url))


@click.group("user")
def user_group() -> None:
    """Back-office accounts."""


@user_group.command("add")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(sorted(ROLES)), required=True)
@click.option("--agency", type=click.Choice(AGENCIES), help="The agency of a liaison.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
@click.option("--see-contact", is_flag=True, help="A liaison may see reporters' contact details.")
def add_user(username: str, role: str, agency: str | None, password: str, see_contact: bool) -> None:
    """Create a staff account; the TOTP second factor is enrolled at first login."""
    if role == "liaison" and not agency:
        raise click.UsageError("a liaison needs --agency")
    if role != "liaison" and agency:
        raise click.UsageError("--agency is for liaisons only")
    if len(password) < MIN_PASSWORD:
        raise click.UsageError(f"the password needs at least {MIN_PASSWORD} characters")
    settings, factory = _sessions()
    with factory.begin() as session:
        if session.scalar(select(Staff).where(Staff.username == username)):
            raise click.UsageError(f"user {username} exists")
        session.add(Staff(username=username, role=role, agency=agency, can_see_contact=see_contact,
                          password_hash=hash_password(password, settings.password_kdf)))
        record(session, Actor("cli", "admin"), "user_add", f"staff:{username}", detail=role)
    click.echo(f"created {role} {username}; TOTP is set up at the first login")


@click.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
def verify_audit() -> None:
    """Walk the hash chain; exit 1 and name each broken event if it was tampered with."""
    _, factory = _sessions()
    with factory() as session:
        problems = verify(session)
    if problems:
        for problem in problems:
            click.echo(problem)
        sys.exit(1)
    click.echo("audit trail intact")


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

"""`qingfeng token add|list|revoke`: partner tokens for the API's official channels.

Run where both the portal secret key (tokens are HMACs under it) and the office settings (the
database, the audit key) are at hand. Issuing and revoking are audited; each use is counted on
the token's row by the portal.
"""
from __future__ import annotations

import sys

import click

from config.data import ConfigError
from config.office_settings import triage_settings_from_env
from config.settings import read_secret
from models.session import make_engine, make_sessionmaker
from models.shared.partner_tokens import TokenRefused, issue_token, list_tokens, revoke_token
from triage.services.audit import Actor, install_audit_key, record

CLI_ACTOR = Actor("cli", "admin")


def _context():  # type: ignore[no-untyped-def]
    """(portal secret key, sessionmaker), or exit 1 naming the missing setting."""
    try:
        settings = triage_settings_from_env()
        portal_key = read_secret(settings.paths, "portal_secret_key", "PORTAL_SECRET_KEY")
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    install_audit_key(settings.secret_key)  # what these commands record is keyed (P5)
    return portal_key, make_sessionmaker(make_engine(settings.database_url))


def _channels(values: tuple[str, ...]) -> list[str]:
    """`--channels 电话,信访举报` or the option repeated; ASCII or full-width commas."""
    return [c.strip() for value in values for c in value.replace("，", ",").split(",") if c.strip()]


@click.group("token")
def token_group() -> None:
    """Partner tokens of the public API (channels other than 网络)."""


@token_group.command("add")
@click.option("--name", required=True, help="Who holds the token, e.g. 省信访平台.")
@click.option("--channels", "channels", multiple=True, required=True,
              help="Channels the token may submit under, comma-separated.")
def add_token(name: str, channels: tuple[str, ...]) -> None:
    """Issue a token and print it once: only its HMAC is stored."""
    portal_key, factory = _context()
    wanted = _channels(channels)
    try:
        with factory.begin() as session:
            token = issue_token(session, portal_key, name, wanted)
            record(session, CLI_ACTOR, "partner_token_add", f"partner:{name}"[:80],
                   detail=",".join(wanted))
    except TokenRefused as refused:
        raise click.UsageError(str(refused)) from None
    click.echo(f"token for {name} ({','.join(wanted)}), shown this once; send it as "
               f"'Authorization: Bearer <token>':\n{token}")


@token_group.command("list")
def list_command() -> None:
    """Every token: name, channels, uses, last use (to the hour), state. Never the token."""
    _, factory = _context()
    with factory() as session:
        rows = list_tokens(session)
    for row in rows:
        last = row.last_used_at.strftime("%Y-%m-%d %H:00") if row.last_used_at else "never"
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "live"
        click.echo(f"{row.name}\t{','.join(row.channels)}\tuses={row.uses}\tlast={last}\t{state}")
    if not rows:
        click.echo("no tokens")


@token_group.command("revoke")
@click.option("--name", required=True)
def revoke_command(name: str) -> None:
    """Revoke a token at once; the row stays as a record."""
    _, factory = _context()
    try:
        with factory.begin() as session:
            revoke_token(session, name)
            record(session, CLI_ACTOR, "partner_token_revoke", f"partner:{name}"[:80])
    except TokenRefused as refused:
        raise click.UsageError(str(refused)) from None
    click.echo(f"revoked the token of {name}")

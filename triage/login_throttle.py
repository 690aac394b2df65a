"""Failed staff logins, counted per (account, client), per client and per account.

Locking an account after a few failures let anyone lock anyone out. Instead a client that fails
`max_failed_logins` times on one account is refused on that account for `lockout_minutes`, and
one that fails `max_failed_logins_per_client` times on any accounts is refused everywhere for as
long, while every other client still gets in. Only a flood from many clients on one account
(`account_lock_failures` in an hour) locks the account itself, for `account_lock_minutes` or
until an administrator unlocks it.

The counts live in flask-limiter's storage (`limits`: memory, or Redis when configured), and
expire. A client appears there only as an HMAC of its address under a salt drawn at random in
this process and changed daily: never stored, never logged, so the keys cannot be turned back
into addresses even by someone holding the office's secrets. The price: with several office
processes each counts its own share of a client's failures (the account-wide count, keyed by
name, is shared).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime

from limits.errors import StorageError
from limits.storage import storage_from_string

from config.office_settings import TriageSettings

log = logging.getLogger("qingfeng.office")
HOUR = 3600


class LoginThrottle:
    """Counts failures and says whether a client may try an account."""

    PREFIX = "qf-office-login"

    def __init__(self, settings: TriageSettings) -> None:
        self.settings = settings
        self.storage = storage_from_string(settings.ratelimit_storage, wrap_exceptions=True)
        self._seed = secrets.token_bytes(32)  # in this process's memory only

    def _hash(self, kind: str, value: str) -> str:
        day = datetime.now(UTC).strftime("%Y-%m-%d").encode()
        salt = hmac.new(self._seed, day, hashlib.sha256).digest()
        return hmac.new(salt, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]

    def _keys(self, username: str, address: str) -> tuple[str, str]:
        """The (account, client) key and the client key."""
        account = self._hash("account", username.casefold())
        client = self._hash("client", address)
        return f"{self.PREFIX}:pair:{account}:{client}", f"{self.PREFIX}:client:{client}"

    def _account_key(self, username: str) -> str:
        # Shared by every process (no random salt): an account name is no secret of a client.
        name = hashlib.sha256(username.casefold().encode()).hexdigest()[:32]
        return f"{self.PREFIX}:account:{name}"

    def refused(self, username: str, address: str) -> bool:
        """True while this client is refused on this account (or on every account)."""
        pair, client = self._keys(username, address)
        try:
            return any(self.storage.get(f"{key}:block") for key in (pair, client))
        except StorageError:
            log.warning("login limits unavailable: storage error; not refusing")
            return False

    def failed(self, username: str, address: str) -> bool:
        """Count one failure; True when it brings the account to a lock (every
        `account_lock_failures` failures within an hour, from any clients)."""
        s, window = self.settings, self.settings.lockout_minutes * 60
        pair, client = self._keys(username, address)
        limits = ((pair, s.max_failed_logins), (client, s.max_failed_logins_per_client))
        try:
            for key, limit in limits:
                if self.storage.incr(key, window) >= limit:
                    self.storage.clear(key)
                    self.storage.incr(f"{key}:block", window)  # refused for a full window
            count = self.storage.incr(self._account_key(username), HOUR)
        except StorageError:
            log.warning("login limits unavailable: storage error; failure not counted")
            return False
        return count % s.account_lock_failures == 0

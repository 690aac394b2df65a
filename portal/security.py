"""CSRF, rate limits, response headers and error pages of the portal.

Rate-limit keys are an HMAC of the client address under a daily key derived from the portal
secret: they live only in memory or Redis, expire, and say nothing about who the client was (P4).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from datetime import UTC, datetime

from collections.abc import Callable
from functools import lru_cache

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError, CSRFProtect
from limits import RateLimitItem, parse_many
from werkzeug.exceptions import HTTPException, TooManyRequests

from config.settings import PortalSettings
from models.shared.web import secure_headers
from portal import texts

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
log = logging.getLogger("qingfeng.portal")


def client_key() -> str:
    """An opaque, daily-changing key for the client, never its address.

    Keyed by a random salt of the day that lives only in the limiter's storage (Redis, which
    keeps nothing on disk) or in this process, never derived from a secret on disk: with the
    data folder, a backup and the logs, nobody can try every IPv4 address to undo a key (P2).
    """
    address = (request.remote_addr or "").encode()
    return hmac.new(_salts.today(), address, hashlib.sha256).hexdigest()[:32]


class DailySalt:
    """A random salt per UTC day, shared by every process through Redis when the limits live
    there (SET NX, expiring after two days), else kept in this process only."""

    def __init__(self) -> None:
        self._day = ""
        self._salt = b""
        self._lock = threading.Lock()

    def today(self) -> bytes:
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        if day != self._day:
            with self._lock:
                if day != self._day:
                    self._salt, self._day = self._shared(day), day
        return self._salt

    @staticmethod
    def _shared(day: str) -> bytes:
        fresh = secrets.token_bytes(32)
        url = current_app.config.get("RATELIMIT_STORAGE_URI", "")
        if not url.startswith(("redis://", "rediss://")):
            return fresh
        try:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
            key = f"{KEY_PREFIX}:salt:{day}"
            client.set(key, fresh, nx=True, ex=2 * 86400)
            return client.get(key) or fresh
        except Exception:  # Redis down: limits fall back to this process's memory, and so does the salt
            log.warning("rate-limit salt: Redis unreachable, using a salt of this process")
            return fresh


_salts = DailySalt()


def setting(name: str):  # type: ignore[no-untyped-def]
    """A limit read from the app's settings when the request comes in."""
    return lambda: getattr(current_app.config["QINGFENG"], name)


def api_submissions_per_day() -> str:
    """The API's daily cap per client: the deployment's `api_submissions_per_day` when its
    settings have one, else the web form's `submissions_per_day` (a client gets no more
    reports a day through the API than through the form)."""
    settings = current_app.config["QINGFENG"]
    return getattr(settings, "api_submissions_per_day", "") or settings.submissions_per_day


KEY_PREFIX = "qf-portal"
limiter = Limiter(client_key, key_prefix=KEY_PREFIX, headers_enabled=False)
csrf = CSRFProtect()

# One budget per client for every receipt look-up (the /status page, reply, evidence and the
# API's /status): four endpoints do not give a guesser four times the tries.
LOOKUP_SCOPE = "receipt-lookup"


def lookup_budget(view):  # type: ignore[no-untyped-def]
    """Charge a POST to `view` to the client's one look-up budget."""
    return limiter.shared_limit(setting("lookups_per_client"), scope=LOOKUP_SCOPE,
                                methods=["POST"])(view)


class WrongCodesSpent(TooManyRequests):
    """So many wrong receipt codes arrived from everywhere that wrong codes are refused for now;
    right codes are still answered."""


_FAILURES = "receipt-failures"  # the global count of wrong codes, in the limiter's storage


@lru_cache(maxsize=8)
def _failure_limits(text: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(text))


def _failure_budget() -> tuple[RateLimitItem, ...]:
    return _failure_limits(current_app.config["QINGFENG"].lookups_global)


def wrong_codes_allowed() -> bool:
    """Checked before the scrypt, on every look-up: may a wrong code be told "not found" now?
    Reads the count only; a right code is answered whatever it says."""
    try:
        return all(limiter.limiter.test(item, KEY_PREFIX, _FAILURES) for item in _failure_budget())
    except Exception:  # storage unreachable: the per-client budget still holds
        return True


def count_wrong_code() -> bool:
    """After a miss: count it; False when the budget is spent (by this miss or meanwhile)."""
    try:
        return all(limiter.limiter.hit(item, KEY_PREFIX, _FAILURES) for item in _failure_budget())
    except Exception:  # storage unreachable: the per-client budget still holds
        return True


# Views whose form is shown again, with what was typed, when a limit, an expired page or a
# fault stops a POST to them: endpoint → renderer(message, status). Files cannot be kept.
FORM_AGAIN: dict[str, Callable[[str, int], tuple[str, int]]] = {}


def _form_again(message: str, status: int) -> tuple[str, int] | None:
    renderer = FORM_AGAIN.get(request.endpoint or "")
    if renderer is None or request.method != "POST" or is_api():
        return None
    return renderer(message, status)


def blank_form(page: str) -> Response:
    """An empty form page: cacheable in this browser only and revalidated, so that going back
    to it (after a refusal, a lost connection) brings back what was typed."""
    response = current_app.make_response(page)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def is_api() -> bool:
    return request.path.startswith("/api/")


def install_security(app: Flask, settings: PortalSettings) -> None:
    """Wire CSRF, limits, headers and error pages into `app`."""
    app.config["WTF_CSRF_ENABLED"] = settings.csrf_enabled
    # A report can take a long time to write on a phone; the default hour would lose it.
    app.config["WTF_CSRF_TIME_LIMIT"] = 6 * 3600
    app.config["RATELIMIT_STORAGE_URI"] = settings.ratelimit_storage
    app.config["RATELIMIT_ENABLED"] = True
    # Redis down: count in this process's memory instead of refusing every request (the
    # limiter logs the switch once and goes back when Redis answers again).
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True
    csrf.init_app(app)
    limiter.init_app(app)
    app.after_request(lambda response: secure_headers(response, CSP))
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(RateLimitExceeded, _too_many)
    app.register_error_handler(WrongCodesSpent, _wrong_codes_spent)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_error)


def error_page(message: str, status: int) -> tuple[Response | str, int]:
    """A JSON error under /api/, a Chinese page elsewhere."""
    if is_api():
        return jsonify(error=message), status
    return render_template("error.html", message=message, status=status), status


def _csrf_error(_error: CSRFError) -> tuple[Response | str, int]:
    from flask import session

    session.clear()
    return _form_again(texts.CSRF_KEPT, 400) or error_page(texts.CSRF, 400)


def _too_many(_error: RateLimitExceeded) -> tuple[Response | str, int]:
    kept = _form_again(texts.TOO_MANY_KEPT.format(phone=_phone()), 429)
    if kept is not None:
        return kept
    return error_page(texts.TOO_MANY, 429)


def _phone() -> str:
    phone = current_app.extensions["qingfeng_jurisdiction"].phone
    return f"{phone.number}（{phone.office}）"


def _wrong_codes_spent(_error: WrongCodesSpent) -> tuple[Response | str, int]:
    return error_page(texts.WRONG_CODES_SPENT, 429)


def _http_error(error: HTTPException) -> tuple[Response | str, int]:
    status = error.code or 500
    message = {
        404: texts.NOT_FOUND,
        405: texts.BAD_REQUEST,
        413: texts.TOO_LARGE,
        415: "请以 application/json 提交。",
    }.get(status, texts.BAD_REQUEST if status < 500 else texts.SERVER_ERROR)
    return error_page(message, status)


RETRY_AFTER = "60"


def _server_error(error: Exception) -> tuple[Response | str, int] | Response:
    if isinstance(error, HTTPException):
        return _http_error(error)
    # Log the type only: an exception message may quote what the reporter typed.
    log.error("unhandled %s in %s", type(error).__name__, request.endpoint)
    if not _is_outage(error):
        return error_page(texts.SERVER_ERROR, 500)
    # The database or Redis is away for a moment: say so, keep the words, ask to retry.
    body, status = _form_again(texts.UNAVAILABLE_KEPT, 503) or error_page(texts.UNAVAILABLE, 503)
    response = current_app.make_response((body, status))
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def _is_outage(error: Exception) -> bool:
    """A fault of a backing service (database refused or gone, Redis away), not a bug."""
    from sqlalchemy.exc import DBAPIError, TimeoutError as PoolTimeout

    if isinstance(error, (DBAPIError, PoolTimeout, ConnectionError, TimeoutError)):
        return True
    try:
        from redis.exceptions import ConnectionError as RedisDown, TimeoutError as RedisSlow
    except ImportError:  # pragma: no cover - redis is a dependency
        return False
    return isinstance(error, (RedisDown, RedisSlow))

"""Response headers both apps send: no caching (unless a view says otherwise), no referrer, no framing, a strict CSP."""
from __future__ import annotations

from typing import Protocol


class _Response(Protocol):
    headers: dict


def secure_headers(response: _Response, csp: str) -> _Response:
    """Headers for every response of both apps (`csp`: each app's Content-Security-Policy)."""
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    # Shared phones and internet cafés: nothing a reporter saw stays in a cache. A view may
    # choose otherwise for a page that holds nothing of anyone's (the empty report form, so that
    # going back to it brings back what was typed, which no-store would throw away).
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response

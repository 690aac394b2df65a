"""The accessibility check: axe-core (tests/browser/package.json, installed by `make
browser-deps`) run inside Chromium on a page. The portal itself never loads a script: the
check runs in a separate browser context with JavaScript on and the page's CSP bypassed."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.backends import IN_CI

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def require_axe() -> None:
    if not AXE.exists():
        reason = "axe-core missing: run `make browser-deps` (npm ci in tests/browser)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


def axe_context(browser, **options):  # type: ignore[no-untyped-def]
    return browser.new_context(java_script_enabled=True, bypass_csp=True, **options)


def violations(page, name: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    """The serious and critical axe violations of the page as loaded, one line each. With
    QINGFENG_SCREENSHOTS set (`make screenshots`), the page is also saved there as `name`.png."""
    folder = os.environ.get("QINGFENG_SCREENSHOTS")
    if folder and name:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['target']})"
            for v in result["violations"] if v["impact"] in BLOCKING]

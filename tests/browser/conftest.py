"""Browser fixtures: Debian's Chromium through playwright, and the office fixtures."""
from pathlib import Path

import pytest

from tests.backends import IN_CI
from tests.triage.conftest import make_staff, office_settings, triage_app  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        reason = "Debian chromium missing: run tests/browser/install-chromium.sh as root"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield browser
        browser.close()



"""In Chromium: the receipt survives a reload and a reload files nothing twice; the daily limit
keeps what was typed; every portal page passes the axe check (no serious or critical issue)."""
import threading

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from models import Report
from tests.browser.axe import axe_context, require_axe, violations

pytestmark = pytest.mark.browser
TEXT = "药剂科主任收受医药代表回扣，按处方量每月结算一次，去年合计二十多万元。"
PHONE = {"viewport": {"width": 360, "height": 780}, "user_agent": "Mozilla/5.0 (Linux; Android 14) Mobile"}


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def portal_url(make_portal):
    server, url = _serve(make_portal(csrf_enabled=True, submissions_per_day="2/day"))
    yield url
    server.shutdown()


def _fill_and_submit(page, url):
    page.goto(url + "/report")
    page.fill("#description", TEXT)
    page.click("button[type=submit]")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_reload_and_back_show_the_same_code_and_file_nothing_twice(browser, portal_url, db_session):
    page = browser.new_context(java_script_enabled=False, **PHONE).new_page()
    _fill_and_submit(page, portal_url)
    code = page.text_content("[data-receipt]")
    page.reload()
    assert page.text_content("[data-receipt]") == code
    page.go_back()  # to the form, then forward to the receipt again
    page.go_forward()
    assert page.text_content("[data-receipt]") == code
    db_session.expire_all()
    assert db_session.scalar(select(func.count(Report.id))) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_daily_limit_keeps_the_text_and_offers_the_phone(browser, portal_url):
    page = browser.new_context(java_script_enabled=False, **PHONE).new_page()
    for _ in range(2):
        _fill_and_submit(page, portal_url)
        page.check("#noted")
        page.click("button:has-text('完成')")
    _fill_and_submit(page, portal_url)
    assert page.input_value("#description") == TEXT
    body = page.content()
    assert "明天" in body and "0798-8335305" in body


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_portal_page_passes_the_accessibility_check(browser, portal_url):
    require_axe()
    page = axe_context(browser, **PHONE).new_page()
    found = {}
    for path in ("/", "/report", "/status", "/disclosure", "/notice", "/nowhere"):
        page.goto(portal_url + path)
        found[path] = violations(page, "portal" + (path.replace("/", "-") if path != "/" else "-home"))
    _fill_and_submit(page, portal_url)
    found["receipt"] = violations(page, "portal-receipt")
    code = page.text_content("[data-receipt]")
    page.goto(portal_url + "/status")
    page.fill("#receipt", code)
    page.click("button[type=submit]")
    found["status"] = violations(page, "portal-status-show")
    page.goto(portal_url + "/report")
    page.click("button[type=submit]")  # empty: the errors
    found["errors"] = violations(page, "portal-report-errors")
    assert {path: lines for path, lines in found.items() if lines} == {}

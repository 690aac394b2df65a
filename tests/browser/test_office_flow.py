"""The office in a browser with JavaScript off: an officer logs in with TOTP, asks the reporter
a question, accepts and transfers; the liaison acknowledges and records a result; the reporter
sees the new status and answers the question."""
import threading

import pytest
from sqlalchemy import select
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from models import Lead
from tests.triage.conftest import PASSWORD, code

pytestmark = pytest.mark.browser


@pytest.fixture
def site(make_portal, triage_app, context):
    triage_app.config["WTF_CSRF_ENABLED"] = True
    app = DispatcherMiddleware(make_portal(csrf_enabled=True), {"/office": triage_app})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _log_in(context, site, username, secret):
    page = context.new_page()
    page.goto(site + "/office/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#code", code(secret))
    page.click("button[type=submit]")
    return page


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_officer_liaison_and_reporter(browser, site, make_staff, factory):
    reporter = browser.new_context(java_script_enabled=False).new_page()
    reporter.goto(site + "/report")
    reporter.fill("#description", "某县人民医院药剂科主任刘某收受医药代表回扣，每盒药提成五元，一年十几万元。")
    reporter.click("button[type=submit]")
    receipt = reporter.text_content("[data-receipt]").strip()

    officer = _log_in(browser.new_context(java_script_enabled=False), site, *make_staff("officer", "triage"))
    officer.goto(site + "/office/reports/1")
    assert "药剂科主任" in officer.content()
    officer.fill("textarea[name=text]", "请问您是从哪里得知提成金额的？")
    officer.click("text=发送留言")
    officer.click("text=受理并登记")
    officer.click("[data-ledger]")
    officer.click("text=转办至承办及协办单位")
    with factory() as session:
        lead = session.scalars(select(Lead)).one()
        agency, ledger = lead.agency, lead.ledger_number
    assert ledger in officer.content()

    liaison = _log_in(browser.new_context(java_script_enabled=False), site,
                      *make_staff("liaison", "liaison", agency))
    liaison.click(f"text={ledger}")
    liaison.locator("button:has-text('签收')").first.click()
    liaison.locator("select[name=disposal]").first.select_option("初步核实")
    liaison.locator("select[name=result]").first.select_option("属实")
    liaison.locator("button:has-text('办结本单位部分')").first.click()
    assert "办结本单位部分" in liaison.content() and "outcome" not in liaison.inner_text("main")

    reporter.goto(site + "/status")
    reporter.fill("#receipt", receipt)
    reporter.click("button[type=submit]")
    assert reporter.text_content("[data-status]") == "办理中"
    assert "请问您是从哪里得知提成金额的？" in reporter.content()
    reporter.fill("#body", "是医药代表亲口说的。")
    reporter.click("text=发送")
    officer.goto(site + "/office/reports/1")
    assert "是医药代表亲口说的。" in officer.content()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_office_actions_confirm_and_main_pages_pass_the_accessibility_check(browser, site, make_staff,
                                                                            factory):
    from tests.browser.axe import axe_context, require_axe, violations

    require_axe()
    reporter = browser.new_context(java_script_enabled=False).new_page()
    for text in ("某县人民医院药剂科主任刘某收受医药代表回扣，每盒药提成五元，一年十几万元。",
                 "医院门口停车收费太贵，希望有关部门管一管停车收费问题。"):
        reporter.goto(site + "/report")
        reporter.fill("#description", text)
        reporter.click("button[type=submit]")
    page = _log_in(axe_context(browser, viewport={"width": 1280, "height": 900}), site,
                   *make_staff("chief", "supervisor"))
    found = {"queue": violations(page, "office-queue")}
    page.goto(site + "/office/reports/1")
    found["report"] = violations(page, "office-report")
    page.click("text=受理并登记")
    assert "已受理并登记" in page.inner_text("main")  # a confirmation, not a vanished panel
    assert page.locator("a:has-text('下一件')").count() == 1
    with factory() as session:
        lead = session.scalars(select(Lead)).first()
    page.goto(site + f"/office/leads/{lead.id}")
    found["lead"] = violations(page, "office-lead")
    page.goto(site + "/office/reports/2")
    page.fill("textarea[name=reason], input[name=reason]", "停车收费不属于本平台受理范围")
    page.click("button:has-text('不予受理')")
    with factory() as session:  # no rejection without the confirm box
        assert session.scalar(select(Lead.state).where(Lead.report_id == 2)) == "draft"
    for path in ("/office/leads/deadlines", "/office/stats/", "/office/exports/"):
        page.goto(site + path)
        found[path] = violations(page, "office" + path.replace("/office", "").rstrip("/").replace("/", "-"))
    assert {name: lines for name, lines in found.items() if lines} == {}

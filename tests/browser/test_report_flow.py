"""A citizen on a phone with JavaScript off: fill the form, keep the receipt, read the status.

Drives Debian's Chromium (installed by tests/browser/install-chromium.sh) through playwright.
"""
import os
import threading

import pytest
from werkzeug.serving import make_server


pytestmark = pytest.mark.browser


@pytest.fixture
def live_portal(make_portal):
    app = make_portal(csrf_enabled=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_report_receipt_status_without_javascript(browser, live_portal):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844},
                                  user_agent="Mozilla/5.0 (Linux; Android 14) Mobile")
    outside = []
    context.on("request", lambda request: outside.append(request.url)
               if not request.url.startswith(live_portal) else None)
    page = context.new_page()
    page.goto(live_portal + "/")
    page.click("text=我要举报")
    page.fill("#subject_name", "王某")
    page.check("#subject_unit_unknown")
    page.fill("#description", "骨科王主任收红包，不给就不安排手术。我父亲去年十月住院时被要求给了三千元。")
    page.click("button[type=submit]")
    receipt = page.text_content("[data-receipt]").strip()
    assert len(receipt.replace(" ", "")) == 20
    page.check("#noted")
    page.click("button:has-text('完成')")
    assert "感谢您的举报" in page.content(), page.inner_text("main")

    page.goto(live_portal + "/status")
    page.fill("#receipt", receipt)
    page.click("button[type=submit]")
    assert page.text_content("[data-status]") == "已提交"
    page.fill("#body", "补充：收钱地点在医生办公室。")
    page.click("text=发送")
    assert "您的回复已发送给工作人员" in page.content()
    assert "补充：收钱地点在医生办公室。" in page.content()

    page.goto(live_portal + "/status")
    page.fill("#receipt", "1111 2222 3333 4444 5555")
    page.click("button[type=submit]")
    assert "未找到该回执码" in page.content()
    assert outside == []  # not one request left the site
    if os.environ.get("QINGFENG_SCREENSHOTS"):
        page.screenshot(path=os.environ["QINGFENG_SCREENSHOTS"] + "/status.png", full_page=True)
    context.close()

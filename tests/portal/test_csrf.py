"""CSRF is enforced on every portal form (tests elsewhere run with it off)."""
import re

from sqlalchemy import func, select

from models import Disclosure, Report


def test_forms_without_a_token_are_refused_in_chinese(make_portal, db_session):
    client = make_portal(csrf_enabled=True).test_client()
    for path, data in (
        ("/report", {"description": "这是一段足够长的举报内容，用于测试。"}),
        ("/status", {"receipt": "1111 2222 3333 4444 5555"}),
        ("/status/reply", {"receipt": "1111 2222 3333 4444 5555", "body": "你好你好"}),
        ("/disclosure", {"name": "李某", "unit": "某医院", "description": "收受红包两千元，主动说明"}),
        ("/receipt/noted", {"noted": "y"}),
    ):
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "页面已过期" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Report.id))) == 0
    assert db_session.scalar(select(func.count(Disclosure.id))) == 0


def test_a_form_with_its_token_goes_through(make_portal, db_session):
    client = make_portal(csrf_enabled=True).test_client()
    page = client.get("/report").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/report", data={"csrf_token": token, "description": "这是一段足够长的举报内容，用于测试。"},
                           follow_redirects=True)
    assert response.status_code == 200 and "data-receipt" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Report.id))) == 1


def test_the_json_api_needs_no_cookie_token(make_portal):
    client = make_portal(csrf_enabled=True).test_client()
    response = client.post("/api/v1/reports", json={"description": "这是一段足够长的举报内容，用于测试。"})
    assert response.status_code == 201


def test_an_expired_page_keeps_what_was_typed(make_portal, db_session):
    client = make_portal(csrf_enabled=True).test_client()
    typed = "药剂科主任收受医药代表回扣，每月按用量结算，这次不是测试而是输入保留。"
    response = client.post("/report", data={"csrf_token": "expired", "description": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "页面已过期" in page and typed in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    again = client.post("/report", data={"csrf_token": token, "description": typed}, follow_redirects=True)
    assert "data-receipt" in again.get_data(as_text=True)  # the fresh token on that page works
    assert db_session.scalar(select(func.count(Report.id))) == 1

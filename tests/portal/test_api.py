"""The public JSON API: contract, Chinese errors, and a schemathesis run against its OpenAPI."""
from sqlalchemy import func, select

from models import Report
from tests.factories import submit_api


def test_submit_and_read_back(client, db_session):
    response = submit_api(client, subject_name="刘某", subject_unit="某县医保局", channel="网络",
                          contact={"name": "陈某", "phone": "13900001111"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "submitted" and body["status_label"] == "已提交"
    assert len(body["receipt"].replace(" ", "")) == 20
    report = db_session.scalars(select(Report)).one()
    assert report.channel == "网络" and report.is_real_name
    status = client.post("/api/v1/status", json={"receipt": body["receipt"]})
    assert status.status_code == 200 and status.get_json()["status_label"] == "已提交"


def test_errors_are_json_in_chinese(client, db_session):
    cases = [
        (client.post("/api/v1/reports", data="description=x"), 415, "application/json"),
        (client.post("/api/v1/reports", data=b"\xff\xfe{", content_type="application/json"), 400, "JSON"),
        (client.post("/api/v1/reports", json=[1, 2]), 400, "JSON 对象"),
        (submit_api(client, description="短"), 400, "提交内容有误"),
        (submit_api(client, colour="red"), 400, "不认识的字段"),
        (submit_api(client, subject_name=42), 400, "必须是字符串"),
        (submit_api(client, channel="微信"), 400, "channel"),
        (submit_api(client, contact={"name": "张三"}), 400, "phone"),
        (client.post("/api/v1/status", json={}), 400, "receipt"),
        (client.post("/api/v1/status", json={"receipt": "abc"}), 400, "20 位数字"),
        (client.post("/api/v1/status", json={"receipt": "1234 5678 1234 5678 1234"}), 404, "未找到"),
        (client.get("/api/v1/nothing"), 404, "不存在"),
    ]
    for response, status, fragment in cases:
        assert response.status_code == status, (fragment, response.get_json())
        assert response.is_json and fragment in response.get_json()["error"]
    assert db_session.scalar(select(func.count(Report.id))) == 0


def test_field_errors_are_named(client):
    body = submit_api(client, description="短", contact={"name": "张三", "phone": "电话号码"}).get_json()
    assert set(body["fields"]) == {"description", "contact.phone"}
    body = submit_api(client, subject_name="名" * 51).get_json()
    assert "subject_name 过长" in body["error"]


def test_deep_json_gets_a_chinese_400_not_a_crash(client, db_session):
    for path in ("/api/v1/reports", "/api/v1/status"):
        for body in ("[" * 100_000, '{"receipt": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}",
                     # an escaped backslash ends the string: the brackets after it count
                     r'{"description": "x\\", "b": ' + "[" * 30 + "]" * 30 + "}"):
            response = client.post(path, data=body, content_type="application/json")
            assert response.status_code == 400, (path, body[:20])
            assert response.is_json and "嵌套" in response.get_json()["error"]
    brackets_in_text = submit_api(client, description="[[[[[[[[[[[[[[[[[[[[[[ 红包 ]]]]]]]]]]]]]]]]")
    assert brackets_in_text.status_code == 201
    assert db_session.scalar(select(func.count(Report.id))) == 1


def test_a_body_over_the_size_limit_is_refused_unread_and_the_longest_report_fits(client):
    import json

    from portal.openapi import openapi_document

    huge = client.post("/api/v1/reports", data='{"description": "' + "红" * 200_000 + '"}',
                       content_type="application/json")
    assert huge.status_code == 413 and "过大" in huge.get_json()["error"]
    properties = openapi_document()["components"]["schemas"]["NewReport"]["properties"]
    longest = {name: "\U00020000" * spec["maxLength"] for name, spec in properties.items()
               if "maxLength" in spec and name != "area"}
    raw = json.dumps(longest, ensure_ascii=True)  # every character escaped: 12 bytes each
    assert len(raw) > 60_000
    response = client.post("/api/v1/reports", data=raw, content_type="application/json")
    assert response.status_code == 201, response.get_json()


def test_openapi_document_is_served(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.") and "/api/v1/reports" in doc["paths"]


def test_schemathesis_holds_the_api_to_its_contract(portal_app):
    import schemathesis
    from schemathesis import GenerationMode
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import (
        content_type_conformance, negative_data_rejection, not_a_server_error,
        response_schema_conformance, status_code_conformance,
    )

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", portal_app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance, negative_data_rejection]

    calls = []
    for operation in schema.get_all_operations():
        op = operation.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
            @given(case=op.as_strategy(generation_mode=mode))
            def run(case):
                calls.append(case.call_and_validate(checks=checks).status_code)

            run()
    assert 201 in calls and 400 in calls  # both valid and invalid bodies were sent

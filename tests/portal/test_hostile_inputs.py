"""P6: malformed, oversize, wrongly encoded and hostile input gets a clear Chinese answer and
leaves the database consistent: every accepted report has its receipt, nothing half-written."""
import re

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from models import Receipt, Report, StatusEvent

HOSTILE = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=4000, max_size=6000),
    st.sampled_from([
        "<script>alert(1)</script>的红包问题举报内容", "'; DROP TABLE reports; --红包回扣举报",
        "\x00\x01\x02 控制字符 \x1b[31m 红包", "\u202e反向文字\u202c 医保骗保举报内容", "{{ 7*7 }} 模板注入测试文字",
        "\ud800 孤立代理项", "𠀀𠀁𠀂 扩展汉字 红包回扣举报", " " * 20, "\n" * 30,
    ]),
)
FIELDS = ("description", "subject_name", "subject_unit", "subject_post", "area", "event_time",
          "event_place", "amount", "contact_name", "contact_phone", "contact_id_number")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _consistent(session) -> int:
    reports = session.scalar(select(func.count(Report.id)))
    assert session.scalar(select(func.count(Receipt.id))) == reports
    assert session.scalar(select(func.count(StatusEvent.id))) == reports
    return reports


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.fixed_dictionaries({}, optional={f: HOSTILE for f in FIELDS}))
def test_form_answers_clearly_and_stays_consistent(client, factory, data):
    with factory() as session:
        before = _consistent(session)
    form = {k: v.encode("utf-8", "surrogatepass") if "\ud800" in v else v for k, v in data.items()}
    response = client.post("/report", data=form, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 400), response.status_code
    assert "<script>alert(1)" not in page
    with factory() as session:
        after = _consistent(session)
    if response.status_code == 200:
        assert "data-receipt" in page and after == before + 1
    else:
        assert CHINESE.search(page) and after == before


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.one_of(
    st.dictionaries(st.sampled_from(FIELDS[:8] + ("channel", "contact", "extra")),
                    st.one_of(HOSTILE, st.integers(), st.none(), st.lists(st.text(max_size=3)),
                              st.dictionaries(st.text(max_size=5), st.text(max_size=5))),
                    max_size=6),
    st.binary(max_size=200),
))
def test_api_answers_clearly_and_stays_consistent(client, factory, body):
    with factory() as session:
        before = _consistent(session)
    if isinstance(body, bytes):
        response = client.post("/api/v1/reports", data=body, content_type="application/json")
    else:
        import json

        raw = json.dumps(body, ensure_ascii=True)  # keeps lone surrogates as \\ud800 escapes
        response = client.post("/api/v1/reports", data=raw, content_type="application/json")
    assert response.status_code in (201, 400), response.status_code
    payload = response.get_json()
    with factory() as session:
        after = _consistent(session)
    if response.status_code == 201:
        assert after == before + 1 and payload["status"] == "submitted"
    else:
        assert CHINESE.search(payload["error"]) and after == before


def test_failed_commit_leaves_no_files(client, paths, monkeypatch):
    """If the database refuses the commit, nothing is left behind: evidence is a row of the same
    transaction, so no sealed file is written at all."""
    import io

    from sqlalchemy.orm import Session

    def refuse(self):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Session, "commit", refuse)
    response = client.post("/report", data={"description": "这是一段足够长的举报内容，用于测试。",
                                             "evidence": [(io.BytesIO(b"%PDF-1.4 x"), "a.pdf")]},
                           content_type="multipart/form-data")
    assert response.status_code == 500 and "不会丢失" in response.get_data(as_text=True)
    assert not paths.uploads.exists() or list(paths.uploads.iterdir()) == []

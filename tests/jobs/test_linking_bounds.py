"""Linking stays bounded however many reports share a term: at most MAX_LINKS links, the same
person before the same unit before similar words, newest first."""
from sqlalchemy import func, insert, select

from models import Report, ReportLink, ReportTerm
from triage import linking


def _reports(db_session, count: int) -> list[int]:
    rows = [Report(channel="网络", content_box=b"x") for _ in range(count)]
    db_session.add_all(rows)
    db_session.flush()
    return [r.id for r in rows]


def test_a_unit_named_in_many_reports_links_only_the_newest_and_the_same_person_first(db_session):
    ids = _reports(db_session, linking.MAX_LINKS + 15)
    *older, new = ids
    same_person = older[0]  # the oldest, but it names the same person
    db_session.execute(insert(ReportTerm), [
        {"report_id": other, "kind": "unit", "digest": "unit-digest"} for other in older])
    db_session.execute(insert(ReportTerm), [
        {"report_id": same_person, "kind": "person", "digest": "person-digest"}])
    linked = linking.link_related(db_session, new, [("unit", "unit-digest"), ("person", "person-digest")])
    assert len(linked) == linking.MAX_LINKS
    assert same_person in linked
    newest_units = sorted(older[1:], reverse=True)[: linking.MAX_LINKS - 1]
    assert set(linked) == {same_person, *newest_units}
    pairs = db_session.scalar(select(func.count()).select_from(ReportLink))
    assert pairs == 2 * linking.MAX_LINKS  # both directions

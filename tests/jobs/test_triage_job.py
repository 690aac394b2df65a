"""The triage job end to end: decrypt, classify, route, extract, draft the lead, link related
reports; idempotent; re-run on the reporter's additions; no plaintext in logs."""
import logging

from sqlalchemy import func, select

from models import Lead, Report, ReportLink, ReportTerm
from models.shared import sealed
from models.shared.handoff import job_id, rq_queue
from tests.backends import REDIS_TEST_URL, redis_reason, require
from tests.factories import submit_api
from triage import jobs
from triage.sweep import sweep

KICKBACK = ("某县人民医院骨科主任张某某长期收受某器械公司回扣，每用一套人工关节拿八千元，"
            "去年一年收了五十多万元。")


def _lead(session):
    session.expire_all()
    return session.scalars(select(Lead)).one()


def test_job_drafts_a_lead(client, db_session, context, office_key, caplog):
    caplog.set_level(logging.DEBUG)
    receipt = submit_api(client, description=KICKBACK, subject_name="张某某", subject_unit="某县人民医院",
                         subject_post="骨科主任").get_json()["receipt"]
    report = db_session.scalars(select(Report)).one()
    lead = _lead(db_session)
    assert report.triage_state == "done" and lead.state == "draft"
    assert lead.model_version == context.engine.model.version
    assert len(lead.suggestions) >= 3 and lead.in_scope
    assert lead.primary_category in (8, 22, 30, 31, 32)
    assert lead.agency == "纪委监委" and "关键少数" in lead.flags and lead.priority
    entities = sealed.LEAD_ENTITIES.open(office_key, lead.entities_box, report.uid)
    assert entities["ledger_name"] == "张某某" and "某县人民医院" in entities["ledger_unit_post"]
    log = "\n".join(r.getMessage() for r in caplog.records)
    assert "张某某" not in log and "回扣" not in log and receipt not in log


def test_job_is_idempotent_and_reruns_on_additions(client, factory, db_session, context):
    receipt = submit_api(client, description=KICKBACK).get_json()["receipt"]
    report_id = db_session.scalars(select(Report.id)).one()
    assert jobs.process_report(factory, report_id, context) == "done"  # already done: nothing changes
    assert db_session.scalar(select(func.count(Lead.id))) == 1
    db_session.expire_all()
    assert db_session.get(Report, report_id).triage_attempts == 1
    client.post("/status/reply", data={"receipt": receipt, "body": "补充：他还向患者索要红包，每台手术两千元。"})
    db_session.expire_all()
    assert db_session.get(Report, report_id).triage_attempts == 2
    assert db_session.scalar(select(func.count(Lead.id))) == 1


def test_reports_about_the_same_person_are_linked(client, db_session, context):
    submit_api(client, description=KICKBACK, subject_name="张某某", subject_unit="某县人民医院")
    submit_api(client, description="某县人民医院的张某某主任手术前都要红包，不给就拖着不做手术。",
               subject_name="张某某", subject_unit="某县人民医院")
    submit_api(client, description="某药店用医保卡给人刷生活用品，串换成药品结算。")
    links = db_session.scalars(select(ReportLink)).all()
    assert {(l.report_id, l.related_id) for l in links} == {(1, 2), (2, 1)}
    assert {l.reason for l in links} == {"同一被反映人"}
    terms = db_session.scalars(select(ReportTerm.digest)).all()
    assert terms and not any("张" in t for t in terms)


def test_without_a_model_reports_wait(client, db_session):
    submit_api(client, description=KICKBACK)
    assert db_session.scalars(select(Report)).one().triage_state == "awaiting"
    assert db_session.scalar(select(func.count(Lead.id))) == 0


def test_with_a_real_rq_worker(make_portal, factory, db_session, context, triage_context):
    require(redis_reason())
    from redis import Redis
    from rq import SimpleWorker

    Redis.from_url(REDIS_TEST_URL).flushdb()
    client = make_portal(redis_url=REDIS_TEST_URL).test_client()
    submit_api(client, description=KICKBACK)
    assert db_session.scalar(select(func.count(Lead.id))) == 0
    jobs.install(jobs.Runtime(factory, triage_context))  # what `qingfeng worker` does at start
    queue = rq_queue(REDIS_TEST_URL)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert _lead(db_session).state == "draft"
    job = queue.fetch_job(job_id(1))
    assert job.args == (1,) and not job.kwargs
    Redis.from_url(REDIS_TEST_URL).flushdb()


def test_reports_that_waited_for_a_model_are_triaged_by_the_next_start(
        client, factory, db_session, trained, office_key, runner, triage_context):
    submit_api(client, description=KICKBACK)  # no model yet
    assert db_session.scalars(select(Report)).one().triage_state == "awaiting"
    assert sweep(runner, factory) == 0  # the minute-by-minute sweep leaves it
    from triage.engine import TriageEngine
    from triage.linking import index_key

    triage_context.value = jobs.WorkerContext(TriageEngine(trained[1]), office_key,
                                              index_key(office_key))
    assert sweep(runner, factory, include_awaiting=True) == 1  # a (re)start
    db_session.expire_all()
    assert db_session.scalars(select(Report)).one().triage_state == "done"
    assert db_session.scalar(select(func.count(Lead.id))) == 1

"""The hand-off to triage: after the commit, through RQ on the local Redis or in-process; a
report accepted while Redis is down is handed over later by the sweep (P6)."""

import pytest
from sqlalchemy import select

from models import Report
from tests.backends import REDIS_TEST_URL, redis_reason, require
from tests.factories import submit_api
from models.shared.handoff import LeavePending, RqHandoff, job_id, rq_queue
from triage import jobs
from triage.sweep import sweep

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_url():
    require(redis_reason())
    from redis import Redis

    Redis.from_url(REDIS_TEST_URL).flushdb()
    yield REDIS_TEST_URL
    Redis.from_url(REDIS_TEST_URL).flushdb()


def _states(session):
    session.expire_all()
    return [r.triage_state for r in session.scalars(select(Report).order_by(Report.id))]


def _work(factory, redis_url, monkeypatch):
    """Run the triage queue with a real RQ worker until it is empty (no model: `awaiting`)."""
    from rq import SimpleWorker

    jobs.install(jobs.Runtime(factory, lambda: None))
    queue = rq_queue(redis_url)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_inline_mode_runs_the_job_after_commit(client, db_session):
    submit_api(client)
    assert _states(db_session) == ["awaiting"]


def test_without_a_model_the_report_waits_and_each_try_is_counted(client, factory, db_session):
    submit_api(client)
    report_id = db_session.scalars(select(Report.id)).one()
    assert jobs.process_report(factory, report_id, None) == "awaiting"
    db_session.expire_all()
    assert db_session.get(Report, report_id).triage_attempts == 2
    assert jobs.process_report(factory, 999_999, None) == "missing"


def test_rq_hand_off_with_a_real_worker(make_portal, factory, db_session, redis_url, monkeypatch):
    client = make_portal(redis_url=redis_url).test_client()
    submit_api(client)
    submit_api(client)
    assert _states(db_session) == ["queued", "queued"]
    assert rq_queue(redis_url).count == 2
    _work(factory, redis_url, monkeypatch)
    assert _states(db_session) == ["awaiting", "awaiting"]


def test_report_accepted_while_redis_is_down_is_swept_later(
        make_portal, portal_settings, factory, db_session, redis_url, monkeypatch):
    client = make_portal(redis_url=DEAD_REDIS).test_client()
    response = submit_api(client)
    assert response.status_code == 201  # the reporter gets a receipt all the same
    assert _states(db_session) == ["pending"]
    live = RqHandoff(redis_url, factory)
    assert sweep(live, factory, redis_url) == 1
    assert sweep(live, factory, redis_url) == 0  # its job is queued: no duplicate
    _work(factory, redis_url, monkeypatch)
    assert _states(db_session) == ["awaiting"]


def test_queue_lost_with_a_redis_restart_is_refilled(
        make_portal, portal_settings, factory, db_session, redis_url, monkeypatch):
    from redis import Redis

    client = make_portal(redis_url=redis_url).test_client()
    submit_api(client)
    Redis.from_url(redis_url).flushdb()  # Redis here keeps nothing on disk
    assert _states(db_session) == ["queued"]
    live = RqHandoff(redis_url, factory)
    assert sweep(live, factory, redis_url) == 1
    _work(factory, redis_url, monkeypatch)
    assert _states(db_session) == ["awaiting"]


def test_a_crash_mid_job_loses_nothing(make_portal, portal_settings, factory, db_session, redis_url, monkeypatch):
    client = make_portal(redis_url=redis_url).test_client()
    submit_api(client)

    def crash(session, report, *context):
        report.triage_state = "awaiting"
        raise RuntimeError("worker died halfway")

    monkeypatch.setattr(jobs, "triage_report", crash)
    _work(factory, redis_url, monkeypatch)
    assert _states(db_session) == ["queued"]  # the half-done change was rolled back
    queue = rq_queue(redis_url)
    scheduled = queue.scheduled_job_registry
    assert scheduled.get_job_ids() == [job_id(1)]  # RQ will retry it later
    live = RqHandoff(redis_url, factory)
    assert sweep(live, factory, redis_url) == 0  # the retry is pending: no duplicate
    monkeypatch.undo()
    scheduled.requeue(job_id(1))  # the retry's time has come
    _work(factory, redis_url, monkeypatch)
    assert _states(db_session) == ["awaiting"]


def test_job_arguments_are_ids_only(make_portal, redis_url):
    client = make_portal(redis_url=redis_url).test_client()
    submit_api(client, description="这段举报文字不应出现在任务参数里面")
    job = rq_queue(redis_url).jobs[0]
    assert job.func_name == "triage.jobs.run_triage"
    assert job.args == (1,)
    assert not job.kwargs


def test_a_portal_without_redis_leaves_reports_for_the_office_sweep(portal_settings, factory,
                                                                    db_session, runner):
    import portal

    app = portal.create_app(portal_settings)  # as `serve --part portal` builds it: no runner
    assert isinstance(app.extensions["qingfeng_handoff"], LeavePending)
    assert submit_api(app.test_client()).status_code == 201
    assert _states(db_session) == ["pending"]
    assert sweep(runner, factory) == 1  # the office process's sweep
    assert _states(db_session) == ["awaiting"]

"""Shared fixtures: settings on a fresh data folder, apps, clients, sessions, keys."""
from __future__ import annotations

import os
import secrets
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.settings import KdfParams, Paths, PortalSettings
from config.office_settings import TriageSettings
from models import Base
from triage.keys import generate_office_keys, load_office_private_key, private_key_path
from models.session import make_engine, make_sessionmaker
from tests.backends import PostgresDatabases, postgres_reason, require

# These machines run the tests as root; the commands refuse root outside one-machine mode
# unless told (tests/test_service_user.py checks the refusal and the drop to a service user).
if os.geteuid() == 0:
    os.environ.setdefault("QINGFENG_ALLOW_ROOT", "1")

# Cheap scrypt for tests (the real cost is measured in bench/intake.py).
TEST_KDF = KdfParams(n=16, r=1, p=1)
PASSPHRASE = b"test passphrase of the office"


class ContextHolder:
    """The triage context the tests' one-machine runner uses: None (no model: reports wait)
    unless a test asks for the `context` fixture."""

    value = None

    def __call__(self):
        return self.value


@pytest.fixture
def triage_context() -> ContextHolder:
    return ContextHolder()


@pytest.fixture
def runner(factory, triage_context):
    """The in-process runner the one-machine server plugs into both apps, running at once."""
    from triage.runner import InProcessRunner

    return InProcessRunner(factory, triage_context, inline=True)


@pytest.fixture(scope="session")
def pg_databases():
    databases = PostgresDatabases()
    yield databases
    if databases.created:
        databases.drop_all()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path, pg_databases: PostgresDatabases) -> str:
    """Each database test runs on SQLite and on the local PostgreSQL."""
    if request.param == "sqlite":
        (tmp_path / "data").mkdir(exist_ok=True)
        return f"sqlite:///{tmp_path / 'data' / 'qingfeng.db'}"
    require(postgres_reason())
    return pg_databases.create()


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    paths = Paths(tmp_path / "data")
    for folder in (paths.root, paths.uploads, paths.keys, paths.secrets, paths.logs):
        folder.mkdir(parents=True, exist_ok=True)
    generate_office_keys(paths.office_public_key, private_key_path(paths), PASSPHRASE)
    return paths


@pytest.fixture
def engine(database_url: str, paths: Paths) -> Engine:
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def db_session(factory: sessionmaker[Session]) -> Session:
    with factory() as session:
        yield session


def _common(paths: Paths, database_url: str) -> dict:
    return dict(
        paths=paths,
        database_url=database_url,
        redis_url=None,
        jurisdiction="changjiang",
        receipt_kdf=TEST_KDF,
        receipt_pepper=secrets.token_bytes(32),
        testing=True,
    )


@pytest.fixture
def portal_settings(paths: Paths, database_url: str, engine: Engine) -> PortalSettings:
    return PortalSettings(
        **_common(paths, database_url),
        secret_key=secrets.token_bytes(32),
        csrf_enabled=False,
        submissions_per_day="1000 per day",
        lookups_per_client="1000 per minute",
        lookups_global="10000 per minute",
        api_per_client="1000 per minute",
    )


@pytest.fixture
def triage_settings(portal_settings: PortalSettings) -> TriageSettings:
    common = {k: getattr(portal_settings, k) for k in _common(portal_settings.paths, "").keys()}
    return TriageSettings(
        **common, secret_key=secrets.token_bytes(32), csrf_enabled=False,
        office_passphrase=PASSPHRASE,
    )


@pytest.fixture
def make_portal(portal_settings: PortalSettings, runner):
    """Build a portal with some settings changed. As on one machine, reports are triaged in
    this process after the commit; with a redis_url they go to RQ instead."""
    import portal

    def build(**changes: object):
        settings = replace(portal_settings, **changes)
        app = portal.create_app(settings, None if settings.redis_url else runner)
        app.config["TESTING"] = True
        return app

    return build


@pytest.fixture
def portal_app(make_portal):
    return make_portal()


@pytest.fixture
def client(portal_app):
    return portal_app.test_client()


@pytest.fixture
def office_key(paths: Paths):
    """The office private key, as the back office would load it."""
    return load_office_private_key(private_key_path(paths), PASSPHRASE)


ARTIFACT_SECRET = b"artifact signing key of the tests"


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """(artifact root, model, metadata): one model trained on the shipped corpus per session."""
    from triage.classifier.artifact import load_artifact, save_artifact
    from triage.classifier.train import train, training_examples

    root = tmp_path_factory.mktemp("artifacts")
    model, metadata = train(training_examples())
    save_artifact(root, model, metadata, ARTIFACT_SECRET)
    loaded, metadata = load_artifact(root, ARTIFACT_SECRET)
    return root, loaded, metadata


@pytest.fixture(scope="session")
def small_model(tmp_path_factory):
    """(artifact root, model, metadata) of a quick model — ten texts per class, no threshold
    calibration — for the tests of processes and faults, where what the model says does not
    matter but that a real, signed model loads does."""
    from collections import defaultdict

    from triage.classifier.artifact import load_artifact, save_artifact
    from triage.classifier.fitting import Analyses, fit_unthresholded
    from triage.classifier.pipeline import SHIPPED
    from triage.classifier.train import data_hash, training_examples

    per_class: dict[int, list] = defaultdict(list)
    for example in training_examples():
        key = example.categories[0] if example.categories else 0
        if len(per_class[key]) < 10:
            per_class[key].append(example)
    examples = [e for group in per_class.values() for e in group]
    model = fit_unthresholded(examples, SHIPPED, Analyses(), "m-small-test")
    root = tmp_path_factory.mktemp("small-artifacts")
    save_artifact(root, model, {"examples": len(examples), "data_sha256": data_hash(examples),
                                "held_out": {}, "design": {}}, ARTIFACT_SECRET)
    loaded, metadata = load_artifact(root, ARTIFACT_SECRET)
    return root, loaded, metadata


@pytest.fixture
def context(trained, office_key, triage_context):
    """Triage runs with the session's trained model and this test's office key."""
    from triage import jobs
    from triage.engine import TriageEngine
    from triage.linking import index_key

    _, model, _ = trained
    ctx = jobs.WorkerContext(TriageEngine(model), office_key, index_key(office_key))
    triage_context.value = ctx
    return ctx

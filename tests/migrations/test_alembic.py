"""Migrations: `upgrade head` equals the models; every revision goes down and up again."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from migrations.runner import alembic_config, downgrade, upgrade
from models import Base
from models.session import make_engine


def _diff(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def _assert_matches_models(database_url):
    engine = make_engine(database_url)
    try:
        assert _diff(engine) == []
    finally:
        engine.dispose()


def test_upgrade_head_matches_models(database_url):
    upgrade(database_url)
    _assert_matches_models(database_url)


def test_every_revision_goes_down_and_up(database_url):
    script = ScriptDirectory.from_config(alembic_config(database_url))
    revisions = [r.revision for r in script.walk_revisions("base", "heads")][::-1]
    assert revisions, "no migrations found"
    upgrade(database_url)
    for revision in reversed(revisions):
        down_to = script.get_revision(revision).down_revision or "base"
        downgrade(database_url, down_to)
        upgrade(database_url, revision)
        downgrade(database_url, down_to)
    engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(database_url)
    _assert_matches_models(database_url)

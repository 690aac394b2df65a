"""Staff corrections become training data; `qingfeng audit verify` and `qingfeng reminders`."""
from click.testing import CliRunner
from sqlalchemy import select, text

from models import Feedback
from tests.factories import submit_api
from triage.classifier.feedback import confirmed_examples
from triage.classifier.train import split, training_examples
from triage.cli import main


def test_a_correction_is_kept_as_training_feedback(client, login, db_session, office_key, context):
    submit_api(client, description="某药店把保健品串换成药品用医保卡结算，套取医保基金。")
    login("triage").post("/reports/1/accept", data={"categories": ["26"], "agency": "公安局", "summary": "串换"})
    feedback = db_session.scalars(select(Feedback)).one()
    assert feedback.categories == [26] and feedback.agency == "公安局" and feedback.corrected
    examples = confirmed_examples(db_session, office_key)
    assert [(e.categories, e.agency, e.source) for e in examples] == [((26,), "公安局", "feedback")]
    assert "保健品" in examples[0].text
    train_part, held_out = split(training_examples(examples))
    assert examples[0] in train_part and examples[0] not in held_out
    assert len(held_out) == len(split(training_examples())[1])  # the same held-out texts


def _cli(tmp_path, monkeypatch):
    monkeypatch.setenv("QINGFENG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("QINGFENG_ONE_MACHINE", "1")  # plain init: the passphrase beside the key
    for name in ("QINGFENG_DATABASE_URL", "REDIS_URL", "QINGFENG_OFFICE_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    return runner


def test_user_add_and_audit_verify(tmp_path, monkeypatch):
    runner = _cli(tmp_path, monkeypatch)
    ok = runner.invoke(main, ["user", "add", "--username", "li", "--role", "liaison", "--agency", "医保局",
                              "--password", "a long password here"])
    assert ok.exit_code == 0, ok.output
    assert runner.invoke(main, ["user", "add", "--username", "li2", "--role", "liaison",
                                "--password", "a long password here"]).exit_code == 2
    assert runner.invoke(main, ["user", "add", "--username", "x", "--role", "triage",
                                "--password", "short"]).exit_code == 2
    assert runner.invoke(main, ["audit", "verify"]).output.splitlines()[0] == "audit trail intact"
    from models.session import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'qingfeng.db'}")
    with engine.begin() as conn:
        conn.execute(text("update audit_events set actor = 'someone else'"))
    engine.dispose()
    broken = runner.invoke(main, ["audit", "verify"])
    assert broken.exit_code == 1 and "changed" in broken.output


def test_reminders_command_runs(tmp_path, monkeypatch):
    runner = _cli(tmp_path, monkeypatch)
    result = runner.invoke(main, ["reminders"])
    assert result.exit_code == 0 and "0 reminder(s)" in result.output


def test_export_command_writes_a_file_and_audits(tmp_path, monkeypatch):
    import openpyxl

    runner = _cli(tmp_path, monkeypatch)
    monkeypatch.setenv("QINGFENG_OFFICE_PASSPHRASE", (tmp_path / "var" / "secrets" / "office_passphrase").read_text())
    target = tmp_path / "ledger.xlsx"
    result = runner.invoke(main, ["export", "ledger", "--from", "2024-01-01", "--to", "2026-12-31",
                                  "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(target).active["A1"].value == "序号"
    assert runner.invoke(main, ["audit", "verify"]).exit_code == 0

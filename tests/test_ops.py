"""`qingfeng backup`, `restore` and `doctor` on real data folders made by `qingfeng init`.

A backup must bring reports and evidence back so that they still open with the office key, must
never carry secrets/ or the private key, and must not date reporters' actions finer than the
hour; a restore must refuse altered files and an existing database; the doctor must name what
is wrong.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from config.settings import Paths, read_secret
from models.report import Report
from models.session import make_engine, make_sessionmaker
from models.shared import sealed
from models.shared.content import ReportContent
from models.shared.evidence import Evidence, sealed_bytes
from models.shared.intake import submit_report
from models.shared.sealing import load_office_public_key
from models.shared.vault import Vault
from tests.backends import postgres_reason, require
from tests.conftest import TEST_KDF
from triage.cli import main
from triage.keys import load_office_private_key, private_key_path

PASSPHRASE = "passphrase of the office for ops tests"
PDF = b"%PDF-1.4\n% evidence of a red envelope\n%%EOF\n"
REPORTS = [
    (ReportContent(description="某医院药剂科主任收受医药代表回扣，每月约两万元。",
                   subject_name="张某", subject_unit="某区人民医院"),
     {"name": "李某", "phone": "13800000000"},
     [Evidence("回扣记录.pdf", "application/pdf", PDF, False)]),
    (ReportContent(description="某诊所虚构住院套取医保基金，床位挂床严重。"), None, []),
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Each test sets only what it means to: no QINGFENG_ variable nor Redis from outside."""
    for name in list(os.environ):
        if name.startswith("QINGFENG_") or name == "REDIS_URL":
            monkeypatch.delenv(name)


def run(monkeypatch, data: Path, *args: str, database_url: str | None = None) -> Result:
    monkeypatch.setenv("QINGFENG_DATA_DIR", str(data))
    if database_url:
        monkeypatch.setenv("QINGFENG_DATABASE_URL", database_url)
    return CliRunner().invoke(main, list(args))


def init(monkeypatch, data: Path, database_url: str | None = None) -> Paths:
    result = run(monkeypatch, data, "init", database_url=database_url)
    assert result.exit_code == 0, result.output
    return Paths(data)


def url_of(paths: Paths, database_url: str | None) -> str:
    return database_url or f"sqlite:///{paths.database}"


def submit(paths: Paths, database_url: str | None = None) -> list[str]:
    """Submit REPORTS as the portal does (public key only); returns their receipt codes."""
    vault = Vault(load_office_public_key(paths.office_public_key),
                  read_secret(paths, "receipt_pepper", "RECEIPT_PEPPER"), TEST_KDF, paths.uploads)
    engine = make_engine(url_of(paths, database_url))
    try:
        with make_sessionmaker(engine)() as session:
            return [submit_report(session, vault, content, contact, evidence, "网络").receipt
                    for content, contact, evidence in REPORTS]
    finally:
        engine.dispose()


def read_back(paths: Paths, codes: list[str], database_url: str | None = None) -> list[tuple]:
    """Every report opened with the office private key of `paths`, its evidence read from its
    uploads folder, and each receipt code still finding its report."""
    from portal.services.status import unlock

    key = load_office_private_key(private_key_path(paths), PASSPHRASE.encode())
    vault = Vault(load_office_public_key(paths.office_public_key),
                  read_secret(paths, "receipt_pepper", "RECEIPT_PEPPER"), TEST_KDF, paths.uploads)
    engine = make_engine(url_of(paths, database_url))
    try:
        with make_sessionmaker(engine)() as session:
            opened = [_open(report, key, paths)
                      for report in session.scalars(select(Report).order_by(Report.id))]
            found = [unlock(session, vault, code).receipt.report_id for code in codes]
    finally:
        engine.dispose()
    assert found == sorted(found) and len(set(found)) == len(codes)
    return opened


def _open(report: Report, key, paths: Paths) -> tuple:  # type: ignore[no-untyped-def]
    content = sealed.REPORT.open(key, report.content_box, report.uid)
    contact = None
    if report.contact_box:
        contact = sealed.CONTACT.open(key, report.contact_box, report.uid)
    files = []
    for item in report.attachments:
        meta = sealed.ATTACHMENT_META.open(key, item.meta_box, report.uid, item.storage_name)
        box = sealed_bytes(item, paths.uploads)  # in the row now; a file for older rows
        data = sealed.ATTACHMENT.open(key, box, report.uid, item.storage_name)
        files.append((meta["filename"], data))
    return content["description"], contact, files


EXPECTED = [(content.description, contact, [(e.filename, e.data) for e in evidence])
            for content, contact, evidence in REPORTS]


def bring_back_separately(source: Paths, target: Path) -> None:
    """What the operator keeps offline and copies back by hand: secrets/ and the private key."""
    (target / "keys").mkdir(parents=True, mode=0o700)
    shutil.copytree(source.secrets, target / "secrets")
    shutil.copy2(private_key_path(source), target / "keys" / "office.key")


def backed_up(monkeypatch, tmp_path: Path, database_url: str | None = None) -> tuple:
    """A data folder with REPORTS, backed up; the passphrase stays given in the environment."""
    monkeypatch.setenv("QINGFENG_OFFICE_PASSPHRASE", PASSPHRASE)
    paths = init(monkeypatch, tmp_path / "a", database_url)
    codes = submit(paths, database_url)
    result = run(monkeypatch, paths.root, "backup", "--to", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    return paths, codes, tmp_path / "backup"


def test_round_trip_on_sqlite_brings_back_reports_that_still_open(monkeypatch, tmp_path):
    source, codes, backup = backed_up(monkeypatch, tmp_path)
    assert read_back(source, codes) == EXPECTED
    bring_back_separately(source, tmp_path / "b")
    result = run(monkeypatch, tmp_path / "b", "restore", "--from", str(backup))
    assert result.exit_code == 0, result.output
    assert "keys/office.key" in result.output and "QINGFENG_OFFICE_PASSPHRASE" in result.output
    assert "database restored, schema revision" in result.output
    assert "✓ 口令可解开私钥，且与公钥匹配 / the passphrase unlocks the private key" in result.output
    assert read_back(Paths(tmp_path / "b"), codes) == EXPECTED


def test_backup_holds_no_secret_no_private_key_no_time_finer_than_the_hour(monkeypatch, tmp_path):
    monkeypatch.setenv("QINGFENG_OFFICE_PASSPHRASE", PASSPHRASE)
    paths = init(monkeypatch, tmp_path / "a")
    submit(paths)
    database = paths.root / "qingfeng.db"
    os.utime(database, (1_700_000_123.456, 1_700_000_123.456))  # a last write at 22:15:23
    (paths.secrets / "office_passphrase").write_text(PASSPHRASE)  # as one machine keeps it
    result = run(monkeypatch, paths.root, "backup", "--to", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    backup = tmp_path / "backup"
    files = [p for p in backup.rglob("*") if p.is_file()]
    names = {p.relative_to(backup).as_posix() for p in files}
    assert not any(n.startswith("secrets") or n.endswith("office.key") for n in names), names
    assert {"qingfeng.db", "keys/office.pub", "manifest.json"} <= names
    kept_apart = [p.read_bytes().strip() for p in paths.secrets.iterdir()]
    kept_apart.append(private_key_path(paths).read_bytes().strip())
    for path in files:
        data = path.read_bytes()
        assert not any(secret in data for secret in kept_apart), path
    assert int((backup / "qingfeng.db").stat().st_mtime) != 1_700_000_123
    text = (backup / "manifest.json").read_text(encoding="utf-8")
    manifest = json.loads(text)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:00Z", manifest["created"])
    assert not re.search(r"\d\d:\d\d:\d\d|\d\d:(?!00)\d\d|\b1[6-9]\d{8}\b", text)
    assert "secrets/ and keys/office.key are not in backups: keep them apart, offline" in text
    assert set(manifest["files"]) == names - {"manifest.json"}
    from triage.cli_ops import sha256_file

    for rel, meta in manifest["files"].items():
        assert meta == {"size": (backup / rel).stat().st_size, "sha256": sha256_file(backup / rel)}


def test_backup_refuses_a_folder_that_is_not_empty(monkeypatch, tmp_path):
    paths = init(monkeypatch, tmp_path / "a")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("keep")
    result = run(monkeypatch, paths.root, "backup", "--to", str(tmp_path / "full"))
    assert result.exit_code == 1 and "not empty" in result.output
    assert sorted(p.name for p in (tmp_path / "full").iterdir()) == ["notes.txt"]
    inside = run(monkeypatch, paths.root, "backup", "--to", str(paths.root / "backup"))
    assert inside.exit_code == 1 and "beside secrets/" in inside.output
    assert not (paths.root / "backup").exists()


def test_backup_with_model_copies_the_signed_model_that_then_loads(monkeypatch, tmp_path):
    paths = init(monkeypatch, tmp_path / "a")
    refused = run(monkeypatch, paths.root, "backup", "--to", str(tmp_path / "early"), "--with-model")
    assert refused.exit_code == 1 and "no model to back up" in refused.output
    assert not (tmp_path / "early").exists()  # refused before copying anything
    version = stub_model(paths)
    backup = tmp_path / "backup"
    result = run(monkeypatch, paths.root, "backup", "--to", str(backup), "--with-model")
    assert result.exit_code == 0, result.output
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert f"artifacts/{version}/estimator.pkl" in manifest["files"]
    assert "artifacts/" not in manifest["left_out"]
    bring_back_separately(paths, tmp_path / "b")
    assert run(monkeypatch, tmp_path / "b", "restore", "--from", str(backup)).exit_code == 0
    doctor = run(monkeypatch, tmp_path / "b", "doctor")
    assert f"✓ 模型 {version}" in doctor.output, doctor.output


def test_restore_refuses_a_tampered_file_and_restores_nothing(monkeypatch, tmp_path):
    _, _, backup = backed_up(monkeypatch, tmp_path)
    copied = backup / "qingfeng.db"
    data = bytearray(copied.read_bytes())
    data[-1] ^= 1
    copied.write_bytes(bytes(data))
    result = run(monkeypatch, tmp_path / "b", "restore", "--from", str(backup))
    assert result.exit_code == 1
    assert "qingfeng.db" in result.output and "nothing was restored" in result.output
    assert not (tmp_path / "b").exists()


def test_restore_refuses_a_manifest_that_smuggles_a_secret(monkeypatch, tmp_path):
    _, _, backup = backed_up(monkeypatch, tmp_path)
    planted = backup / "secrets" / "receipt_pepper"
    planted.parent.mkdir()
    planted.write_text("00" * 32)
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    from triage.cli_ops import sha256_file

    manifest["files"]["secrets/receipt_pepper"] = {"size": 64, "sha256": sha256_file(planted)}
    (backup / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = run(monkeypatch, tmp_path / "b", "restore", "--from", str(backup))
    assert result.exit_code == 1 and "does not belong in a backup" in result.output
    assert not (tmp_path / "b").exists()


def test_restore_refuses_an_existing_database_unless_forced(monkeypatch, tmp_path):
    source, codes, backup = backed_up(monkeypatch, tmp_path)
    submit(source)  # two more reports after the backup
    before = source.database.read_bytes()
    refused = run(monkeypatch, source.root, "restore", "--from", str(backup))
    assert refused.exit_code == 1 and "--force" in refused.output
    assert source.database.read_bytes() == before
    forced = run(monkeypatch, source.root, "restore", "--from", str(backup), "--force")
    assert forced.exit_code == 0, forced.output
    assert read_back(source, codes) == EXPECTED  # back to the two reports of the backup


def test_restore_over_another_key_pair_is_refused_and_forcing_it_says_so(monkeypatch, tmp_path):
    _, _, backup = backed_up(monkeypatch, tmp_path)
    init(monkeypatch, tmp_path / "b")  # a new host initialised by mistake: its own key pair
    refused = run(monkeypatch, tmp_path / "b", "restore", "--from", str(backup))
    assert refused.exit_code == 1 and "--force" in refused.output
    forced = run(monkeypatch, tmp_path / "b", "restore", "--from", str(backup), "--force")
    assert forced.exit_code == 1
    assert "the private key does not match keys/office.pub" in forced.output


def test_round_trip_on_postgresql(monkeypatch, tmp_path, pg_databases):
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (PostgreSQL client tools)")
    require(postgres_reason())
    first, second = pg_databases.create(), pg_databases.create()
    source, codes, backup = backed_up(monkeypatch, tmp_path, first)
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["database"] == {"kind": "postgresql", "file": "database.pgdump"}
    assert not (backup / "qingfeng.db").exists()
    bring_back_separately(source, tmp_path / "b")
    result = run(monkeypatch, tmp_path / "b", "restore", "--from", str(backup), database_url=second)
    assert result.exit_code == 0, result.output
    assert read_back(Paths(tmp_path / "b"), codes, second) == EXPECTED
    again = run(monkeypatch, tmp_path / "b", "restore", "--from", str(backup), database_url=second)
    assert again.exit_code == 1 and "--force" in again.output


# ---------------------------------------------------------------- doctor

def stub_model(paths: Paths) -> str:
    """A signed artifact that loads (training the real model takes minutes)."""
    from triage.classifier.artifact import save_artifact
    from triage.classifier.model import TriageModel

    model = TriageModel(scorer={"stub": True}, thresholds=(0.5,) * 4, version="m-stub")
    save_artifact(paths.artifacts, model, {}, read_secret(paths, "office_secret_key",
                                                          "OFFICE_SECRET_KEY"))
    return model.version


def lines(result: Result, mark: str) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith(mark)]


@pytest.fixture
def healthy(monkeypatch, tmp_path) -> Paths:
    """A data folder as production wants it (passphrase given, not stored; a model), checked
    outside one-machine mode; QINGFENG_ALLOW_ROOT=1 makes root, as the suite may run, a warning
    (test_root_… checks the rule itself)."""
    monkeypatch.setenv("QINGFENG_OFFICE_PASSPHRASE", PASSPHRASE)
    paths = init(monkeypatch, tmp_path / "data")
    stub_model(paths)
    monkeypatch.setenv("QINGFENG_ALLOW_ROOT", "1")
    return paths


def test_doctor_passes_a_healthy_folder_with_a_tick_per_check(monkeypatch, healthy):
    result = run(monkeypatch, healthy.root, "doctor")
    assert result.exit_code == 0, result.output
    assert lines(result, "✗") == []
    ticks = "\n".join(lines(result, "✓"))
    for expected in ("is 700 and yours", "secret portal_secret_key (file, 600)",
                     "secret office_secret_key", "secret receipt_pepper", "office public key",
                     "office private key", "not stored beside the key",
                     "the passphrase unlocks the private key, which matches keys/office.pub",
                     "database reachable, at head revision",
                     "signed model m-stub present and loadable",
                     "jurisdiction changjiang and config files valid"):
        assert expected in ticks, expected
    assert all(" / " in line for line in result.output.splitlines())  # Chinese / English


def test_doctor_flags_a_passphrase_file_beside_the_key(monkeypatch, healthy):
    (healthy.secrets / "office_passphrase").write_text(PASSPHRASE)
    production = run(monkeypatch, healthy.root, "doctor")
    failed = lines(production, "✗")
    assert any("a copy of the data folder alone opens every report" in f for f in failed)
    assert production.exit_code == 1
    monkeypatch.setenv("QINGFENG_ONE_MACHINE", "1")  # as `make run` sets it
    one_machine = run(monkeypatch, healthy.root, "doctor")
    warned = lines(one_machine, "⚠")
    assert any("a copy of the data folder alone opens every report" in w for w in warned)
    assert one_machine.exit_code == 0, one_machine.output


def test_doctor_flags_a_missing_model(monkeypatch, healthy):
    shutil.rmtree(healthy.artifacts)
    result = run(monkeypatch, healthy.root, "doctor")
    assert "✗ 模型缺失：运行 qingfeng triage train / no trained model: run qingfeng triage train" \
        in result.output
    assert result.exit_code == 1


def test_doctor_flags_a_database_behind_the_migrations(monkeypatch, healthy):
    from triage.cli_ops import head_revision

    assert run(monkeypatch, healthy.root, "db", "downgrade", "0002").exit_code == 0
    result = run(monkeypatch, healthy.root, "doctor")
    head = head_revision(f"sqlite:///{healthy.database}")
    assert f"database at revision 0002, head is {head}: run qingfeng db upgrade" in \
        "\n".join(lines(result, "✗"))
    assert result.exit_code == 1


def test_doctor_flags_loose_permissions_and_a_wrong_passphrase(monkeypatch, healthy):
    os.chmod(healthy.root, 0o755)
    os.chmod(healthy.secrets / "receipt_pepper", 0o644)
    monkeypatch.setenv("QINGFENG_OFFICE_PASSPHRASE", "not the passphrase at all")
    failed = "\n".join(lines(run(monkeypatch, healthy.root, "doctor"), "✗"))
    assert f"chmod 700 {healthy.root}" in failed
    assert f"chmod 600 {healthy.secrets / 'receipt_pepper'}" in failed
    assert "the passphrase does not unlock" in failed


def test_doctor_on_the_portal_host_wants_no_private_key(monkeypatch, healthy):
    result = run(monkeypatch, healthy.root, "doctor", "--part", "portal")
    assert any("holds the private key or passphrase: remove them (P1)" in f
               for f in lines(result, "✗"))
    private_key_path(healthy).unlink()
    monkeypatch.delenv("QINGFENG_OFFICE_PASSPHRASE")
    result = run(monkeypatch, healthy.root, "doctor", "--part", "portal")
    assert result.exit_code == 0, result.output
    assert "model" not in result.output  # the portal host needs none


def test_doctor_flags_redis_that_does_not_answer(monkeypatch, healthy):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    result = run(monkeypatch, healthy.root, "doctor")
    assert any("Redis unreachable" in f for f in lines(result, "✗"))


def test_root_is_an_error_outside_make_run():
    from triage.cli_ops import FAIL, OK, WARN, user_finding

    outside = user_finding(0, root_allowed=False)
    assert outside.state == FAIL and "services should not run as root" in outside.en
    assert user_finding(0, root_allowed=True).state == WARN  # one machine, or ALLOW_ROOT
    assert user_finding(1000, root_allowed=False).state == OK
    assert user_finding(0, root_allowed=False, run_as="nobody").state == OK  # hands over
    assert user_finding(0, root_allowed=False, run_as="no-such-user-here").state == FAIL


def test_doctor_as_root_outside_one_machine_mode_fails(monkeypatch, healthy):
    monkeypatch.delenv("QINGFENG_ALLOW_ROOT")
    result = run(monkeypatch, healthy.root, "doctor")
    [line] = [line for line in result.output.splitlines() if "running as root" in line]
    if os.geteuid() == 0:
        assert line.startswith("✗") and result.exit_code == 1
    else:
        assert line.startswith("✓ 未以 root 运行")

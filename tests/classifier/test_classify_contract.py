"""`qingfeng triage classify --input FILE`: the JSON Lines contract others depend on."""
import json

from click.testing import CliRunner

from config.data import AGENCIES
from triage.classifier.artifact import save_artifact
from triage.cli import main

ITEMS = [
    {"id": 1, "text": "某药店把保健品串换成药品，用医保卡结算，套取医保基金，每月好几万元。"},
    {"id": "b-2", "text": "县医院院长张某在设备招标中设置排他性参数，收受供应商回扣八十万元。"},
    {"id": 3, "text": "医院门口停车太难了，保安态度也差。"},
]


def _installation(tmp_path, monkeypatch, trained):
    data = tmp_path / "var"
    monkeypatch.setenv("QINGFENG_DATA_DIR", str(data))
    monkeypatch.setenv("QINGFENG_ONE_MACHINE", "1")  # plain init: the passphrase beside the key
    for name in ("QINGFENG_DATABASE_URL", "REDIS_URL", "QINGFENG_OFFICE_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    _, model, metadata = trained
    secret = bytes.fromhex((data / "secrets" / "office_secret_key").read_text())
    save_artifact(data / "artifacts", model, {k: v for k, v in metadata.items()
                                              if k not in ("files", "version", "thresholds")}, secret)
    return runner


def test_one_line_per_input_with_the_agreed_fields(tmp_path, monkeypatch, trained):
    runner = _installation(tmp_path, monkeypatch, trained)
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in ITEMS) + "\n\n", encoding="utf-8")
    result = runner.invoke(main, ["triage", "classify", "--input", str(source)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["id"] for line in lines] == [1, "b-2", 3]
    for line in lines:
        assert {"id", "categories", "agency", "co_agencies", "in_scope", "entities"} <= set(line)
        scores = [c["score"] for c in line["categories"]]
        assert len(scores) >= 3 and scores == sorted(scores, reverse=True)
        assert all(1 <= c["id"] <= 32 for c in line["categories"])
        assert line["agency"] in AGENCIES and set(line["co_agencies"]) <= set(AGENCIES)
        assert line["agency"] not in line["co_agencies"]
        assert isinstance(line["in_scope"], bool) and isinstance(line["entities"], dict)
    fraud, director, parking = lines
    assert fraud["in_scope"] and fraud["categories"][0]["id"] == 17 and fraud["agency"] == "医保局"
    assert director["agency"] == "纪委监委" and director["entities"]["persons"][0] == "张某"
    assert not parking["in_scope"]


def test_standard_input_and_bad_lines(tmp_path, monkeypatch, trained):
    runner = _installation(tmp_path, monkeypatch, trained)
    result = runner.invoke(main, ["triage", "classify", "--input", "-"], input=json.dumps(ITEMS[0]) + "\n")
    assert result.exit_code == 0 and json.loads(result.output)["id"] == 1
    bad = runner.invoke(main, ["triage", "classify", "--input", "-"], input='{"text": "没有id"}\n')
    assert bad.exit_code == 2 and "line 1" in bad.output


def test_refuses_to_run_without_a_model(tmp_path, monkeypatch):
    monkeypatch.setenv("QINGFENG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("QINGFENG_ONE_MACHINE", "1")
    monkeypatch.delenv("QINGFENG_DATABASE_URL", raising=False)
    runner = CliRunner()
    runner.invoke(main, ["init"])
    result = runner.invoke(main, ["triage", "classify", "--input", "-"], input="")
    assert result.exit_code == 1 and "qingfeng triage train" in result.output

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


LABELS = [  # item 1 labelled right, item 2 labelled as a category the model will not rank first
    {"categories": [17, 21], "agency": "医保局", "register": "fund_case"},
    {"categories": [13], "agency": "卫健委", "register": "news"},
    {"categories": [], "agency": None, "register": "citizen"},
]


def test_evaluate_input_scores_what_classify_suggests(tmp_path, monkeypatch, trained):
    """`evaluate --input` judges exactly the suggestions `classify` prints, against the labels."""
    runner = _installation(tmp_path, monkeypatch, trained)
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in ITEMS) + "\n",
                      encoding="utf-8")
    suggested = [json.loads(line) for line in
                 runner.invoke(main, ["triage", "classify", "--input", str(source)]).output.splitlines()]
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("\n".join(json.dumps({"text": i["text"], **label}, ensure_ascii=False)
                                  for i, label in zip(ITEMS, LABELS)) + "\n", encoding="utf-8")
    result = runner.invoke(main, ["triage", "evaluate", "--input", str(labelled), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output[result.output.index("{"):])
    inside = [(s, label) for s, label in zip(suggested, LABELS) if label["categories"]]
    expected_top1 = sum(s["categories"][0]["id"] == label["categories"][0]
                        for s, label in inside) / len(inside)
    expected_agency = sum(s["agency"] == label["agency"] for s, label in inside) / len(inside)
    assert scores["all"]["top1"] == round(expected_top1, 4) < 1.0
    assert scores["all"]["agency_accuracy"] == round(expected_agency, 4)
    assert scores["all"]["out_of_scope_recall"] == float(not suggested[2]["in_scope"])
    assert set(scores["per_register"]) == {"fund_case", "news", "citizen"}
    assert scores["official"]["in_scope_texts"] == 2
    text = runner.invoke(main, ["triage", "evaluate", "--input", str(labelled)])
    assert text.exit_code == 0 and "official registers, pooled" in text.output


def test_evaluate_input_refuses_a_wrong_line_rather_than_skip_it(tmp_path, monkeypatch, trained):
    runner = _installation(tmp_path, monkeypatch, trained)
    good = json.dumps({"text": ITEMS[0]["text"], **LABELS[0]}, ensure_ascii=False)
    for bad, says in (('{"text": "没有标签"}', "line 2"),
                      (json.dumps({"text": "x", "categories": [40], "agency": "医保局"}), "bad categories"),
                      (json.dumps({"text": "x", "categories": [3], "agency": "法院"}), "agency"),
                      (json.dumps({"text": "x", "categories": [], "agency": "医保局"}), "no agency")):
        result = runner.invoke(main, ["triage", "evaluate", "--input", "-"],
                               input=f"{good}\n{bad}\n")
        assert result.exit_code == 2 and says in result.output, result.output
    both = runner.invoke(main, ["triage", "evaluate", "--input", "-", "--compare"], input=good)
    assert both.exit_code == 2 and "does not combine" in both.output

"""The trained model: a quality floor on held-out texts, determinism, signed artifacts."""
import json

import pytest

from tests.conftest import ARTIFACT_SECRET as SECRET
from triage.classifier.artifact import ArtifactError, load_artifact


def test_quality_floor_on_held_out_texts(trained):
    _, _, metadata = trained
    held = metadata["held_out"]
    # Measured on the fifth of the corpus the scored model never saw (see README for figures).
    assert held["top1"] >= 0.65
    assert held["top3"] >= 0.88
    assert held["agency_accuracy"] >= 0.70
    assert held["in_scope_turned_away"] <= 0.06
    assert held["out_of_scope_recall"] >= 0.70
    assert metadata["held_out"]["texts"] >= 400


def test_clear_cases(trained):
    _, model, _ = trained
    texts = {
        28: "骨科王主任收红包，不给红包就不给安排手术，我父亲住院时被要求给了三千元。",
        17: "某药店把保健品串换成药品，用医保卡结算，医保基金被套取。",
        24: "有医药代表每月花钱从医院信息科买统方数据，掌握每个医生开了多少药。",
        0: "医院门口停车太难了，停车费还贵，保安态度也差。",
    }
    predictions = model.predict(list(texts.values()))
    for expected, prediction in zip(texts, predictions):
        if expected == 0:
            assert not prediction.in_scope
        else:
            assert prediction.in_scope and prediction.categories[0][0] == expected, prediction


def test_metadata_records_versions_data_and_scores(trained):
    root, model, metadata = trained
    assert metadata["version"] == model.version and len(metadata["data_sha256"]) == 64
    assert set(metadata["versions"]) >= {"scikit-learn", "jieba", "python"}
    assert all(0 <= t < 1 for t in metadata["thresholds"]) and len(metadata["thresholds"]) == 4


def test_training_is_deterministic(trained):
    from triage.classifier.pipeline import SHIPPED
    from triage.classifier.train import data_hash, model_version, training_examples

    _, model, metadata = trained
    examples = training_examples()
    assert data_hash(examples) == metadata["data_sha256"]
    assert model_version(data_hash(examples), SHIPPED) == model.version


def test_tampered_or_foreign_artifacts_are_refused(trained, tmp_path):
    import shutil

    root, model, _ = trained
    copy = tmp_path / "artifacts"
    shutil.copytree(root, copy)
    with pytest.raises(ArtifactError, match="signature"):
        load_artifact(copy, b"another installation's key")
    metadata = copy / model.version / "metadata.json"
    data = json.loads(metadata.read_text())
    data["thresholds"] = [0.0] * 4
    metadata.write_text(json.dumps(data))
    with pytest.raises(ArtifactError, match="signature"):
        load_artifact(copy, SECRET)
    shutil.copy(root / model.version / "metadata.json", metadata)
    with open(copy / model.version / "estimator.pkl", "ab") as handle:
        handle.write(b"\x00")
    with pytest.raises(ArtifactError, match="estimator.pkl"):
        load_artifact(copy, SECRET)
    with pytest.raises(ArtifactError, match="no trained model"):
        load_artifact(tmp_path / "empty", SECRET)


def test_words_for_linking_come_rarest_first(trained):
    """Two reports are related by what few others share: a word the corpus never used comes
    before a word every fund case uses, and each word once."""
    _, model, _ = trained
    ranked = model.rarest_first(["医院", "医保基金", "蓝鲸湾", "医院", "医保基金"])
    assert ranked[0] == "蓝鲸湾" and ranked[-1] == "医院" and len(ranked) == 3

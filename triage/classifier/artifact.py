"""Versioned model directories: estimator, user dictionary, stop words, metadata, signature.

The estimator is a pickle, and unpickling runs code: so the loader opens only a directory whose
metadata carries a valid HMAC under the office's secret key and whose files match the sha256
values in that metadata. An artifact copied in from elsewhere is refused.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
from pathlib import Path

from triage.classifier.model import TriageModel
from triage.classifier.tokenize import resource_text

CURRENT = "CURRENT"
FILES = ("estimator.pkl", "userdict.txt", "stopwords.txt")


class ArtifactError(Exception):
    """No usable model: missing, unsigned, tampered with, or made by someone else."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sign(data: bytes, secret: bytes) -> str:
    return hmac.new(secret, b"qingfeng-artifact\x00" + data, hashlib.sha256).hexdigest()


def save_artifact(root: Path, model: TriageModel, metadata: dict, secret: bytes) -> Path:
    """Write the model under root/<version>/ and point root/CURRENT at it."""
    folder = root / model.version
    folder.mkdir(parents=True, exist_ok=True)
    estimators = {"categories": model.scorer, "agency": model.agency_scorer}
    (folder / "estimator.pkl").write_bytes(pickle.dumps(estimators, protocol=5))
    (folder / "userdict.txt").write_text(resource_text("userdict.txt"), encoding="utf-8")
    (folder / "stopwords.txt").write_text(resource_text("stopwords.txt"), encoding="utf-8")
    metadata = dict(metadata, version=model.version, thresholds=list(model.thresholds),
                    files={name: _sha256(folder / name) for name in FILES})
    body = json.dumps(metadata, ensure_ascii=False, indent=2, sort_keys=True).encode()
    (folder / "metadata.json").write_bytes(body)
    (folder / "metadata.sig").write_text(_sign(body, secret))
    pointer = root / f".{CURRENT}.tmp"
    pointer.write_text(model.version)
    os.replace(pointer, root / CURRENT)
    return folder


def current_version(root: Path) -> str | None:
    """The version root/CURRENT points at, if any."""
    pointer = root / CURRENT
    return pointer.read_text().strip() if pointer.exists() else None


def read_metadata(folder: Path, secret: bytes) -> dict:
    """The verified metadata of one artifact directory."""
    try:
        body = (folder / "metadata.json").read_bytes()
        signature = (folder / "metadata.sig").read_text().strip()
    except FileNotFoundError as exc:
        raise ArtifactError(f"{folder}: not a model artifact") from exc
    if not hmac.compare_digest(signature, _sign(body, secret)):
        raise ArtifactError(f"{folder}: signature does not match this installation's key")
    metadata = json.loads(body)
    for name, digest in metadata["files"].items():
        if not hmac.compare_digest(_sha256(folder / name), digest):
            raise ArtifactError(f"{folder}: {name} was changed after training")
    for name in ("userdict.txt", "stopwords.txt"):
        if (folder / name).read_text(encoding="utf-8") != resource_text(name):
            raise ArtifactError(f"{folder}: trained with another {name}; run 'qingfeng triage train'")
    return metadata


def usable_model(root: Path, secret: bytes) -> bool:
    """Whether root holds a current model this installation made and this version can load
    (signature and format checked; nothing unpickled)."""
    version = current_version(root)
    if not version:
        return False
    try:
        return "thresholds" in read_metadata(root / version, secret)
    except (ArtifactError, OSError, ValueError):
        return False


def load_artifact(root: Path, secret: bytes, version: str | None = None) -> tuple[TriageModel, dict]:
    """The current (or named) model and its metadata, after checking signature and hashes."""
    version = version or current_version(root)
    if not version:
        raise ArtifactError(f"no trained model in {root}: run 'qingfeng triage train'")
    folder = root / version
    metadata = read_metadata(folder, secret)
    if "thresholds" not in metadata:
        raise ArtifactError(f"{folder}: made by an older version of qingfeng; run 'qingfeng triage train'")
    try:
        estimators = pickle.loads((folder / "estimator.pkl").read_bytes())  # noqa: S301 (verified above)
    except (AttributeError, ImportError, TypeError) as exc:  # classes moved since it was made
        raise ArtifactError(f"{folder}: made by an older version of qingfeng; run 'qingfeng triage train'") from exc
    thresholds = tuple(float(t) for t in metadata["thresholds"])
    return TriageModel(estimators["categories"], thresholds, version, estimators["agency"]), metadata

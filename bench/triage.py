#!/usr/bin/env python3
"""Triage benchmark: classification alone and the whole job, against bare jieba.lcut.

Prints reports per second (one process = one core), the ratio of classification time to bare
tokenisation time, model load time and the worker's memory. Not a test; asserts nothing.

    .venv/bin/python bench/triage.py [--rounds 3] [--jobs 300]

Uses the model of QINGFENG_DATA_DIR if it has one (and its secrets); otherwise trains one into
a temporary folder first (about a minute).
"""
from __future__ import annotations

import argparse
import os
import resource
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402

from triage.classifier.corpus import load_corpus  # noqa: E402


def rate(function, texts: list[str], rounds: int) -> float:
    """Best texts per CPU-second of this process over `rounds` passes (CPU time, not wall
    time: a virtual machine's stolen moments would otherwise decide the figures)."""
    best = 0.0
    for _ in range(rounds):
        started = time.process_time()
        function(texts)
        best = max(best, len(texts) / (time.process_time() - started))
    return best


def model_and_secret(workdir: Path):  # type: ignore[no-untyped-def]
    from triage.classifier.artifact import ArtifactError, load_artifact, save_artifact
    from triage.classifier.train import train, training_examples

    data = Path(os.environ.get("QINGFENG_DATA_DIR", "var"))
    secret_file = data / "secrets" / "office_secret_key"
    if secret_file.exists():
        secret = bytes.fromhex(secret_file.read_text().strip())
        try:
            started = time.perf_counter()
            load_artifact(data / "artifacts", secret)
            return data / "artifacts", secret, time.perf_counter() - started
        except ArtifactError:
            pass
    print("no model in the data folder: training one (about a minute) …", flush=True)
    secret = secrets.token_bytes(32)
    model, metadata = train(training_examples())
    save_artifact(workdir / "artifacts", model, metadata, secret)
    return workdir / "artifacts", secret, None


def whole_job_rate(model, texts: list[str], count: int, workdir: Path) -> float:  # type: ignore[no-untyped-def]
    """Reports per second through submit → triage job → draft lead, on SQLite, one process."""
    from dataclasses import replace

    from config.settings import KdfParams, Paths, PortalSettings
    from models import Base
    from triage.keys import generate_office_keys, load_office_private_key, private_key_path
    from models.session import make_engine, make_sessionmaker
    from triage import jobs
    from triage.engine import TriageEngine
    from triage.linking import index_key

    paths = Paths(workdir / "data")
    for folder in (paths.root, paths.uploads, paths.keys):
        folder.mkdir(parents=True, exist_ok=True)
    generate_office_keys(paths.office_public_key, private_key_path(paths), b"bench passphrase!!")
    office = load_office_private_key(private_key_path(paths), b"bench passphrase!!")
    url = f"sqlite:///{paths.database}"
    Base.metadata.create_all(make_engine(url))
    import portal
    from models.shared.content import ReportContent
    from models.shared.intake import submit_report

    settings = PortalSettings(paths=paths, database_url=url, redis_url=None, jurisdiction="changjiang",
                              receipt_kdf=KdfParams(n=2, r=1, p=1), receipt_pepper=b"p" * 32,
                              secret_key=b"s" * 32)
    app = portal.create_app(settings)
    vault = app.extensions["qingfeng_vault"]
    factory = make_sessionmaker(make_engine(url))
    ids = []
    with factory() as session:
        for text in (texts * (count // len(texts) + 1))[:count]:
            ids.append(submit_report(session, vault, ReportContent(description=text), None, [], "网络").report_id)
    context = jobs.WorkerContext(TriageEngine(model), office, index_key(office))
    started = time.perf_counter()
    for report_id in ids:
        jobs.process_report(factory, report_id, context)
    return len(ids) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=300, help="reports pushed through the whole job")
    args = parser.parse_args()
    texts = [e.text for e in load_corpus()]
    chars = sum(map(len, texts)) / len(texts)
    print(f"texts: {len(texts)} from the corpus, {chars:.0f} characters on average; cores: {os.cpu_count()}")

    from triage.classifier.artifact import load_artifact
    from triage.classifier.tokenize import tokenizer, words

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        root, secret, _ = model_and_secret(workdir)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        model, metadata = load_artifact(root, secret)
        tokenizer()
        load_seconds = time.perf_counter() - started
        jieba.initialize()

        # Interleaved rounds, so a slow moment of the machine hits both sides alike.
        ratios, bares, batches = [], [], []
        for _ in range(args.rounds):
            bares.append(rate(lambda batch: [jieba.lcut(t) for t in batch], texts, 1))
            batches.append(rate(model.predict, texts, 1))
            ratios.append(bares[-1] / batches[-1])
        bare, batched = max(bares), max(batches)
        ours = rate(lambda batch: [words(t) for t in batch], texts, args.rounds)
        single = rate(lambda batch: [model.predict([t]) for t in batch], texts[:400], args.rounds)
        from triage.engine import TriageEngine

        engine = TriageEngine(model)
        suggest = rate(engine.suggest_many, texts, args.rounds)
        job = whole_job_rate(model, texts, args.jobs, workdir)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    print(f"model {metadata['version']}: load {load_seconds * 1000:.0f} ms "
          f"(signature + hashes + unpickle + jieba dictionary)")
    print(f"bare jieba.lcut                 {bare:8.0f} texts/s  (the ceiling)")
    print(f"our tokenizer (normalise+dict)  {ours:8.0f} texts/s")
    print(f"classification, batched         {batched:8.0f} texts/s  = {statistics.median(ratios):.2f}× the "
          f"time of bare jieba (median of {len(ratios)} interleaved rounds: "
          f"{', '.join(f'{r:.2f}' for r in ratios)})")
    print(f"classification, one at a time   {single:8.0f} texts/s")
    print(f"suggestions (classify+route+extract, batched) {suggest:6.0f} texts/s")
    print(f"whole job (decrypt, classify, route, extract, lead, index, link; SQLite) "
          f"{job:6.0f} reports/s")
    print(f"worker memory: max RSS {rss / 1024:.0f} MiB (before loading the model {rss_before / 1024:.0f} MiB)")
    print(f"per core: the figures above are one process on one core of {os.cpu_count()}")
    print(f"median text length {statistics.median(map(len, texts)):.0f} characters")


if __name__ == "__main__":
    main()

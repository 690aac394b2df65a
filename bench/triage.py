#!/usr/bin/env python3
"""Triage benchmark: classification against bare jieba.lcut, one text at a time against
batched, and the whole job with a per-stage breakdown, on PostgreSQL and on SQLite.

Prints figures; asserts nothing. One process, so every rate is per core. CPU time is used for
the classification ratios (a virtual machine's stolen moments would otherwise decide them) and
rounds are interleaved, so a slow moment of the machine hits both sides alike.

    .venv/bin/python bench/triage.py [--rounds 7] [--jobs 400]

Uses the model of QINGFENG_DATA_DIR if it has one (and its secrets); otherwise trains one into
a temporary folder first (two to three minutes).
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
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402

from bench.pgtools import create_database, drop_database  # noqa: E402
from triage.classifier.corpus import load_corpus  # noqa: E402

PASSPHRASE = b"bench passphrase of the office"


def cpu_seconds(function, texts: list[str]) -> float:  # type: ignore[no-untyped-def]
    started = time.process_time()
    function(texts)
    return time.process_time() - started


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
    print("no model in the data folder: training one (two to three minutes) …", flush=True)
    secret = secrets.token_bytes(32)
    model, metadata = train(training_examples())
    save_artifact(workdir / "artifacts", model, metadata, secret)
    return workdir / "artifacts", secret, None


class Laps:
    """Wall time per stage of the job, summed over reports."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.mark = time.perf_counter()

    def start(self) -> None:
        self.mark = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.totals[stage] += now - self.mark
        self.mark = now


def whole_job(model, texts: list[str], count: int, url: str, workdir: Path):  # type: ignore[no-untyped-def]
    """(reports per second, Laps) through the triage job, one report per transaction."""
    from config.settings import KdfParams, Paths
    from models import Base
    from models.session import make_engine, make_sessionmaker
    from models.shared.content import ReportContent
    from models.shared.intake import submit_report
    from models.shared.sealing import load_office_public_key
    from models.shared.vault import Vault
    from triage import jobs
    from triage.engine import TriageEngine
    from triage.keys import generate_office_keys, load_office_private_key, private_key_path
    from triage.linking import index_key

    paths = Paths(workdir / f"data-{secrets.token_hex(3)}")
    for folder in (paths.root, paths.uploads, paths.keys):
        folder.mkdir(parents=True, exist_ok=True)
    generate_office_keys(paths.office_public_key, private_key_path(paths), PASSPHRASE)
    office = load_office_private_key(private_key_path(paths), PASSPHRASE)
    engine = make_engine(url, durable=False)  # as the workers run it
    Base.metadata.create_all(engine)
    factory = make_sessionmaker(engine)
    vault = Vault(load_office_public_key(paths.office_public_key), b"p" * 32,
                  KdfParams(n=2, r=1, p=1), paths.uploads)
    ids = []
    with factory() as session:
        for text in (texts * (count // len(texts) + 1))[:count]:
            ids.append(submit_report(session, vault, ReportContent(description=text), None, [],
                                     "网络").report_id)
    context = jobs.WorkerContext(TriageEngine(model), office, index_key(office))
    jobs.process_report(factory, ids[0], context)  # warm the connection pool and caches
    laps = Laps()
    started = time.perf_counter()
    for report_id in ids[1:]:
        laps.start()
        jobs.process_report(factory, report_id, context, laps)
    rate = (len(ids) - 1) / (time.perf_counter() - started)
    engine.dispose()
    return rate, laps


def print_job(name: str, rate: float, laps: Laps, reports: int) -> None:
    total = sum(laps.totals.values())
    print(f"whole job on {name}: {rate:6.0f} reports/s  ({total / reports * 1000:.2f} ms a report)")
    for stage, seconds in laps.totals.items():
        print(f"    {stage:16s} {seconds / reports * 1000:6.2f} ms  {seconds / total:5.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=400, help="reports through the whole job")
    parser.add_argument("--single", type=int, default=600, help="texts classified one by one")
    args = parser.parse_args()
    texts = [e.text for e in load_corpus()]
    print(f"texts: {len(texts)} from the corpus, median {statistics.median(map(len, texts)):.0f} "
          f"characters; cores: {os.cpu_count()}; every figure is one process on one core")

    from triage.classifier.artifact import load_artifact
    from triage.classifier.tokenize import tokenizer

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        root, secret, _ = model_and_secret(workdir)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        model, metadata = load_artifact(root, secret)
        tokenizer()
        load_seconds = time.perf_counter() - started
        jieba.initialize()
        model.predict(texts[:50])

        bare, batched, single, ratios, single_ratios = [], [], [], [], []
        sample = texts[: args.single]
        for _ in range(args.rounds):
            bare.append(cpu_seconds(lambda batch: [jieba.lcut(t) for t in batch], texts))
            batched.append(cpu_seconds(model.predict, texts))
            ratios.append(batched[-1] / bare[-1])
            one = cpu_seconds(lambda batch: [model.predict([t]) for t in batch], sample)
            many = cpu_seconds(model.predict, sample)
            single.append(one)
            single_ratios.append(one / many)
        print(f"model {metadata['version']}: load {load_seconds * 1000:.0f} ms "
              "(signature, hashes, unpickle, jieba dictionary)")
        print(f"bare jieba.lcut              {len(texts) / min(bare):8.0f} texts/s (the ceiling)")
        print(f"classification, batched      {len(texts) / min(batched):8.0f} texts/s = "
              f"{statistics.median(ratios):.2f}× bare jieba (median of {len(ratios)} rounds; "
              f"best {min(ratios):.2f}×)")
        print(f"classification, one by one   {len(sample) / min(single):8.0f} texts/s = "
              f"{statistics.median(single_ratios):.2f}× batched (median; best "
              f"{min(single_ratios):.2f}×)")

        database = create_database()
        if database:
            try:
                url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
                rate, laps = whole_job(model, texts, args.jobs, url, workdir)
                print_job("PostgreSQL", rate, laps, args.jobs - 1)
            finally:
                drop_database(database)
        rate, laps = whole_job(model, texts, args.jobs, f"sqlite:///{workdir}/bench.db", workdir)
        print_job("SQLite", rate, laps, args.jobs - 1)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"memory: max RSS {rss / 1024:.0f} MiB (before loading the model {rss_before / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()

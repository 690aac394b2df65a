#!/usr/bin/env python3
"""Soak benchmark of the scaled deployment: sustained submissions against the portal (gunicorn,
PostgreSQL, Redis) with N `qingfeng worker`s triaging; prints intake rate, triage rate, the
backlog over time and the time from submission to a drafted lead.

    .venv/bin/python bench/soak.py [--rate 20] [--minutes 10] [--workers 1] [--fork]

Needs the local PostgreSQL and Redis. The model is taken from QINGFENG_DATA_DIR (default
./var: run `make run` or `qingfeng triage train` once), re-signed for the throw-away
installation. Not a test: it asserts nothing; the backlog staying bounded is read off the
printed samples. Stops every process and drops the database at the end, whatever happened.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pgtools import create_database, drop_database, percentile  # noqa: E402

BIN = Path(sys.executable).parent / "qingfeng"
TEXTS = ["某县人民医院骨科主任长期收受器械公司回扣，每台手术三千元，请调查。",
         "某药店用医保卡给人刷生活用品，再串换成药品结算，套取医保基金。",
         "医院药剂科主任要求药企按销量给提成，不给就不让药品进院。",
         "某诊所组织老人挂床住院，虚开治疗项目骗取医保基金。"]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _submit(url: str, text: str) -> bool:
    body = json.dumps({"description": text}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status == 201
    except OSError:
        return False


def _states(database: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={database}") as conn:
        rows = conn.execute("SELECT triage_state, count(*) FROM reports GROUP BY 1").fetchall()
    return dict(rows)


def _done_ids(database: str) -> set[int]:
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={database}") as conn:
        return {r[0] for r in conn.execute("SELECT id FROM reports WHERE triage_state = 'done'")}


def main() -> None:  # noqa: C901 (a script: set up, run, report, tear down)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20, help="submissions per second")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--fork", action="store_true", help="RQ's forking work-horse per job")
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    source = Path(os.environ.get("QINGFENG_DATA_DIR", "var")).resolve()
    if not (source / "artifacts" / "CURRENT").exists():
        sys.exit(f"no model in {source}: run 'qingfeng triage train' there first")
    database = create_database()
    if not database:
        sys.exit("PostgreSQL is needed")
    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    processes: list[subprocess.Popen] = []
    redis_db = 12
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGFENG_")}
    env |= {"QINGFENG_DATA_DIR": str(tmp / "var"),
            "QINGFENG_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}",
            "REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
            "QINGFENG_OFFICE_SECRET_KEY": (source / "secrets" / "office_secret_key").read_text().strip(),
            "QINGFENG_OFFICE_PASSPHRASE": secrets.token_urlsafe(24),
            "QINGFENG_LIMIT_SUBMISSIONS": "1000000 per day", "QINGFENG_LIMIT_API": "100000 per minute",
            "QINGFENG_ALLOW_ROOT": "1"}
    try:
        from redis import Redis

        Redis.from_url(env["REDIS_URL"]).flushdb()
        subprocess.run([str(BIN), "init"], env=env, check=True, capture_output=True)
        shutil.copytree(source / "artifacts", tmp / "var" / "artifacts", dirs_exist_ok=True)
        port = _free_port()
        processes.append(subprocess.Popen(
            [str(BIN), "serve", "--part", "portal", "--port", str(port), "--workers", "2"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        for _ in range(args.workers):
            command = [str(BIN), "worker"] + (["--fork"] if args.fork else [])
            processes.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL, start_new_session=True))
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(5)  # the workers load the model
        print(f"soak: {args.rate}/s for {args.minutes} min, {args.workers} worker(s) "
              f"({'forking' if args.fork else 'one long-lived process'}), {args.clients} clients")

        submitted: list[float] = []
        failed = [0]
        lock = threading.Lock()
        stop_at = time.monotonic() + args.minutes * 60
        interval = 1.0 / args.rate

        def client(offset: int) -> None:
            next_at = time.monotonic() + offset * interval
            while next_at < stop_at:
                delay = next_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                ok = _submit(url + "/api/v1/reports", TEXTS[len(submitted) % len(TEXTS)])
                with lock:
                    if ok:
                        submitted.append(time.time())
                    else:
                        failed[0] += 1
                next_at += args.clients * interval

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
        started = time.time()
        for thread in threads:
            thread.start()
        seen_done: dict[int, float] = {}
        samples = []
        while any(t.is_alive() for t in threads) or len(seen_done) < len(submitted):
            now = time.time()
            for report_id in _done_ids(database) - seen_done.keys():
                seen_done[report_id] = now
            states = _states(database)
            samples.append((now - started, len(submitted), len(seen_done),
                            sum(v for k, v in states.items() if k != "done")))
            if now - started > args.minutes * 60 + 600:
                print("gave up waiting for the backlog to drain after 10 more minutes")
                break
            time.sleep(1.0)
        duration = max(submitted, default=started) - started
        print(f"intake: {len(submitted) / max(duration, 1e-9):.1f} submissions/s accepted over "
              f"{duration:.0f} s ({failed[0]} refused or failed; asked {args.rate}/s)")
        last_done = max(seen_done.values(), default=started) - started
        print(f"triage: {len(seen_done) / max(last_done, 1e-9):.1f} reports/s over {last_done:.0f} s "
              f"({len(seen_done) / max(last_done, 1e-9) / args.workers:.1f} per worker)")
        print("backlog (seconds: submitted, triaged, waiting):")
        step = max(1, len(samples) // 20)
        for second, total, done, waiting in samples[::step]:
            print(f"  {second:6.0f}  {total:6d}  {done:6d}  {waiting:6d}")
        latencies = [seen_done[i] - t for i, t in zip(sorted(seen_done), sorted(submitted))]
        if latencies:
            print(f"submission → drafted lead: median {statistics.median(latencies):.1f} s, "
                  f"p95 {percentile(latencies, 95):.1f} s (sampled each second)")
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
        drop_database(database)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Intake benchmark: receipt-hash cost, then submissions/s and status look-ups/s over HTTP.

Not a test. Run from the project root with the project's venv:

    .venv/bin/python bench/intake.py [--seconds 10] [--clients 8] [--workers 2] [--json]

What it does:
  1. times `derive_receipt_keys` with the production `KdfParams()` (scrypt n=2**14, r=8, p=1);
  2. creates a throw-away PostgreSQL database on 127.0.0.1:5432 (user postgres, trust auth)
     and a temporary data folder, runs `qingfeng init` and `qingfeng serve` (gunicorn) on a free
     local port with the rate limits raised out of the way and triage inline;
  3. phase 1: N clients POST /api/v1/reports for a fixed time; phase 2: N clients POST
     /api/v1/status with the receipts from phase 1; then one client alternates right and wrong
     receipts to compare their latencies (the app is built so both cost one scrypt);
  4. stops the server, drops the database and removes the data folder, whatever happened.

Only the standard library is used for HTTP and threads; all traffic goes to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config.settings import KdfParams  # noqa: E402
from models.shared.receipt import derive_receipt_keys  # noqa: E402

from pgtools import HOST, PG_ADMIN, PG_PORT, create_database, drop_database, percentile  # noqa: E402,F401
READY_TIMEOUT = 30.0
REQUEST_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0

# Phrases a report might contain; joined at random into descriptions of 50-300 characters.
PHRASES = (
    "该院药剂科主任在采购过程中收受医药代表回扣",
    "每月以会议费名义报销的款项与实际不符",
    "科室要求患者到指定药店购买高价药品",
    "设备招标前已内定供应商，评标流于形式",
    "住院部存在虚开检查项目、重复收费的情况",
    "负责人亲属开办的公司长期承接医院保洁和食堂业务",
    "医保报销材料中有伪造的住院记录",
    "有医生收取患者红包后才安排手术",
    "耗材入库数量与实际使用数量差距很大",
    "年底突击花钱，采购大量用不上的设备",
    "药品回扣按处方量每月结算，以现金方式交付",
    "基建项目多次变更设计，追加预算没有经过集体讨论",
    "挂名领取绩效工资的人员实际并不在岗",
    "检验科将标本外送给关联机构并收取费用",
    "以上情况从去年三月开始，至今仍在继续",
    "知情人较多，但大家都不敢公开反映",
    "相关票据和聊天记录我已保存",
    "希望有关部门尽快调查核实",
)
PUNCTUATION = ("，", "。", "；")


def description(rng: random.Random) -> str:
    """Varied Chinese text of 50-300 characters."""
    target = rng.randint(50, 300)
    parts: list[str] = []
    length = 0
    while length < target:
        piece = rng.choice(PHRASES) + rng.choice(PUNCTUATION)
        parts.append(piece)
        length += len(piece)
    text = "".join(parts)[:target]
    return text[:-1] + "。" if len(text) >= 50 else text


def ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.1f} ms"


# --------------------------------------------------------------------------------------------
# 1. receipt hash


def bench_hash(runs: int) -> dict:
    kdf = KdfParams()
    pepper = secrets.token_bytes(32)
    digits = lambda: f"{secrets.randbelow(10**20):020d}"  # noqa: E731
    derive_receipt_keys(digits(), pepper, kdf)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        derive_receipt_keys(digits(), pepper, kdf)
        times.append(time.perf_counter() - start)
    return {
        "n": kdf.n,
        "r": kdf.r,
        "p": kdf.p,
        "runs": runs,
        "median_s": statistics.median(times),
        "p95_s": percentile(times, 95),
        "memory_bytes": 128 * kdf.n * kdf.r,
    }


# --------------------------------------------------------------------------------------------
# 2. database, data folder and server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_env(data_dir: Path, database_url: str) -> dict[str, str]:
    """The environment of `qingfeng init/serve`: no Redis, no inherited QINGFENG_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGFENG_") and k != "REDIS_URL"}
    env.update(
        QINGFENG_DATA_DIR=str(data_dir),
        QINGFENG_DATABASE_URL=database_url,
        QINGFENG_LIMIT_SUBMISSIONS="1000000 per day",
        QINGFENG_LIMIT_LOOKUPS="1000000 per minute",
        QINGFENG_LIMIT_LOOKUPS_GLOBAL="1000000 per minute",
        QINGFENG_LIMIT_API="1000000 per minute",
        # A throw-away installation on one machine: plain `init` keeps the passphrase beside
        # the key, and these machines run everything as root.
        QINGFENG_ONE_MACHINE="1",
    )
    assert "REDIS_URL" not in env and "QINGFENG_REDIS_URL" not in env
    return env


def venv_bin() -> Path:
    return Path(sys.executable).parent


def run_init(env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(venv_bin() / "qingfeng"), "init"], env=env, cwd=ROOT,
        capture_output=True, text=True, timeout=180,
    )
    if done.returncode != 0:
        raise RuntimeError(f"qingfeng init failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def start_server(env: dict[str, str], port: int, workers: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [str(venv_bin() / "qingfeng"), "serve", "--host", HOST, "--port", str(port),
         "--workers", str(workers), "--threads", "4"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the gunicorn master and its workers
    )
    proc.log_file = log  # type: ignore[attr-defined]
    return proc


def wait_ready(proc: subprocess.Popen, port: int, log_path: Path) -> float:
    start = time.monotonic()
    deadline = start + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server did not answer GET / with 200 within {READY_TIMEOUT:.0f} s")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group (gunicorn shuts down gracefully), then SIGKILL."""
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        pgid = None
    if proc.poll() is None:
        if pgid is not None:
            os.killpg(pgid, signal.SIGTERM)
        else:
            proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            print("server did not stop on SIGTERM; killing it", file=sys.stderr)
            if pgid is not None:
                os.killpg(pgid, signal.SIGKILL)
            else:
                proc.kill()
            proc.wait(timeout=STOP_TIMEOUT)
    if pgid is not None:  # stray workers of the group, if any
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.log_file.close()  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------
# 3. load


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # of expected answers only
    statuses: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)  # a few unexpected answers
    ok: int = 0
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, key: str) -> None:
        self.statuses[key] = self.statuses.get(key, 0) + 1

    @property
    def errors(self) -> int:
        return sum(self.statuses.values()) - self.ok

    def figures(self) -> dict:
        lat = self.latencies
        return {
            "ok": self.ok,
            "errors": self.errors,
            "statuses": dict(sorted(self.statuses.items())),
            "per_second": self.ok / self.elapsed if self.elapsed else 0.0,
            "median_s": statistics.median(lat) if lat else None,
            "p95_s": percentile(lat, 95) if lat else None,
            "elapsed_s": self.elapsed,
        }


class Client:
    """One keep-alive HTTP connection to the server; reconnects after any failure."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path: str, body: dict) -> tuple[int, bytes]:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            self.conn.request("POST", path, body=data, headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, payload
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def run_phase(port: int, clients: int, seconds: float, max_requests: int, make_request, expected: int,
              on_ok=None) -> Result:
    """`clients` threads send requests until `seconds` pass or `max_requests` have been started."""
    result = Result()
    started = 0
    start_lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        nonlocal started
        rng = random.Random(index * 7919 + time.time_ns())
        client = Client(port)
        try:
            while time.monotonic() < deadline:
                with start_lock:
                    if started >= max_requests:
                        return
                    started += 1
                path, body = make_request(rng)
                t0 = time.perf_counter()
                try:
                    status, payload = client.post(path, body)
                except Exception as exc:  # connection refused/reset, timeout …
                    with result.lock:
                        result.count(type(exc).__name__)
                        if len(result.samples) < 5:
                            result.samples.append(f"{type(exc).__name__}: {exc}")
                    time.sleep(0.05)
                    continue
                took = time.perf_counter() - t0
                with result.lock:
                    result.count(str(status))
                    if status == expected:
                        result.ok += 1
                        result.latencies.append(took)
                    elif len(result.samples) < 5:
                        result.samples.append(f"{status}: {payload[:200].decode('utf-8', 'replace')}")
                if status == expected and on_ok is not None:
                    on_ok(payload)
        finally:
            client.close()

    t_start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(worker, i) for i in range(clients)]:
            future.result()
    result.elapsed = time.perf_counter() - t_start
    return result


def report_body(rng: random.Random) -> tuple[str, dict]:
    return "/api/v1/reports", {"description": description(rng), "subject_name": "张某", "subject_unit": "某医院"}


def wrong_receipt(rng: random.Random) -> str:
    return f"{rng.randrange(10**20):020d}"


def right_vs_wrong(port: int, receipts: list[str], pairs: int, budget: float) -> dict:
    """One client alternates a right and a wrong receipt, so both see the same server load."""
    rng = random.Random()
    client = Client(port)
    right: list[float] = []
    wrong: list[float] = []
    odd: dict[str, int] = {}
    deadline = time.monotonic() + budget
    try:
        for i in range(2 * pairs):
            if time.monotonic() > deadline:
                break
            is_right = i % 2 == 0
            receipt = rng.choice(receipts) if is_right else wrong_receipt(rng)
            t0 = time.perf_counter()
            try:
                status, _ = client.post("/api/v1/status", {"receipt": receipt})
            except Exception as exc:
                odd[type(exc).__name__] = odd.get(type(exc).__name__, 0) + 1
                continue
            took = time.perf_counter() - t0
            if is_right and status == 200:
                right.append(took)
            elif not is_right and status == 404:
                wrong.append(took)
            else:
                key = f"{'right' if is_right else 'wrong'}:{status}"
                odd[key] = odd.get(key, 0) + 1
    finally:
        client.close()
    return {
        "right_n": len(right),
        "wrong_n": len(wrong),
        "right_median_s": statistics.median(right) if right else None,
        "wrong_median_s": statistics.median(wrong) if wrong else None,
        "unexpected": odd,
    }


def log_problems(data_dir: Path, server_log: Path) -> list[str]:
    """Lines of the app's logs that look like trouble (warnings, errors, tracebacks)."""
    lines: list[str] = []
    for path in (data_dir / "logs" / "qingfeng.log", data_dir / "logs" / "server.log", server_log):
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            if any(word in line for word in ("WARNING", "ERROR", "CRITICAL", "Traceback", "Exception")):
                lines.append(f"{path.name}: {line.strip()[:300]}")
    return lines


# --------------------------------------------------------------------------------------------
# main


def print_phase(title: str, res: Result, unit: str) -> None:
    f = res.figures()
    print(f"\n== {title}")
    print(f"  {f['ok']} ok in {f['elapsed_s']:.1f} s  ->  {f['per_second']:.1f} {unit}/s")
    print(f"  latency median {ms(f['median_s'])}, p95 {ms(f['p95_s'])}")
    print(f"  answers: {f['statuses']}  (errors: {f['errors']})")
    for sample in res.samples:
        print(f"  unexpected: {sample}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each phase (default 10)")
    parser.add_argument("--max-requests", type=int, default=100_000,
                        help="upper bound on requests per phase (default 100000)")
    parser.add_argument("--hash-runs", type=int, default=20, help="timed receipt hashes (default 20)")
    parser.add_argument("--pairs", type=int, default=30,
                        help="right/wrong receipt pairs in the timing comparison (default 30)")
    parser.add_argument("--sqlite", action="store_true",
                        help="use SQLite in the data folder if PostgreSQL is unreachable")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = parser.parse_args()
    if args.clients < 1 or args.workers < 1 or args.seconds <= 0 or args.max_requests < 1:
        parser.error("--clients, --workers, --seconds and --max-requests must be positive")

    figures: dict = {"cores": os.cpu_count(), "workers": args.workers, "clients": args.clients,
                     "seconds": args.seconds}

    print(f"== receipt hash: derive_receipt_keys with KdfParams() x {args.hash_runs}")
    h = bench_hash(args.hash_runs)
    figures["hash"] = h
    print(f"  scrypt n=2**{h['n'].bit_length() - 1} r={h['r']} p={h['p']}: "
          f"median {ms(h['median_s'])}, p95 {ms(h['p95_s'])}, memory {h['memory_bytes'] / 2**20:.0f} MiB")

    db_name = create_database()
    if db_name is None:
        if not args.sqlite:
            print("Start PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth), "
                  "or pass --sqlite to benchmark on SQLite instead.", file=sys.stderr)
            return 2
        print("falling back to SQLite (--sqlite)", file=sys.stderr)

    data_dir = Path(tempfile.mkdtemp(prefix="qingfeng_bench_"))
    server_log = data_dir.parent / (data_dir.name + ".serve.log")
    proc: subprocess.Popen | None = None
    try:
        if db_name:
            database_url = f"postgresql+psycopg://postgres@{HOST}:{PG_PORT}/{db_name}"
            figures["database"] = "postgresql"
        else:
            database_url = f"sqlite:///{data_dir / 'qingfeng.db'}"
            figures["database"] = "sqlite"
        print(f"\n== server: {figures['database']} ({db_name or database_url}), data folder {data_dir}")
        env = server_env(data_dir, database_url)
        run_init(env)
        port = free_port()
        proc = start_server(env, port, args.workers, server_log)
        ready = wait_ready(proc, port, server_log)
        print(f"  gunicorn on {HOST}:{port}, {args.workers} workers x 4 threads, ready after {ready:.1f} s")

        # Warm-up, untimed: the first requests of each worker load the triage model etc.
        receipts: list[str] = []
        receipts_lock = threading.Lock()

        def keep_receipt(payload: bytes) -> None:
            receipt = json.loads(payload)["receipt"]
            with receipts_lock:
                receipts.append(receipt)

        run_phase(port, args.clients, min(3.0, args.seconds), 2 * args.clients, report_body, 201, keep_receipt)

        sub = run_phase(port, args.clients, args.seconds, args.max_requests, report_body, 201, keep_receipt)
        print_phase(f"phase 1: POST /api/v1/reports, {args.clients} clients, {args.seconds:g} s", sub,
                    "submissions")
        figures["submissions"] = sub.figures()
        figures["receipts_collected"] = len(receipts)

        if not receipts:
            print("\nno receipts were issued: skipping the look-up phase", file=sys.stderr)
        else:
            snapshot = list(receipts)

            def status_body(rng: random.Random) -> tuple[str, dict]:
                return "/api/v1/status", {"receipt": rng.choice(snapshot)}

            look = run_phase(port, args.clients, args.seconds, args.max_requests, status_body, 200)
            print_phase(f"phase 2: POST /api/v1/status, {args.clients} clients, {args.seconds:g} s", look,
                        "look-ups")
            figures["lookups"] = look.figures()

            cmp_ = right_vs_wrong(port, snapshot, args.pairs, budget=max(30.0, args.seconds * 3))
            figures["right_vs_wrong"] = cmp_
            print(f"\n== right vs wrong receipts, 1 client, alternating ({cmp_['right_n']} + {cmp_['wrong_n']})")
            print(f"  right receipt (200): median {ms(cmp_['right_median_s'])}")
            print(f"  wrong receipt (404): median {ms(cmp_['wrong_median_s'])}")
            if cmp_["unexpected"]:
                print(f"  unexpected answers: {cmp_['unexpected']}")

        problems = log_problems(data_dir, server_log)
        figures["log_problems"] = len(problems)
        if problems:
            print(f"\n== app logs: {len(problems)} warning/error line(s); first ones:")
            for line in problems[:10]:
                print(f"  {line}")
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if proc is not None:
            stop_server(proc)
            print("\nserver stopped")
        if db_name:
            drop_database(db_name)
        shutil.rmtree(data_dir, ignore_errors=True)
        server_log.unlink(missing_ok=True)

    sub_f = figures.get("submissions", {})
    look_f = figures.get("lookups", {})
    rvw = figures.get("right_vs_wrong", {})
    print("\n================ summary ================")
    print(f"cores (os.cpu_count)   {figures['cores']}")
    print(f"database               {figures['database']}")
    print(f"gunicorn workers       {args.workers} (x 4 threads)")
    print(f"clients                {args.clients}")
    print(f"phase duration         {args.seconds:g} s")
    print(f"receipt hash           median {ms(h['median_s'])}, p95 {ms(h['p95_s'])}, "
          f"{h['memory_bytes'] / 2**20:.0f} MiB (scrypt n={h['n']} r={h['r']} p={h['p']})")
    if sub_f:
        print(f"submissions/s          {sub_f['per_second']:.1f}  (median {ms(sub_f['median_s'])}, "
              f"p95 {ms(sub_f['p95_s'])}; {sub_f['ok']} ok, {sub_f['errors']} errors)")
    if look_f:
        print(f"look-ups/s             {look_f['per_second']:.1f}  (median {ms(look_f['median_s'])}, "
              f"p95 {ms(look_f['p95_s'])}; {look_f['ok']} ok, {look_f['errors']} errors)")
    if rvw:
        print(f"right vs wrong receipt median {ms(rvw['right_median_s'])} vs {ms(rvw['wrong_median_s'])}")
    print(f"app log warnings       {figures.get('log_problems', 'n/a')}")
    print("=========================================")
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

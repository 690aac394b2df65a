#!/usr/bin/env python3
"""Seconds from `make run` to the portal's first page, on a fresh data folder (the virtual
environment already installed: `make install`). Prints the figure the README quotes.

    .venv/bin/python bench/first_page.py [--port 5090]

Runs `make run` with a throw-away QINGFENG_DATA_DIR, polls http://127.0.0.1:PORT/ every 0.1 s,
prints the time to the first 200 and to the back office's login page, then stops the server's
process group (the background training it started with it) and removes the folder.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _first_ok(url: str, started: float, limit: float) -> float | None:
    while time.monotonic() - started < limit:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.1)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=5090)
    parser.add_argument("--limit", type=float, default=120, help="give up after this many seconds")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="qingfeng-first-"))
    env = {**os.environ, "QINGFENG_DATA_DIR": str(data / "var"), "PORT": str(args.port)}
    started = time.monotonic()
    server = subprocess.Popen(["make", "-s", "run"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        portal = _first_ok(f"http://127.0.0.1:{args.port}/", started, args.limit)
        office = _first_ok(f"http://127.0.0.1:{args.port}/office/login", started, args.limit)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    print(f"make run → first portal page: {portal:.1f} s" if portal else "portal: no answer")
    print(f"make run → office login page: {office:.1f} s" if office else "office: no answer")


if __name__ == "__main__":
    main()

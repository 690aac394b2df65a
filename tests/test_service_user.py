"""The services never run as root: they refuse, or drop to the configured service user."""
from __future__ import annotations

import os
import pwd
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.backends import service_env
from tests.faults import children

BIN = Path(sys.executable).parent / "qingfeng"
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="only root can be refused or drop rights")


def _without_root_permission(env: dict) -> dict:
    return {k: v for k, v in env.items() if k != "QINGFENG_ALLOW_ROOT"}


def test_serve_and_worker_refuse_root(tmp_path):
    env = _without_root_permission(service_env(QINGFENG_DATA_DIR=str(tmp_path / "var")))
    subprocess.run([str(BIN), "init"], env=env, check=True, capture_output=True)
    for command in (["serve", "--port", "1"], ["worker", "--burst"]):
        run_env = env | ({"REDIS_URL": "redis://127.0.0.1:1/0"} if command[0] == "worker" else {})
        result = subprocess.run([str(BIN), *command], env=run_env, capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 1 and "refusing to run as root" in result.stderr, result.stderr


def test_one_machine_mode_may_run_as_root(tmp_path):
    env = _without_root_permission(service_env(QINGFENG_DATA_DIR=str(tmp_path / "var"),
                                               QINGFENG_ONE_MACHINE="1"))
    subprocess.run([str(BIN), "init"], env=env, check=True, capture_output=True)
    with socket.socket() as busy:  # a taken port: serve stops right after the user check
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = subprocess.run([str(BIN), "serve", "--port", str(busy.getsockname()[1])],
                                env=env, capture_output=True, text=True, timeout=60)
    assert "refusing to run as root" not in result.stderr and "cannot listen" in result.stderr


def test_serve_drops_to_the_service_user(tmp_path):
    nobody = pwd.getpwnam("nobody")
    data = tmp_path / "var"
    env = _without_root_permission(service_env(QINGFENG_DATA_DIR=str(data)))
    subprocess.run([str(BIN), "init"], env=env, check=True, capture_output=True)
    for path in [tmp_path, data, *data.rglob("*")]:
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([str(BIN), "serve", "--port", str(port)],
                              env=env | {"QINGFENG_RUN_AS": "nobody"}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        uids = []
        for pid in [server.pid, *children(server.pid)]:
            status = Path(f"/proc/{pid}/status").read_text()
            uids.append(int(next(line for line in status.splitlines()
                                 if line.startswith("Uid:")).split()[1]))
        assert uids and set(uids) == {nobody.pw_uid}
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=15)



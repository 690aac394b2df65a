"""`qingfeng serve` as `make run` starts it: portal at /, office at /office, no access log."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.backends import service_env

BIN = Path(sys.executable).parent / "qingfeng"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_serve_runs_portal_and_office_and_writes_no_address(tmp_path):
    env = service_env(QINGFENG_DATA_DIR=str(tmp_path / "var"), QINGFENG_ONE_MACHINE="1")
    subprocess.run([str(BIN), "init"], env=env, check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen([str(BIN), "serve", "--port", str(port), "--workers", "1"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if _get(base + "/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        assert _get(base + "/")[0] == 200
        assert "工作人员后台" in _get(base + "/office/")[1]
        status, body = _get(base + "/api/v1/reports", {"description": "某卫生院院长私设小金库，年底私分奖金二十万元。"})
        assert status == 201
        receipt = json.loads(body)["receipt"]
        status, body = _get(base + "/api/v1/status", {"receipt": receipt})
        assert status == 200 and json.loads(body)["status"] == "submitted"
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=15)
    written = b"".join(p.read_bytes() for p in (tmp_path / "var").rglob("*")
                       if p.is_file() and p.parent.name not in ("keys", "secrets"))
    assert b"127.0.0.1" not in written
    assert receipt.encode() not in written and receipt.replace(" ", "").encode() not in written
    assert "小金库".encode() not in written


def _env(data: Path) -> dict:
    return service_env(QINGFENG_DATA_DIR=str(data), QINGFENG_ONE_MACHINE="1")  # plain init


def _portal_host(tmp_path: Path) -> tuple[Path, Path, dict]:
    """An office host initialised as usual, and a portal host given only what the portal needs:
    the office public key, the receipt pepper and its own secret — no private key, no passphrase,
    no office secret. Both use the office host's database."""
    office = tmp_path / "office"
    subprocess.run([str(BIN), "init"], env=_env(office), check=True, capture_output=True)
    portal = tmp_path / "portal"
    for name in ("keys/office.pub", "secrets/portal_secret_key", "secrets/receipt_pepper"):
        (portal / name).parent.mkdir(parents=True, exist_ok=True)
        (portal / name).write_bytes((office / name).read_bytes())
    env = _env(portal) | {"QINGFENG_DATABASE_URL": f"sqlite:///{office / 'qingfeng.db'}"}
    return office, portal, env


def test_the_portal_alone_runs_without_the_private_key_and_loads_no_office_code(tmp_path):
    office, portal, env = _portal_host(tmp_path)
    assert not (portal / "keys" / "office.key").exists()
    probe = ("import sys, portal; app = portal.create_app(); c = app.test_client();"
             "r = c.post('/api/v1/reports', json={'description': '某卫生院院长私设小金库，年底私分奖金。'});"
             "assert r.status_code == 201, r.status_code;"
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'triage'"
             " or m == 'config.office_settings'))")
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_serve_part_portal_takes_reports_that_the_office_sweep_then_triages(tmp_path):
    office, portal, env = _portal_host(tmp_path)
    port = _free_port()
    server = subprocess.Popen([str(BIN), "serve", "--part", "portal", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if _get(base + "/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        receipts = []
        for _ in range(3):
            status, body = _get(base + "/api/v1/reports", {"description": "某卫生院院长收受药企回扣，每月两万元。"})
            assert status == 201
            receipts.append(json.loads(body)["receipt"])
        assert _get(base + "/office/")[0] == 404  # no back office on the public host
        command = Path(f"/proc/{server.pid}/cmdline").read_bytes().split(b"\0")
        assert b"portal:create_app()" in command  # gunicorn in a fresh interpreter, portal only
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=15)
    swept = subprocess.run([str(BIN), "sweep"], env=_env(office), capture_output=True, text=True)
    assert "handed 3 waiting report(s)" in swept.stdout, swept.stdout + swept.stderr


def test_serve_says_so_on_the_console_when_the_port_is_taken(tmp_path):
    subprocess.run([str(BIN), "init"], env=_env(tmp_path / "var"), check=True, capture_output=True)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run([str(BIN), "serve", "--port", str(port)], env=_env(tmp_path / "var"),
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "无法监听" in result.stderr
    assert time.monotonic() - started < 30

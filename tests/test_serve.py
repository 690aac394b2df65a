"""`qingfeng serve` as `make run` starts it: portal at /, office at /office, no access log."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGFENG_") and k != "REDIS_URL"}
    env["QINGFENG_DATA_DIR"] = str(tmp_path / "var")
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

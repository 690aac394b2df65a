"""The production topology, run for real: the portal, the back office and an RQ worker as
separate processes on the local PostgreSQL and Redis, each given only what tests/deployment.py
lists. The portal runs in a network namespace of its own when the machine allows one, reaching
nothing but PostgreSQL and Redis. A report goes end to end: submitted on the portal → triaged by
the worker → accepted and transferred in the office → a message to the reporter → read with the
receipt code on the portal.
"""
from __future__ import annotations

import base64
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.backends import REDIS_TEST_URL, postgres_reason, redis_reason, require, service_env
from tests.deployment import NEVER_FOR_PORTAL, ROLES
from tests.faults import Switch, wait_for

BIN = Path(sys.executable).parent / "qingfeng"
PASSWORD = "a long topology test password"
REDIS_DB = 13


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Namespace:
    """A network namespace joined to this host by a veth pair (10.x.y.1 here, .2 inside)."""

    def __init__(self) -> None:
        tag = secrets.token_hex(3)
        self.name = f"qf-{tag}"
        self.host_if, self.ns_if = f"qfh{tag}", f"qfn{tag}"
        octet = secrets.randbelow(250) + 2
        self.host_ip, self.ns_ip = f"10.212.{octet}.1", f"10.212.{octet}.2"

    def up(self) -> str | None:
        """None when the namespace is up, else why it could not be made."""
        steps = [
            ["ip", "netns", "add", self.name],
            ["ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if],
            ["ip", "link", "set", self.ns_if, "netns", self.name],
            ["ip", "addr", "add", f"{self.host_ip}/30", "dev", self.host_if],
            ["ip", "link", "set", self.host_if, "up"],
            ["ip", "netns", "exec", self.name, "ip", "addr", "add", f"{self.ns_ip}/30", "dev", self.ns_if],
            ["ip", "netns", "exec", self.name, "ip", "link", "set", self.ns_if, "up"],
            ["ip", "netns", "exec", self.name, "ip", "link", "set", "lo", "up"],
        ]
        if shutil.which("ip") is None:
            return "no 'ip' command"
        for step in steps:
            result = subprocess.run(step, capture_output=True, text=True)
            if result.returncode != 0:
                self.down()
                return f"{' '.join(step)}: {result.stderr.strip()}"
        return None

    def prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.name]

    def down(self) -> None:
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


class Browser:
    """A cookie-keeping HTTP client that posts forms with their CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=20) as response:
            return response.read().decode()

    def post(self, path: str, page_path: str, fields: dict) -> str:
        page = self.get(page_path)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        body = urllib.parse.urlencode({"csrf_token": token.group(1) if token else "", **fields},
                                      doseq=True).encode()
        with self.opener.open(self.base + path, data=body, timeout=30) as response:
            return response.read().decode()


def _json(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _wait_for(check, seconds: float = 60):  # type: ignore[no-untyped-def]
    return wait_for(check, seconds=seconds, every=0.25)


def _role_folder(source: Path, target: Path, role: str) -> None:
    """A data folder holding only what the role is given."""
    for name in ROLES[role]["files"]:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name)
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target / name)


@pytest.fixture
def installation(tmp_path, pg_databases, small_model):
    """Secrets as an operator passes them (environment), the schema on a fresh PostgreSQL
    database, the office keys, and the session's model signed for this installation."""
    require(postgres_reason())
    require(redis_reason())
    from redis import Redis

    from triage.classifier.artifact import save_artifact

    redis_url = REDIS_TEST_URL.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    Redis.from_url(redis_url).flushdb()
    env_secrets = {
        "QINGFENG_PORTAL_SECRET_KEY": secrets.token_hex(32),
        "QINGFENG_OFFICE_SECRET_KEY": secrets.token_hex(32),
        "QINGFENG_RECEIPT_PEPPER": secrets.token_hex(32),
        "QINGFENG_OFFICE_PASSPHRASE": secrets.token_urlsafe(24),
    }
    common = {"QINGFENG_DATABASE_URL": pg_databases.create(), "REDIS_URL": redis_url,
              "QINGFENG_JURISDICTION": "changjiang"}
    setup = tmp_path / "setup"
    # Plain http on loopback here: the office's Secure cookie (on by default) would not come back.
    base_env = service_env(QINGFENG_COOKIE_SECURE="0")
    run = subprocess.run([str(BIN), "init"], env=base_env | common | env_secrets
                         | {"QINGFENG_DATA_DIR": str(setup)}, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert not (setup / "secrets" / "office_passphrase").exists()  # never beside the key
    _, model, metadata = small_model
    save_artifact(setup / "artifacts", model, metadata,
                  bytes.fromhex(env_secrets["QINGFENG_OFFICE_SECRET_KEY"]))
    yield {"setup": setup, "base_env": base_env, "common": common, "secrets": env_secrets}
    Redis.from_url(redis_url).flushdb()


def _env_for(role: str, installation: dict, data: Path) -> dict:
    values = installation["common"] | installation["secrets"]
    env = installation["base_env"] | {k: values[k] for k in ROLES[role]["env"]}
    return env | {"QINGFENG_DATA_DIR": str(data)}


def test_the_parts_run_apart_and_a_report_goes_end_to_end(tmp_path, installation):
    setup = installation["setup"]
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    folders = {}
    for role in ROLES:
        folders[role] = tmp_path / role
        _role_folder(setup, folders[role], role)
        if "uploads" in ROLES[role]["writes"]:
            (folders[role] / "uploads").symlink_to(uploads)
    assert not any((folders["portal"] / name).exists() for name in NEVER_FOR_PORTAL)
    portal_env = _env_for("portal", installation, folders["portal"])
    assert not set(NEVER_FOR_PORTAL) & set(portal_env)

    namespace, forwarders, processes = Namespace(), [], []
    isolation = namespace.up()
    if isolation:
        print(f"portal runs without a network namespace: {isolation}")
    try:
        portal_port, office_port = _free_port(), _free_port()
        prefix, portal_host = [], "127.0.0.1"
        if not isolation:
            # Inside, PostgreSQL and Redis are reached through forwarders on the veth address.
            for port in (5432, 6379):
                forwarders.append(Switch(("127.0.0.1", port), listen=(namespace.host_ip, port)))
            for name in ("QINGFENG_DATABASE_URL", "REDIS_URL"):
                portal_env[name] = portal_env[name].replace("127.0.0.1", namespace.host_ip)
            prefix, portal_host = namespace.prefix(), namespace.ns_ip
        processes.append(subprocess.Popen(
            prefix + [str(BIN), *ROLES["portal"]["command"], "--host", portal_host,
                      "--port", str(portal_port)],
            env=portal_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        office_env = _env_for("office", installation, folders["office"])
        processes.append(subprocess.Popen(
            [str(BIN), *ROLES["office"]["command"], "--port", str(office_port)], env=office_env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        processes.append(subprocess.Popen(
            [str(BIN), *ROLES["worker"]["command"]], env=_env_for("worker", installation, folders["worker"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        portal = f"http://{portal_host}:{portal_port}"
        office = Browser(f"http://127.0.0.1:{office_port}")
        _wait_for(lambda: urllib.request.urlopen(portal + "/", timeout=5).status == 200)
        _wait_for(lambda: office.get("/login"))

        if not isolation:  # from the portal's namespace the office is out of reach
            probe = subprocess.run(prefix + [sys.executable, "-c", (
                "import socket,sys\ntry:\n socket.create_connection(('%s', %d), timeout=2)\n"
                " sys.exit(1)\nexcept OSError:\n sys.exit(0)") % (namespace.host_ip, office_port)])
            assert probe.returncode == 0

        # 1. a citizen reports on the portal
        status, accepted = _json(portal + "/api/v1/reports", {
            "description": "某县人民医院骨科主任张某某长期收受器械公司回扣，每台手术八千元。",
            "subject_name": "张某某", "subject_unit": "某县人民医院"})
        assert status == 201
        receipt = accepted["receipt"]

        # 2. the worker triages it (a draft lead appears in the office's queue)
        login(office, installation, office_env)
        _wait_for(lambda: "自动分析" in office.get("/reports/1"), seconds=90)

        # 3. accepted and transferred in the office
        page = office.get("/reports/1")
        first = re.search(r'name="categories" value="(\d+)"', page).group(1)
        agency = re.search(r'<option selected>([^<]+)</option>', page).group(1)
        office.post("/reports/1/accept", "/reports/1",
                    {"categories": first, "agency": agency, "summary": "骨科主任收受回扣"})
        lead_page = re.search(r'href="(/leads/\d+)"', office.get("/reports/1")).group(1)
        office.post(f"{lead_page}/transfer", lead_page, {})
        assert agency in office.get(lead_page)

        # 4. a message to the reporter, read on the portal with the receipt code
        office.post("/reports/1/message", "/reports/1", {"text": "请补充手术的大致时间。"})
        status, seen = _json(portal + "/api/v1/status", {"receipt": receipt})
        assert status == 200 and seen["status"] == "transferred"
        assert [m["body"] for m in seen["messages"] if m["from"] == "office"] == ["请补充手术的大致时间。"]
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, 15)
                process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, 9)
        for forwarder in forwarders:
            forwarder.close()
        namespace.down()


def login(browser: Browser, installation: dict, office_env: dict) -> None:
    """Create a supervisor with the command line, log in and enrol TOTP as a person would."""
    from triage.passwords import totp

    made = subprocess.run([str(BIN), "user", "add", "--username", "wang", "--role", "supervisor",
                           "--password", PASSWORD], env=office_env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    page = browser.post("/login", "/login", {"username": "wang", "password": PASSWORD})
    secret_text = re.search(r"data-totp-secret>([A-Z2-7=]+)<", page).group(1)
    secret = base64.b32decode(secret_text + "=" * (-len(secret_text) % 8))
    browser.post("/enrol", "/enrol", {"code": totp(secret).generate(time.time()).decode()})
    assert "退出" in browser.get("/")

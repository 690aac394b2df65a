"""Pieces for fault-injection tests: a private redis-server, a TCP forwarder that can refuse
and cut connections (a database going away), and a `qingfeng` installation on PostgreSQL."""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "qingfeng"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, seconds: float = 30, every: float = 0.2, describe=None):  # type: ignore[no-untyped-def]
    """The first truthy value of check() within `seconds`, else AssertionError (saying what
    describe() returns then)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except OSError:
            pass
        time.sleep(every)
    raise AssertionError(f"gave up waiting after {seconds} s"
                         + (f": {describe()}" if describe is not None else ""))


class RedisServer:
    """A redis-server of the test's own on a free port, keeping nothing on disk (as the
    deployment's Redis is assumed to), which the test can kill and start again empty."""

    def __init__(self, folder: Path) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed")
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.port), timeout=1))

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes from `source` to `sink` until either side closes; then close both."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
                end.close()
            except OSError:
                pass


class Switch:
    """A TCP forwarder in front of a service that can be turned off: while off it refuses new
    connections and cuts the open ones (a database restarting, a network partition). Listens on
    `listen`, or on a free loopback port."""

    def __init__(self, target: tuple[str, int], listen: tuple[str, int] | None = None) -> None:
        self.target = target
        self.port = listen[1] if listen else free_port()
        self.on = True
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        self.server = socket.create_server(listen or ("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.on:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pipe, args=(a, b), daemon=True).start()

    def off(self) -> None:
        self.on = False
        with self.lock:
            for s in self.open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.open.clear()

    def close(self) -> None:
        self.off()
        self.server.close()


def install(folder: Path, database_url: str, redis_url: str, model) -> dict:  # type: ignore[no-untyped-def]
    """An initialised data folder with secrets given in the environment (as in production) and
    `model` (a (root, model, metadata) of the `trained` fixture) signed for it."""
    from tests.backends import service_env
    from triage.classifier.artifact import save_artifact

    env = service_env(
        QINGFENG_DATA_DIR=str(folder), QINGFENG_DATABASE_URL=database_url, REDIS_URL=redis_url,
        QINGFENG_PORTAL_SECRET_KEY=secrets.token_hex(32),
        QINGFENG_OFFICE_SECRET_KEY=secrets.token_hex(32),
        QINGFENG_RECEIPT_PEPPER=secrets.token_hex(32),
        QINGFENG_OFFICE_PASSPHRASE=secrets.token_urlsafe(24),
        QINGFENG_LIMIT_SUBMISSIONS="100000 per day", QINGFENG_LIMIT_API="100000 per minute",
        QINGFENG_LIMIT_LOOKUPS="100000 per minute",
    )
    subprocess.run([str(BIN), "init"], env=env, check=True, capture_output=True)
    _, trained, metadata = model
    save_artifact(folder / "artifacts", trained, metadata,
                  bytes.fromhex(env["QINGFENG_OFFICE_SECRET_KEY"]))
    return env


def start(command: list[str], env: dict) -> subprocess.Popen:
    """A `qingfeng` process in its own process group."""
    return subprocess.Popen([str(BIN), *command], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, 15)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, 9)
        except ProcessLookupError:
            pass


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[1] == str(pid):
                found.append(int(entry.name))
    return found

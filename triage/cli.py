"""The `qingfeng` command: init, keys, db, serve, worker, sweep."""
from __future__ import annotations

import os
import secrets
import sys

import click

from config.data import ConfigError, load_jurisdiction, load_taxonomy
from config.settings import Paths, data_paths, portal_settings_from_env
from config.office_settings import (given_passphrase, one_machine_mode, passphrase_beside_key,
                                    triage_settings_from_env)

SECRET_FILES = {
    "portal_secret_key": "PORTAL_SECRET_KEY",
    "office_secret_key": "OFFICE_SECRET_KEY",
    "receipt_pepper": "RECEIPT_PEPPER",
}


@click.group()
def main() -> None:
    """清风 Qingfeng: whistleblower intake and triage."""
    os.umask(0o077)  # everything we write (database, uploads, logs) is private to the service


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def make_folders(paths: Paths) -> None:
    """Create the data folder; everything in it is private to the service user."""
    for folder in (paths.root, paths.uploads, paths.keys, paths.secrets, paths.logs):
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)


def make_secrets(paths: Paths) -> None:
    """Create each random secret that is neither in the environment nor on disk."""
    for name, env in SECRET_FILES.items():
        path = paths.secrets / name
        if os.environ.get(f"QINGFENG_{env}") or path.exists():
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        click.echo(f"created secret {path}")


NO_PASSPHRASE = (
    "--production writes no passphrase: give the one for the new office key as "
    "QINGFENG_OFFICE_PASSPHRASE or in a file outside the data folder named by "
    "QINGFENG_OFFICE_PASSPHRASE_FILE / 生产模式不生成口令：请用 QINGFENG_OFFICE_PASSPHRASE 或数据目录"
    "之外的 QINGFENG_OFFICE_PASSPHRASE_FILE 提供新私钥的口令")


def make_office_keys(paths: Paths, production: bool = False) -> None:
    """Create the office key pair if missing, under the passphrase the operator gives
    (QINGFENG_OFFICE_PASSPHRASE or QINGFENG_OFFICE_PASSPHRASE_FILE); with none, one machine's
    convenience generates it into secrets/office_passphrase, and production refuses."""
    from triage.keys import generate_office_keys, private_key_path

    if private_key_path(paths).exists():
        return
    passphrase = given_passphrase(paths)
    if not passphrase and production:
        raise ConfigError(NO_PASSPHRASE)
    passphrase = passphrase or _generate_passphrase(paths)
    generate_office_keys(paths.office_public_key, private_key_path(paths), passphrase.encode())
    click.echo(f"created office key pair in {paths.keys}")


def _generate_passphrase(paths: Paths) -> str:
    passphrase = secrets.token_urlsafe(24)
    stored = passphrase_beside_key(paths)
    fd = os.open(stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(passphrase)
    click.echo(f"generated the office passphrase into {stored}")
    return passphrase


def check_production(paths: Paths) -> None:
    """Before anything is written: --production keeps no passphrase in the data folder, and
    needs one given when the office keys are still to be made."""
    from triage.keys import private_key_path

    beside = passphrase_beside_key(paths)
    if beside.exists():
        raise ConfigError(f"{beside} holds the passphrase beside the key: move it to a secret "
                          "store (QINGFENG_OFFICE_PASSPHRASE or QINGFENG_OFFICE_PASSPHRASE_FILE) "
                          f"and delete it / 口令文件与私钥同在数据目录：请移入密钥保管后删除 {beside}")
    if not private_key_path(paths).exists() and not given_passphrase(paths):
        raise ConfigError(NO_PASSPHRASE)


def say_where_the_passphrase_is(paths: Paths) -> None:
    """One line when the passphrase sits beside the key: what that means."""
    beside = passphrase_beside_key(paths)
    if beside.exists():
        click.echo(f"one machine only / 仅限单机: the office passphrase sits beside the key in "
                   f"{beside}, so a copy of the data folder opens every report (口令与私钥同在数据"
                   "目录，复制即可打开全部举报); production: qingfeng init --production")


def say_what_to_keep_where(paths: Paths) -> None:
    """After `init --production`: which host gets which key, secret and passphrase."""
    where = {"portal_secret_key": "portal / 门户", "office_secret_key": "office, workers / 后台",
             "receipt_pepper": "portal, office, workers / 全部"}
    click.echo("keep / 存放:")
    click.echo(f"  the passphrase / 口令: a secret store, given to the office and the workers only "
               f"(QINGFENG_OFFICE_PASSPHRASE or _FILE), never in {paths.root} or its backups")
    click.echo(f"  {paths.keys / 'office.key'}: office and workers only; office.pub: every host")
    for name, env in SECRET_FILES.items():
        source = ("in the environment" if os.environ.get(f"QINGFENG_{env}") else
                  f"now in {paths.secrets / name}: hand it over as the variable, delete the file")
        click.echo(f"  QINGFENG_{env} ({where[name]}): {source}")
    click.echo("  audit anchors / 审计锚点: QINGFENG_AUDIT_ANCHOR_FILE on write-once or off-host "
               f"storage (default {paths.logs / 'audit-anchors.log'})")


@main.command()
@click.option("--production", is_flag=True,
              help="Write no passphrase anywhere: the office keys need QINGFENG_OFFICE_PASSPHRASE "
                   "or QINGFENG_OFFICE_PASSPHRASE_FILE (outside the data folder).")
def init(production: bool) -> None:
    """Create the data folder, secrets, database schema and office keys (idempotent). Without
    --production a generated passphrase is kept beside the key, for one machine only."""
    from migrations.runner import upgrade

    paths = data_paths()
    try:
        load_jurisdiction(os.environ.get("QINGFENG_JURISDICTION", "changjiang"))
        load_taxonomy()
        if production:
            check_production(paths)
        make_folders(paths)
        make_secrets(paths)
        make_office_keys(paths, production)
        settings = portal_settings_from_env()
    except (ConfigError, ValueError) as exc:
        _fail(str(exc))
    upgrade(settings.database_url)
    click.echo(f"data folder ready: {paths.root}")
    if production:
        say_what_to_keep_where(paths)
    else:
        say_where_the_passphrase_is(paths)


@main.group()
def keys() -> None:
    """The office key pair."""


@keys.command("init")
def keys_init() -> None:
    """Create the office key pair (private key encrypted under the passphrase)."""
    paths = data_paths()
    make_folders(paths)
    try:
        make_office_keys(paths)
    except (ConfigError, FileExistsError, ValueError) as exc:
        _fail(str(exc))


@main.group()
def db() -> None:
    """Database schema (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    from migrations.runner import upgrade

    upgrade(portal_settings_from_env().database_url, revision)


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION."""
    from migrations.runner import downgrade

    downgrade(portal_settings_from_env().database_url, revision)


def setup_logging(paths: Paths) -> None:
    """Application logs to data/logs/qingfeng.log, stamped to the hour; no access log exists
    anywhere (P2, P4: models/shared/logs.py)."""
    from models.shared.logs import log_to

    log_to(paths.logs / "qingfeng.log")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", "5000")),
              show_default="PORT or 5000")
# Without Redis the rate limits live in each process's memory, so one process (with threads;
# scrypt releases the GIL) keeps them exact; with Redis, several processes share them.
@click.option("--workers", type=int, default=lambda: 2 if os.environ.get("REDIS_URL") else 1,
              show_default="2 with REDIS_URL, else 1")
@click.option("--threads", type=int, default=8, show_default=True)
@click.option("--part", type=click.Choice(["both", "portal", "office"]), default="both",
              show_default=True,
              help="both: portal at / and office at /office (one machine); portal or office alone "
                   "for a split deployment, where the portal's host holds no private key.")
def serve(host: str, port: int, workers: int, threads: int, part: str) -> None:
    """Serve the portal and/or the back office with gunicorn."""
    from triage.server import exec_portal, port_problem
    from triage.server import serve as run_server

    paths = data_paths()
    if not paths.office_public_key.exists():
        _fail("no office keys: run 'qingfeng init' first / 尚未初始化：请先运行 qingfeng init")
    run_as_service_user()
    problem = port_problem(host, port)
    if problem:
        _fail(f"cannot listen on {host}:{port}: {problem} / 无法监听 {host}:{port}：{problem}"
              " (another program uses the port? choose one with --port or PORT=…)")
    setup_logging(paths)
    base = f"http://{host}:{port}"
    click.echo(f"serving {part} on {base}/ (errors: {paths.logs / 'server.log'})")
    if one_machine_mode():
        say_where_the_passphrase_is(paths)
    if part in ("both", "office"):
        office = f"{base}/office/" if part == "both" else f"{base}/"
        click.echo(f"back office / 工作人员后台: {office}")
        click.echo("first account / 创建第一个账号: qingfeng user add --username NAME --role supervisor")
    if part == "portal":
        # A fresh interpreter that loads the portal alone: no office code, no private key (P1).
        exec_portal(host, port, workers, threads, paths.logs / "server.log")
    if not os.environ.get("REDIS_URL"):
        train_in_background(paths)
    run_server(host, port, workers, threads, part, paths.logs / "server.log")


def train_in_background(paths: Paths) -> None:
    """Without a model, train one beside the server (its progress on this console): the portal
    answers at once, reports wait and are triaged as soon as the model is ready."""
    import subprocess

    from triage.classifier.artifact import usable_model

    try:
        if usable_model(paths.artifacts, triage_settings_from_env().secret_key):
            return
    except ConfigError:
        return
    click.echo("no trained model yet / 尚无分类模型: training it in the background (2–3 minutes); "
               "reports are accepted meanwhile and triaged when it is ready")
    subprocess.Popen([sys.executable, "-m", "triage.cli", "triage", "train", "--if-missing",
                      "--prefix", "[模型训练] "])


@main.command()
@click.option("--burst", is_flag=True, help="Process what is queued, then stop.")
@click.option("--sweep-every", type=int, default=60, show_default=True, help="Seconds between sweeps.")
@click.option("--fork", is_flag=True,
              help="Fork a work-horse per job (RQ's default), instead of one long-lived process.")
def worker(burst: bool, sweep_every: int, fork: bool) -> None:
    """Run triage jobs from Redis (needs REDIS_URL)."""
    from triage.worker import run_worker

    run_as_service_user()  # first: the settings read the keys, as the service user
    settings = triage_settings_from_env()
    if not settings.redis_url:
        _fail("REDIS_URL is not set: without Redis, triage runs inside 'qingfeng serve'")
    setup_logging(settings.paths)
    run_worker(settings, burst=burst, sweep_every=sweep_every, fork=fork)


def run_as_service_user() -> str | None:
    """Never run the services as root (the data folder's 0700/0600 modes would protect nothing):
    drop to QINGFENG_RUN_AS when it names a user, refuse otherwise — unless one-machine mode
    (`make run`) or QINGFENG_ALLOW_ROOT=1 says a throw-away machine is meant. Returns the user
    name gunicorn should switch to after binding, if any."""
    if os.geteuid() != 0:
        return None
    target = os.environ.get("QINGFENG_RUN_AS", "")
    if target:
        import pwd

        try:
            entry = pwd.getpwnam(target)
        except KeyError:
            _fail(f"QINGFENG_RUN_AS: no user '{target}' / 用户 {target} 不存在")
        os.setgroups([])
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)
        return target
    if os.environ.get("QINGFENG_ONE_MACHINE") == "1" or os.environ.get("QINGFENG_ALLOW_ROOT") == "1":
        return None
    _fail("refusing to run as root / 拒绝以 root 身份运行: set QINGFENG_RUN_AS=<service user> "
          "(or QINGFENG_ALLOW_ROOT=1 on a throw-away machine)")
    return None


@main.command()
def sweep() -> None:
    """Hand every report still waiting for triage over again (P6): to RQ when REDIS_URL is set,
    otherwise triaged here and now."""
    from models.session import make_engine, make_sessionmaker
    from models.shared.handoff import RqHandoff
    from triage.jobs import ContextLoader
    from triage.runner import InProcessRunner
    from triage.sweep import sweep as run_sweep

    settings = triage_settings_from_env()
    factory = make_sessionmaker(make_engine(settings.database_url))
    if settings.redis_url:
        handoff = RqHandoff(settings.redis_url, factory)
    else:
        handoff = InProcessRunner(factory, ContextLoader(settings), inline=True)
    handed = run_sweep(handoff, factory, settings.redis_url, include_awaiting=True)
    click.echo(f"handed {handed} waiting report(s) to triage")


from triage.cli_office import audit_group, export_command, reminders, user_group  # noqa: E402
from triage.cli_triage import triage_group  # noqa: E402
from triage.cli_ops import backup, doctor, restore  # noqa: E402
from triage.cli_tokens import token_group  # noqa: E402

for group in (triage_group, user_group, audit_group, reminders, export_command, backup, restore,
              doctor, token_group):
    main.add_command(group)

if __name__ == "__main__":  # pragma: no cover
    main()

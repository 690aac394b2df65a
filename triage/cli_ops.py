"""`qingfeng backup`, `qingfeng restore` and `qingfeng doctor`: looking after a data folder.

A backup holds what cannot be made again: the database, the sealed uploads, the office PUBLIC
key and, on request, the model in use. It never holds secrets/ nor keys/office.key: a backup
lying next to them opens every report, so P2 holds for a backup only while they are kept apart,
offline. Its manifest gives each file's size and sha256 and the hour it was made, never a finer
time, and the copies do not keep the uploads' file times: a backup must not date what a
reporter did.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import click
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from config.data import ConfigError
from config.settings import Paths, data_paths, env_value, read_secret

MANIFEST = "manifest.json"
FORMAT = "qingfeng-backup/1"
DATABASE_FILES = {"sqlite": "qingfeng.db", "postgresql": "database.pgdump"}
PUBLIC_KEY = "keys/office.pub"
KEPT_APART = ("secrets/ 与 keys/office.key 不在备份中：请另行离线保管 / "
              "secrets/ and keys/office.key are not in backups: keep them apart, offline")
LEFT_OUT = {
    "secrets/": KEPT_APART,
    "keys/office.key": KEPT_APART,
    "logs/": "日志无需恢复 / logs are not needed to restore",
}
NO_MODEL = ("未加 --with-model：恢复后运行 qingfeng triage train / "
            "not asked for (--with-model): run qingfeng triage train after restoring")


# ---------------------------------------------------------------- shared helpers

def database_url(paths: Paths) -> str:
    """The database URL as the apps compute it, without reading any secret: a restore runs
    before the secrets are brought back."""
    return env_value("DATABASE_URL") or f"sqlite:///{paths.database}"


def _kind(url: str) -> str:
    return "sqlite" if make_url(url).get_backend_name() == "sqlite" else "postgresql"


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in blocks (uploads can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Progress:
    """Prints `label NN%` each time another tenth is done, so a long step shows it is alive."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.shown = label, max(total, 1), -1

    def __call__(self, done: int) -> None:
        tenth = min(10, done * 10 // self.total)
        if tenth > self.shown:
            self.shown = tenth
            click.echo(f"  {self.label} {tenth * 10}%")


def copy_sqlite(source: Path, target: Path, label: str) -> None:
    """Copy a live SQLite database with the online backup API: a consistent snapshot even while
    the portal writes (SQLite restarts the copy if another process writes meanwhile), where a
    file copy can catch the main file and its WAL at different moments."""
    if not source.is_file():
        raise click.ClickException(f"数据库文件不存在 / no database file: {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        pages = src.execute("PRAGMA page_count").fetchone()[0]
        progress = Progress(label, pages)
        src.backup(dst, pages=max(256, pages // 20), sleep=0,
                   progress=lambda _status, remaining, total: progress(total - remaining))
        # The copy is self-contained: no -wal file to carry, readable from read-only media.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise click.ClickException(
            f"未安装 {name}：请安装 PostgreSQL 客户端（如 apt-get install postgresql-client，"
            f"版本不低于服务器）/ {name} is not installed: install the PostgreSQL client tools "
            "(e.g. apt-get install postgresql-client), of the server's major version or newer")
    return found


def _run_pg_tool(name: str, args: list[str], url: str) -> None:
    """Run pg_dump or pg_restore on the database of `url`; the password goes in the
    environment, never on the command line, where the process list would show it."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    dsn = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    result = subprocess.run([_pg_tool(name), *args, f"--dbname={dsn}"],
                            env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise click.ClickException(f"{name} 失败 / {name} failed: {result.stderr.strip()[-800:]}")


def schema_revision(url: str) -> str | None:
    """The Alembic revision the database is at (None: no schema). SQLite is opened read-only and
    without the apps' pragmas, so reading a backup copy leaves it byte for byte as it was."""
    query = "SELECT version_num FROM alembic_version"
    try:
        if _kind(url) == "sqlite":
            path = Path(make_url(url).database or "").resolve()
            with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection:
                rows = connection.execute(query).fetchall()
        else:
            rows = _postgres_rows(url, query)
    except (sqlite3.Error, SQLAlchemyError):  # no such table: no schema
        return None
    return ",".join(sorted(r[0] for r in rows)) or None


def _postgres_rows(url: str, query: str) -> list:
    from models.session import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(query)).all())
    finally:
        engine.dispose()


def head_revision(url: str) -> str:
    """The revision `qingfeng db upgrade` leads to."""
    from alembic.script import ScriptDirectory

    from migrations.runner import alembic_config

    return ",".join(sorted(ScriptDirectory.from_config(alembic_config(url)).get_heads()))


def _copy_file(source: Path, target: Path) -> None:
    """Copy bytes only (shutil.copyfile, not copy2): an upload's time is its submission time,
    which must not travel."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = target.with_name(target.name + ".part")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


def _copy_all(pairs: list[tuple[Path, Path]], label: str) -> None:
    progress = Progress(label, sum(s.stat().st_size for s, _ in pairs))
    done = 0
    for source, target in pairs:
        _copy_file(source, target)
        done += source.stat().st_size
        progress(done)


# ---------------------------------------------------------------- backup

@click.command("backup")
@click.option("--to", "target", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="An empty or new folder.")
@click.option("--with-model", is_flag=True, help="Also copy the model in use (artifacts/).")
def backup(target: Path, with_model: bool) -> None:
    """Copy the database, the sealed uploads and the office public key (and the model) into a
    new folder with a manifest. Never secrets/ nor keys/office.key."""
    from models.base import hour_now

    paths = data_paths()
    url = database_url(paths)
    if target.exists() and any(target.iterdir()):
        raise click.ClickException(f"目标文件夹非空 / the target folder is not empty: {target}")
    if target.resolve().is_relative_to(paths.root):
        raise click.ClickException("备份不能放在数据目录内（会与 secrets/ 同处）/ the backup cannot "
                                   "be inside the data folder, beside secrets/")
    if not paths.office_public_key.is_file():
        raise click.ClickException(f"尚未初始化 / not initialised (no {paths.office_public_key})")
    model = _model_version(paths) if with_model else None  # refuse before copying anything
    if _kind(url) == "postgresql":
        _pg_tool("pg_dump")
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(target, 0o700)
    click.echo(f"备份到 / backing up to {target}")
    revision = _backup_database(url, target)
    uploads = _upload_files(paths)
    _copy_all([(p, target / "uploads" / p.name) for p in uploads],
              f"上传文件 / uploads ({len(uploads)})")
    _copy_file(paths.office_public_key, target / PUBLIC_KEY)
    left_out = dict(LEFT_OUT)
    if model:
        _backup_model(paths, target, model)
    else:
        left_out["artifacts/"] = NO_MODEL
    manifest = {
        "format": FORMAT,
        "created": hour_now().strftime("%Y-%m-%dT%H:00Z"),  # the hour only, on purpose
        "qingfeng": _version(),
        "database": {"kind": _kind(url), "file": DATABASE_FILES[_kind(url)]},
        "schema_revision": revision,
        "files": _describe(target),
        "left_out": left_out,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                   encoding="utf-8")
    click.echo(f"完成 / done: {len(manifest['files'])} files, schema {revision}")
    click.echo(KEPT_APART)


def _backup_database(url: str, target: Path) -> str | None:
    """Database first, files after: uploads are written before their row is committed, so every
    row in the copy finds its file in the folder copied afterwards."""
    destination = target / DATABASE_FILES[_kind(url)]
    if _kind(url) == "sqlite":
        copy_sqlite(Path(make_url(url).database or ""), destination, "数据库 / database")
        return schema_revision(f"sqlite:///{destination}")
    click.echo("  数据库导出中（pg_dump）/ dumping the database (pg_dump) …")
    revision = schema_revision(url)
    _run_pg_tool("pg_dump", ["--format=custom", f"--file={destination}"], url)
    click.echo(f"  数据库 / database: {destination.stat().st_size / 2**20:.1f} MiB")
    return revision


def _upload_files(paths: Paths) -> list[Path]:
    """The sealed evidence files; `.part` files are writes still in progress."""
    if not paths.uploads.is_dir():
        return []
    return sorted(p for p in paths.uploads.iterdir() if p.is_file() and p.suffix != ".part")


def _model_version(paths: Paths) -> str:
    from triage.classifier.artifact import current_version

    version = current_version(paths.artifacts)
    if not version or not (paths.artifacts / version).is_dir():
        raise click.ClickException("没有可备份的模型 / no model to back up: "
                                   "run qingfeng triage train, or leave out --with-model")
    return version


def _backup_model(paths: Paths, target: Path, version: str) -> None:
    from triage.classifier.artifact import CURRENT

    files = [p for p in (paths.artifacts / version).rglob("*") if p.is_file()]
    pairs = [(p, target / "artifacts" / p.relative_to(paths.artifacts)) for p in files]
    _copy_all([*pairs, (paths.artifacts / CURRENT, target / "artifacts" / CURRENT)],
              f"模型 / model {version}")


def _describe(target: Path) -> dict[str, dict]:
    return {p.relative_to(target).as_posix(): {"size": p.stat().st_size, "sha256": sha256_file(p)}
            for p in sorted(target.rglob("*")) if p.is_file() and p.name != MANIFEST}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("qingfeng")
    except PackageNotFoundError:
        return "unknown"


# ---------------------------------------------------------------- restore

@click.command("restore")
@click.option("--from", "source", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the database (and public key) in place.")
def restore(source: Path, force: bool) -> None:
    """Restore a backup into the data folder (QINGFENG_DATA_DIR) after checking every file's
    hash. Stop the services first; secrets, the private key and the passphrase come back
    separately."""
    from triage.cli import make_folders

    manifest = _checked_manifest(source)
    paths = data_paths()
    url = database_url(paths)
    _refuse_conflicts(manifest, source, paths, url, force)
    if _kind(url) == "postgresql":
        _pg_tool("pg_restore")  # before anything is written
    make_folders(paths)
    click.echo(f"恢复到 / restoring into {paths.root}")
    database = source / manifest["database"]["file"]
    if manifest["database"]["kind"] == "sqlite":
        copy_sqlite(database, Path(make_url(url).database or ""), "数据库 / database")
    else:
        click.echo("  数据库导入中（pg_restore）/ restoring the database (pg_restore) …")
        _run_pg_tool("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction",
                                    "--exit-on-error", str(database)], url)
    files = [rel for rel in manifest["files"] if rel not in DATABASE_FILES.values()]
    _copy_all([(source / rel, paths.root / rel) for rel in files], f"文件 / files ({len(files)})")
    _verify_revision(manifest, url)
    _tell_what_to_bring_back(paths)


def _checked_manifest(source: Path) -> dict:
    """The manifest, once every file it names is in place with its size and sha256."""
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"不是完整的备份（缺少或无法读取 {MANIFEST}）/ "
                                   f"not a complete backup (no readable {MANIFEST})") from exc
    if manifest.get("format") != FORMAT:
        raise click.ClickException(f"未知的备份格式 / unknown backup format {manifest.get('format')!r}")
    problems = [f"  {rel}: {why}" for rel, meta in manifest["files"].items()
                if (why := _file_problem(source, rel, meta))]
    database = manifest["database"]
    if DATABASE_FILES.get(database["kind"]) != database["file"]:
        problems.append(f"  {database['file']}: 不是 {database['kind']} 数据库文件 / "
                        f"not the file of a {database['kind']} database")
    for rel in (database["file"], PUBLIC_KEY):
        if rel not in manifest["files"]:
            problems.append(f"  {rel}: 清单中没有 / not in the manifest")
    if problems:
        click.echo("\n".join(problems), err=True)
        raise click.ClickException("备份已损坏或被改动，未恢复任何内容 / "
                                   "the backup is damaged or was altered: nothing was restored")
    return manifest


def _file_problem(source: Path, rel: str, meta: dict) -> str | None:
    parts = PurePosixPath(rel).parts
    allowed = rel in (*DATABASE_FILES.values(), PUBLIC_KEY) or \
        (len(parts) > 1 and parts[0] in ("uploads", "artifacts"))
    if not allowed or ".." in parts or rel.startswith("/"):
        return "不应出现在备份中 / does not belong in a backup"
    path = source / rel
    if not path.is_file():
        return "缺失 / missing"
    if path.stat().st_size != meta.get("size") or sha256_file(path) != meta.get("sha256"):
        return "大小或 sha256 不符 / size or sha256 differs"
    return None


def _refuse_conflicts(manifest: dict, source: Path, paths: Paths, url: str, force: bool) -> None:
    kind = manifest["database"]["kind"]
    if kind != _kind(url):
        raise click.ClickException(f"备份来自 {kind}，当前数据库为 {_kind(url)} / the backup holds a "
                                   f"{kind} database, QINGFENG_DATABASE_URL is {_kind(url)}")
    if force:
        return
    if _database_in_place(url):
        raise click.ClickException("已有数据库：确认要覆盖时加 --force / a database is already in "
                                   "place: add --force to replace it")
    current = paths.office_public_key
    if current.is_file() and current.read_bytes() != (source / PUBLIC_KEY).read_bytes():
        raise click.ClickException(f"{current} 是另一对密钥的公钥：确认时加 --force / {current} "
                                   "belongs to another key pair: add --force to replace it")


def _database_in_place(url: str) -> bool:
    if _kind(url) == "sqlite":
        path = Path(make_url(url).database or "")
        return path.is_file() and path.stat().st_size > 0
    from sqlalchemy import inspect

    from models.session import make_engine

    engine = make_engine(url)
    try:
        return bool(inspect(engine).get_table_names())
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise click.ClickException(f"无法连接数据库 / database unreachable: {reason}") from exc
    finally:
        engine.dispose()


def _verify_revision(manifest: dict, url: str) -> None:
    revision, expected = schema_revision(url), manifest["schema_revision"]
    if revision != expected:
        raise click.ClickException(f"恢复后数据库版本为 {revision}，应为 {expected} / the restored "
                                   f"database reads revision {revision}, the backup {expected}")
    click.echo(f"✓ 数据库已恢复，版本 {revision} / database restored, schema revision {revision}")
    if revision != head_revision(url):
        click.echo("  此版本较旧：运行 qingfeng db upgrade / older than this code: run qingfeng db upgrade")


def _tell_what_to_bring_back(paths: Paths) -> None:
    from triage.cli import SECRET_FILES
    from triage.keys import private_key_path

    click.echo("请另行带回（从不在备份中）/ bring back separately (never in a backup):")
    items = [(bool(env_value(env)) or (paths.secrets / name).is_file(),
              f"secrets/{name} 或 / or QINGFENG_{env}") for name, env in SECRET_FILES.items()]
    items.append((private_key_path(paths).is_file(),
                  "keys/office.key（办公室私钥 / the office private key）"))
    try:
        passphrase = _passphrase(paths) is not None
    except ConfigError:
        passphrase = False
    items.append((passphrase, "口令 / the passphrase: QINGFENG_OFFICE_PASSPHRASE (or _FILE)"))
    for here, what in items:
        click.echo(f"  [{'已在 / here' if here else '待带回 / to bring back'}] {what}")
    for finding in _unlock(Host(paths, "both", one_machine=True)):
        click.echo(finding.line())
        if finding.state == FAIL:
            raise click.ClickException("已恢复，但私钥检查未通过 / restored, but the private "
                                       "key check failed")
    click.echo("然后运行 / then run: qingfeng doctor")


# ---------------------------------------------------------------- doctor

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
MARKS = {OK: "✓", WARN: "⚠", FAIL: "✗", SKIP: "·"}


@dataclass(frozen=True)
class Finding:
    """One line of `qingfeng doctor`: a state and what to do, in Chinese and English."""

    state: str
    zh: str
    en: str

    def line(self) -> str:
        return f"{MARKS[self.state]} {self.zh} / {self.en}"


@dataclass(frozen=True)
class Host:
    """What the checks need to know: the data folder, its role, and whether this is one
    machine (`make run` exports QINGFENG_ONE_MACHINE=1), where conveniences are only warnings."""

    paths: Paths
    part: str  # both (portal and office together), office (back office and workers) or portal
    one_machine: bool

    @property
    def holds_private_key(self) -> bool:
        return self.part != "portal"


@click.command("doctor")
@click.option("--part", type=click.Choice(["both", "office", "portal"]), default="both",
              show_default=True, help="This host's role: both (one machine), office (back office "
              "and workers) or portal (public host: no private key).")
def doctor(part: str) -> None:
    """Check the installation; one line per check, ✓ or ✗ with what to fix; exit 1 on any ✗.
    Outside one-machine mode (QINGFENG_ONE_MACHINE=1, set by `make run`) the one-machine
    conveniences (passphrase beside the key, root) are errors, as they stop the services."""
    from config.office_settings import one_machine_mode

    host = Host(data_paths(), part, one_machine_mode())
    findings = [finding for check in CHECKS for finding in _safely(check, host)]
    for finding in findings:
        click.echo(finding.line())
    failed = sum(f.state == FAIL for f in findings)
    if failed:
        raise click.ClickException(f"{failed} 项需要处理 / {failed} problem(s) to fix")


def _safely(check: Callable[[Host], Iterator[Finding]], host: Host) -> list[Finding]:
    """A doctor must not crash on what it diagnoses: an unexpected error is itself a finding."""
    try:
        return list(check(host))
    except Exception as exc:  # noqa: BLE001
        return [Finding(FAIL, f"检查 {check.__name__} 出错", f"{check.__name__} failed: "
                        f"{type(exc).__name__}: {exc}")]


def check_folder(host: Host) -> Iterator[Finding]:
    root = host.paths.root
    if not root.is_dir():
        yield Finding(FAIL, f"数据目录 {root} 不存在：运行 qingfeng init",
                      f"data folder {root} missing: run qingfeng init")
        return
    info, uid = root.stat(), _service_uid()
    mode = stat.S_IMODE(info.st_mode)
    if mode != 0o700:
        yield Finding(FAIL, f"数据目录权限为 {mode:o}：chmod 700 {root}",
                      f"data folder is {mode:o}, should be 700: chmod 700 {root}")
    if info.st_uid != uid:
        yield Finding(FAIL, f"数据目录属于 uid {info.st_uid}，不是当前用户 {uid}",
                      f"data folder owned by uid {info.st_uid}, not the current user {uid}: chown")
    if mode == 0o700 and info.st_uid == uid:
        yield Finding(OK, f"数据目录 {root}（700，属当前用户）",
                      f"data folder {root} is 700 and yours")


def _service_uid() -> int:
    """Whose the data folder must be: ours, or QINGFENG_RUN_AS's when root hands over to it."""
    target = os.environ.get("QINGFENG_RUN_AS")
    if os.geteuid() == 0 and target:
        import pwd

        try:
            return pwd.getpwnam(target).pw_uid
        except KeyError:
            pass  # reported by check_user
    return os.geteuid()


def check_secrets(host: Host) -> Iterator[Finding]:
    from triage.cli import SECRET_FILES

    unneeded = {"portal": "office_secret_key", "office": "portal_secret_key"}.get(host.part)
    for name, env in SECRET_FILES.items():
        if name == unneeded:
            continue
        path = host.paths.secrets / name
        if env_value(env):
            source_zh, source_en = f"来自 QINGFENG_{env}", f"from QINGFENG_{env}"
        elif not path.is_file():
            yield Finding(FAIL, f"缺少密钥 {name}：运行 qingfeng init 或设置 QINGFENG_{env}",
                          f"secret {name} missing: run qingfeng init or set QINGFENG_{env}")
            continue
        elif (mode := stat.S_IMODE(path.stat().st_mode)) != 0o600:
            yield Finding(FAIL, f"密钥文件权限为 {mode:o}：chmod 600 {path}",
                          f"secret file {path} is {mode:o}: chmod 600 {path}")
            continue
        else:
            source_zh, source_en = "文件 600", "file, 600"
        try:
            read_secret(host.paths, name, env)
        except ValueError:
            yield Finding(FAIL, f"密钥 {name} 不是十六进制", f"secret {name} is not hex")
            continue
        yield Finding(OK, f"密钥 {name}（{source_zh}）", f"secret {name} ({source_en})")


def check_keys(host: Host) -> Iterator[Finding]:
    from models.shared.sealing import SealError, load_office_public_key
    from triage.keys import private_key_path

    public, private = host.paths.office_public_key, private_key_path(host.paths)
    if public.is_file():
        try:
            load_office_public_key(public)
            yield Finding(OK, "办公室公钥在位", f"office public key {public} present")
        except (SealError, ValueError):
            yield Finding(FAIL, f"{public} 不是有效公钥", f"{public} is not a valid public key")
    else:
        yield Finding(FAIL, f"缺少办公室公钥 {public}：运行 qingfeng init 或 restore",
                      f"office public key {public} missing: run qingfeng init or restore")
    if not host.holds_private_key:
        try:
            held = private.exists() or _passphrase(host.paths) is not None
        except ConfigError:  # a passphrase file is named, if unreadable: still one too many
            held = True
        yield Finding(FAIL if held else OK,
                      "门户主机存有私钥或口令：删除（P1）" if held else "门户主机无私钥、无口令（P1）",
                      "the portal host holds the private key or passphrase: remove them (P1)"
                      if held else "no private key nor passphrase on the portal host (P1)")
    elif not private.is_file():
        yield Finding(FAIL, f"缺少办公室私钥 {private}：从离线保管处带回",
                      f"office private key {private} missing: bring it back from offline storage")
    elif (mode := stat.S_IMODE(private.stat().st_mode)) != 0o600:
        yield Finding(FAIL, f"私钥权限为 {mode:o}：chmod 600 {private}",
                      f"private key is {mode:o}: chmod 600 {private}")
    else:
        yield Finding(OK, "办公室私钥在位（600）", f"office private key {private} present, 600")


def check_passphrase(host: Host) -> Iterator[Finding]:
    if not host.holds_private_key:
        return
    from config.office_settings import passphrase_beside_key

    beside = passphrase_beside_key(host.paths)
    if beside.exists():
        yield Finding(WARN if host.one_machine else FAIL,
                      f"口令文件 {beside} 与私钥同在数据目录：仅复制数据目录即可打开所有举报；"
                      "请移入密钥保管，用 QINGFENG_OFFICE_PASSPHRASE 传入",
                      f"a passphrase file sits beside the private key ({beside}): a copy of the "
                      "data folder alone opens every report; move it to a secret store and pass "
                      "QINGFENG_OFFICE_PASSPHRASE (or _FILE, outside the data folder)")
    else:
        yield Finding(OK, "口令未与私钥存放在一起", "the passphrase is not stored beside the key")
    yield from _unlock(host)


def _unlock(host: Host) -> Iterator[Finding]:
    from models.shared.sealing import SealError, load_office_public_key, public_bytes
    from triage.keys import load_office_private_key, private_key_path

    private = private_key_path(host.paths)
    try:
        passphrase = _passphrase(host.paths)
    except ConfigError as exc:
        yield Finding(FAIL, f"口令无法读取：{exc}", f"passphrase unreadable: {exc}")
        return
    if passphrase is None or not private.is_file() or not host.paths.office_public_key.is_file():
        yield Finding(SKIP, "未检查口令能否解开私钥（无口令或无密钥）",
                      "unlocking not checked (no passphrase or no key): "
                      "set QINGFENG_OFFICE_PASSPHRASE")
        return
    try:
        key = load_office_private_key(private, passphrase)
    except SealError:
        yield Finding(FAIL, "口令无法解开私钥", f"the passphrase does not unlock {private}")
        return
    public = load_office_public_key(host.paths.office_public_key)
    if public_bytes(key.public_key()) != public_bytes(public):
        yield Finding(FAIL, "私钥与 keys/office.pub 不匹配：门户封存的举报将无法打开",
                      "the private key does not match keys/office.pub: sealed reports won't open")
    else:
        yield Finding(OK, "口令可解开私钥，且与公钥匹配",
                      "the passphrase unlocks the private key, which matches keys/office.pub")


def _passphrase(paths: Paths) -> bytes | None:
    """The passphrase wherever it may be: given (QINGFENG_OFFICE_PASSPHRASE or _FILE), else
    beside the key. Whether it may be beside the key is check_passphrase's business."""
    from config.office_settings import given_passphrase, passphrase_beside_key

    value = given_passphrase(paths)
    beside = passphrase_beside_key(paths)
    if not value and beside.is_file():
        value = beside.read_text().strip()
    return value.encode() if value else None


def check_database(host: Host) -> Iterator[Finding]:
    url = database_url(host.paths)
    if _kind(url) == "sqlite" and not Path(make_url(url).database or "").is_file():
        yield Finding(FAIL, "数据库不存在：运行 qingfeng init", "no database: run qingfeng init")
        return
    try:
        from models.session import make_engine

        engine = make_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # noqa: BLE001
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        yield Finding(FAIL, f"无法连接数据库：{reason}", f"database unreachable: {reason}")
        return
    revision, head = schema_revision(url), head_revision(url)
    if revision == head:
        yield Finding(OK, f"数据库可连接，版本 {revision}（最新）",
                      f"database reachable, at head revision {revision}")
    else:
        yield Finding(FAIL, f"数据库版本 {revision}，应为 {head}：运行 qingfeng db upgrade",
                      f"database at revision {revision}, head is {head}: run qingfeng db upgrade")


def check_redis(host: Host) -> Iterator[Finding]:
    url = os.environ.get("REDIS_URL") or env_value("REDIS_URL")
    if not url:
        yield Finding(SKIP, "未设置 REDIS_URL：不使用 Redis", "REDIS_URL not set: Redis not used")
        return
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except RedisError as exc:
        yield Finding(FAIL, f"无法连接 Redis：{exc}", f"Redis unreachable: {exc}")
        return
    yield Finding(OK, "Redis 可连接", "Redis reachable")


def check_model(host: Host) -> Iterator[Finding]:
    if not host.holds_private_key:
        return
    from triage.classifier.artifact import ArtifactError, current_version, load_artifact

    if not current_version(host.paths.artifacts):
        yield Finding(FAIL, "模型缺失：运行 qingfeng triage train",
                      "no trained model: run qingfeng triage train")
        return
    try:
        secret = read_secret(host.paths, "office_secret_key", "OFFICE_SECRET_KEY")
        _, metadata = load_artifact(host.paths.artifacts, secret)
    except (ArtifactError, ConfigError) as exc:
        yield Finding(FAIL, f"模型不可用（{exc}）：运行 qingfeng triage train",
                      f"model unusable ({exc}): run qingfeng triage train")
        return
    version = metadata["version"]
    yield Finding(OK, f"模型 {version} 已签名，可加载", f"signed model {version} present and loadable")


def check_config(host: Host) -> Iterator[Finding]:
    from config.checks import validate_data_files

    jurisdiction = env_value("JURISDICTION", "changjiang") or "changjiang"
    try:
        validate_data_files(jurisdiction)
    except ConfigError as exc:
        yield Finding(FAIL, f"配置文件有误：{exc}", f"config files invalid: {exc}")
        return
    yield Finding(OK, f"辖区 {jurisdiction} 与配置文件有效",
                  f"jurisdiction {jurisdiction} and config files valid")


def check_user(host: Host) -> Iterator[Finding]:
    allowed = host.one_machine or os.environ.get("QINGFENG_ALLOW_ROOT") == "1"
    yield user_finding(os.geteuid(), allowed, os.environ.get("QINGFENG_RUN_AS", ""))


def user_finding(euid: int, root_allowed: bool, run_as: str = "") -> Finding:
    """The rule `qingfeng serve` and `worker` follow: a service running as root turns any flaw
    in it into control of the machine, so root hands over to QINGFENG_RUN_AS, or is tolerated
    on one machine (`make run`) or with QINGFENG_ALLOW_ROOT=1."""
    import pwd

    if euid != 0:
        return Finding(OK, f"未以 root 运行（uid {euid}）", f"not running as root (uid {euid})")
    if run_as:
        try:
            pwd.getpwnam(run_as)
        except KeyError:
            return Finding(FAIL, f"QINGFENG_RUN_AS：用户 {run_as} 不存在",
                           f"QINGFENG_RUN_AS: no user '{run_as}'")
        return Finding(OK, f"root 启动后切换为 {run_as}", f"root hands over to {run_as}")
    if root_allowed:
        return Finding(WARN, "以 root 运行：仅限单机试用",
                       "running as root: for a trial on one machine only")
    return Finding(FAIL, "以 root 运行：服务不应以 root 运行，请设 QINGFENG_RUN_AS 为专用账号",
                   "running as root: services should not run as root; set QINGFENG_RUN_AS to "
                   "a service user")


CHECKS = (check_folder, check_secrets, check_keys, check_passphrase, check_database,
          check_redis, check_model, check_config, check_user)

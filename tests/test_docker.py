"""docker/: the image and the compose file, checked without a Docker engine (none runs on the
development machines). The compose services must give each role exactly what
tests/deployment.py lists, which tests/test_topology.py runs for real; the Dockerfile must create
and own every folder a volume is mounted on; the init service's own command is run here on the
local PostgreSQL to see what it leaves in the key volumes; the wheel the image installs must
carry the training corpus.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from functools import lru_cache
from pathlib import Path, PurePosixPath

import yaml

from tests.backends import postgres_reason, require
from tests.deployment import NEVER_FOR_PORTAL, ROLES

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
APP_IMAGE = "qingfeng:local"
# The files in each named volume, or None for a folder used whole: init writes both key files
# into `keys` and copies only the public one into `portal-keys`
# (test_init_service_fills_the_key_volumes_and_writes_no_secret runs init's command to see).
VOLUME_HOLDS: dict[str, tuple[str, ...] | None] = {
    "keys": ("office.pub", "office.key"),
    "portal-keys": ("office.pub",),
    "uploads": None,
    "artifacts": None,
}
SECRET_SUFFIXES = ("_KEY", "_PEPPER", "_PASSPHRASE", "_PASSWORD")
# A public key in a container that does not use it gives nothing away.
HARMLESS_EXTRA = {"keys/office.pub"}
VARIABLE = re.compile(r"\$\{([A-Za-z_]\w*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_]\w*)")


# --- reading the files -------------------------------------------------------------------------

@lru_cache(maxsize=1)
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yml").read_text(encoding="utf-8"))


def service(name: str) -> dict:
    """A service with `extends` (same file) merged in; YAML merge keys are resolved on load."""
    found = dict(compose()["services"][name])
    base_ref = found.pop("extends", None)
    if base_ref is None:
        return found
    base = service(base_ref if isinstance(base_ref, str) else base_ref["service"])
    merged = base | found
    merged["environment"] = environment(base) | environment(found)
    return merged


def environment(svc: dict) -> dict[str, str]:
    values = svc.get("environment") or {}
    if isinstance(values, list):
        values = dict(item.split("=", 1) if "=" in item else (item, "") for item in values)
    return {name: str(value) for name, value in values.items()}


def mounts(svc: dict) -> list[tuple[str, str, bool]]:
    """(source, target, read_only) of each volume, from the short or the long syntax."""
    result = []
    for entry in svc.get("volumes", []):
        if isinstance(entry, dict):
            result.append((entry["source"], entry["target"], bool(entry.get("read_only"))))
        else:
            source, target, *mode = entry.split(":")
            result.append((source, target, "ro" in "".join(mode).split(",")))
    return result


def strings(node: object):  # type: ignore[no-untyped-def]
    """Every string value in the parsed document (comments are gone)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def used_variables() -> set[str]:
    found = set()
    for text in strings(compose()):
        for match in VARIABLE.finditer(text.replace("$$", "")):
            found.add(match.group(1) or match.group(4))
    return found


def env_example() -> dict[str, tuple[str, str]]:
    """NAME -> (value, the comment line just above it)."""
    lines = (DOCKER / ".env.example").read_text(encoding="utf-8").splitlines()
    entries = {}
    for number, line in enumerate(lines):
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            above = lines[number - 1] if number else ""
            entries[name.strip()] = (value.strip(), above if above.startswith("#") else "")
    return entries


def interpolate(text: str, values: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error} and $$ (a literal $)."""
    def substitute(match: re.Match) -> str:
        name, operator, argument = match.group(1) or match.group(4), match.group(2), match.group(3)
        value = values.get(name, "")
        if not value and operator in (":?", "?"):
            raise KeyError(f"{name}: {argument}")
        return value or (argument if operator in (":-", "-") else "")

    parts = text.split("$$")
    return "$".join(VARIABLE.sub(substitute, part) for part in parts)


@lru_cache(maxsize=1)
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in (DOCKER / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        keyword, _, rest = pending.strip().partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        pending = ""
    return instructions


def setuptools_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def packages() -> list[str]:
    """The top-level package folders pyproject.toml installs."""
    return [pattern.rstrip("*") for pattern in setuptools_config()["packages"]["find"]["include"]]


def image_env() -> dict[str, str]:
    env = {}
    for keyword, rest in dockerfile():
        if keyword == "ENV":
            env |= dict(word.split("=", 1) for word in shlex.split(rest))
    return env


def shell_commands() -> list[list[str]]:
    """Each simple command of every RUN, split at &&, || and ;."""
    commands = []
    for keyword, rest in dockerfile():
        if keyword == "RUN":
            for part in re.split(r"&&|\|\||;", rest):
                if part.strip():
                    commands.append(shlex.split(part))
    return commands


def applied(program: str, path: PurePosixPath) -> list[list[str]]:
    """The `program` commands that reach `path`: naming it, or an ancestor with -R."""
    found = []
    for argv in shell_commands():
        if not argv or argv[0] != program:
            continue
        targets = [PurePosixPath(a) for a in argv[1:] if a.startswith("/")]
        recursive = "-R" in argv or "--recursive" in argv
        if path in targets or (recursive and any(t in path.parents for t in targets)):
            found.append(argv)
    return found


def data_dir() -> PurePosixPath:
    return PurePosixPath(image_env()["QINGFENG_DATA_DIR"])


def app_services() -> list[str]:
    return [name for name in compose()["services"] if service(name).get("image") == APP_IMAGE]


def under_data(target: str) -> str | None:
    path = PurePosixPath(target)
    return path.relative_to(data_dir()).as_posix() if data_dir() in path.parents else None


# --- (a) the compose file and docker/.env.example ----------------------------------------------

def test_every_variable_the_compose_file_uses_is_documented_in_env_example():
    used, example = used_variables(), env_example()
    assert {"POSTGRES_PASSWORD", "QINGFENG_OFFICE_PASSPHRASE"} <= used
    assert used - set(example) == set(), "add these to docker/.env.example"
    assert set(example) - used == set(), "docker/.env.example lists variables nothing uses"
    for name, (value, comment) in example.items():
        assert len(comment) > 20, f"{name} needs a one-line comment above it"
        if name.endswith(SECRET_SUFFIXES):
            assert value == "", f"{name}: no sample secret may ship"
            assert "token_hex" in comment, f"{name}: say how to generate it"


def test_no_secret_is_written_into_the_compose_file():
    for name in app_services() + ["db"]:
        for key, value in environment(service(name)).items():
            if key.endswith(SECRET_SUFFIXES):
                assert re.fullmatch(r"\$\{\w+:\?[^}]*\}", value), f"{name}.{key} is not from .env"
        assert "env_file" not in service(name), f"{name}: env_file hands it every secret"


# --- (b) each role gets exactly what tests/deployment.py lists ---------------------------------

def exposed(name: str) -> tuple[set[str], dict[str, bool]]:
    """What a service can read in its data folder, and whether each mount is read-only."""
    seen, read_only = set(), {}
    for source, target, ro in mounts(service(name)):
        relative = under_data(target)
        assert relative is not None, f"{name} mounts {target} outside the data folder"
        assert source in compose()["volumes"], f"{name}: {source} is not a named volume"
        held = VOLUME_HOLDS[source]
        seen |= {relative} if held is None else {f"{relative}/{file}" for file in held}
        read_only[relative] = ro
    return seen, read_only


def test_each_role_service_gets_exactly_the_roles_variables_files_and_command():
    for role, spec in ROLES.items():
        svc = service(role)
        assert set(environment(svc)) == set(spec["env"]), role
        seen, read_only = exposed(role)
        wanted = set(spec["files"]) | set(spec["writes"])
        assert wanted <= seen, f"{role} lacks {wanted - seen}"
        assert seen - wanted <= HARMLESS_EXTRA, f"{role} also sees {seen - wanted}"
        for folder, ro in read_only.items():
            assert ro == (folder not in spec["writes"]), f"{role}: {folder} read-only is {ro}"
        assert without_options(svc["command"], "--host", "--port") == ["qingfeng", *spec["command"]]


def without_options(argv: list[str], *options: str) -> list[str]:
    """argv less each named option and its value."""
    kept, skip = [], False
    for word in argv:
        if not skip and word not in options:
            kept.append(word)
        skip = word in options
    return kept


def test_the_portal_gets_no_private_key_passphrase_or_office_secret():
    portal = service("portal")
    assert "keys" not in {source for source, _, _ in mounts(portal)}
    assert not set(NEVER_FOR_PORTAL) & (set(environment(portal)) | exposed("portal")[0])
    office_networks = set(service("office").get("networks", []))
    assert office_networks and not set(portal.get("networks", [])) & office_networks


# --- (c) the image --------------------------------------------------------------------------------

def test_the_image_creates_and_owns_every_folder_a_volume_is_mounted_on():
    users = [rest.split(":")[0] for keyword, rest in dockerfile() if keyword == "USER"]
    assert users and users[-1] not in ("root", "0"), "the services must not run as root"
    useradd = next(argv for argv in shell_commands() if argv[0] == "useradd")
    uid = useradd[useradd.index("--uid") + 1]  # fixed, so volume files keep their owner
    assert users[-1] in (uid, useradd[-1]) and uid.isdigit() and int(uid) >= 1000
    targets = {PurePosixPath(t) for name in app_services() for _, t, _ in mounts(service(name))}
    assert targets and all(data_dir() in t.parents for t in targets)
    for path in sorted(targets | {data_dir()}):
        assert applied("mkdir", path), f"the image does not create {path}"
        owners = applied("chown", path)
        assert owners and all(argv[-2].split(":")[0] in (uid, useradd[-1]) for argv in owners)
        assert any("0700" in argv for argv in applied("chmod", path)), f"{path} is not private"


def test_the_image_installs_the_project_checks_its_health_and_holds_no_secret():
    keywords = dict(dockerfile())
    assert keywords["FROM"] == "python:3.11-slim"
    assert ["pip", "install", "--no-cache-dir", "."] in shell_commands()
    copied = {source for keyword, rest in dockerfile() if keyword == "COPY"
              for source in shlex.split(rest)[:-1]}
    assert set(packages()) | {"pyproject.toml"} <= copied
    ignore = (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
    assert "*" in ignore and all(f"!{name}" in ignore for name in copied), "build context"
    secret_names = {name for name in used_variables() if name.endswith(SECRET_SUFFIXES)}
    declared = set(image_env()) | {rest.split("=")[0] for k, rest in dockerfile() if k == "ARG"}
    assert not declared & secret_names
    checks = [json.loads(keywords["HEALTHCHECK"].split("CMD", 1)[1])]
    checks += [service(name)["healthcheck"]["test"][1:] for name in ("portal", "office")]
    for check in checks:
        assert check[:2] == ["python", "-c"], "a health check must need no extra tool"
        compile(check[2], "healthcheck", "exec")


def test_the_wheel_the_image_installs_carries_the_corpus_and_every_data_file(tmp_path):
    """A non-editable install copies only what package-data names: the corpus lives in
    subfolders (triage/classifier/corpus/<batch>/*.jsonl) that must not be missed."""
    suffixes = {pattern.lstrip("*") for pattern in setuptools_config()["package-data"]["*"]}
    source = tmp_path / "src"  # a copy, so that building leaves nothing in the work tree
    for name in packages():
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                          str(source), "-w", str(tmp_path / "wheel")],
                         check=False, capture_output=True, text=True)
    if run.returncode and re.search(r"No matching distribution|Could not find a version",
                                    run.stderr):
        require(f"pip could not fetch the build backend: {run.stderr.strip()[-200:]}")
    assert run.returncode == 0, run.stderr
    shipped = set(zipfile.ZipFile(next((tmp_path / "wheel").glob("*.whl"))).namelist())
    wanted = {path.relative_to(source).as_posix() for package in packages()
              for path in (source / package).rglob("*") if path.suffix in suffixes | {".py"}}
    corpus = {name for name in wanted if name.startswith("triage/classifier/corpus/")
              and name.endswith(".jsonl")}
    assert len(corpus) > 32 and all(name.count("/") == 4 for name in corpus)
    assert wanted - shipped == set()


# --- (d) start order and restarts ----------------------------------------------------------------

def conditions(name: str) -> dict[str, str]:
    depends = service(name).get("depends_on") or {}
    assert isinstance(depends, dict), f"{name}: depends_on needs conditions, not a list"
    return {other: spec["condition"] for other, spec in depends.items()}


def test_services_start_in_order_and_long_running_ones_restart():
    done, healthy = "service_completed_successfully", "service_healthy"
    assert conditions("init") == {"db": healthy}
    assert conditions("train") == {"init": done}
    for role in ROLES:
        for other, condition in {"db": healthy, "redis": healthy, "init": done}.items():
            assert conditions(role).get(other) == condition, f"{role} must wait for {other}"
    assert conditions("worker")["train"] == done
    for name in compose()["services"]:
        for other, condition in conditions(name).items():
            if condition == healthy:
                check = service(other).get("healthcheck", {})
                assert check.get("test") and not check.get("disable"), f"{other}: no health check"
        policy = service(name).get("restart")
        assert policy == ("no" if name in ("init", "train") else "unless-stopped"), name
    assert service("worker")["deploy"]["replicas"] == 2
    for name in ("portal", "office"):
        assert service(name)["healthcheck"]["test"][0] == "CMD"


# --- the init service's command, run here ------------------------------------------------------

def test_init_service_fills_the_key_volumes_and_writes_no_secret(tmp_path, pg_databases):
    """Compose runs init on every `up`: twice here, with its environment from compose.yml and
    secrets made as .env.example says; only the database host differs (db → local)."""
    require(postgres_reason())
    init = service("init")
    values = {name: value or secrets.token_hex(32) for name, (value, _) in env_example().items()}
    env = {name: interpolate(value, values) for name, value in environment(init).items()}
    assert "@db:5432/" in env["QINGFENG_DATABASE_URL"]
    env["QINGFENG_DATABASE_URL"] = pg_databases.create()
    data = tmp_path / "data"  # stands for the image's data folder and its mounted volumes
    for argv in shell_commands():
        if argv[0] == "mkdir":
            for path in (PurePosixPath(a) for a in argv[1:] if a.startswith("/")):
                relative = path.relative_to(data_dir())
                (data / relative).mkdir(mode=0o700, parents=True, exist_ok=True)
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("QINGFENG_") and k != "REDIS_URL"}
    base["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}"
    command = [interpolate(word, values) for word in init["command"]]
    for _ in range(2):
        run = subprocess.run(command, env=base | env | {"QINGFENG_DATA_DIR": str(data)},
                             check=False, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    for source, target, _ in mounts(init):
        folder = data / PurePosixPath(target).relative_to(data_dir())
        assert {entry.name for entry in folder.iterdir()} == set(VOLUME_HOLDS[source]), source
    public = (data / "keys" / "office.pub").read_bytes()
    assert (data / "portal-keys" / "office.pub").read_bytes() == public
    assert list((data / "secrets").iterdir()) == [], "init wrote a secret beside the keys"

"""The layers of the code, read from its imports (every import, also those inside functions).

config/ → models/ (ORM) → models/shared/ → the portal, the office app, the worker side by side
→ the server assembly and the command line (README, "Layers"). P1 is a property of these
imports: nothing reachable from the portal can load the office private key.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "models", "portal", "triage")

OFFICE_APP = ("triage", "triage.views", "triage.auth", "triage.security", "triage.forms",
              "triage.charts", "triage.passwords")
WORKER = ("triage.jobs", "triage.worker", "triage.runner", "triage.sweep", "triage.engine",
          "triage.labelled", "triage.routing", "triage.extract", "triage.linking", "triage.classifier")
OFFICE_SERVICES = ("triage.services", "triage.keys")
TOP = ("triage.server", "triage.cli", "triage.cli_office", "triage.cli_triage", "triage.cli_ops",
       "triage.cli_tokens")
# What loading the office private key takes; none of it may be reachable from the portal.
PRIVATE_KEY_MARKERS = ("load_pem_private_key", "load_office_private_key", "office.key",
                       "OFFICE_PASSPHRASE", "office_passphrase")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@lru_cache(maxsize=1)
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found[_module_name(path)] = path
    return found


def _resolve(name: str) -> str | None:
    """The project module an imported name refers to (the longest known prefix)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules():
            return candidate
        parts.pop()
    return None


@lru_cache(maxsize=None)
def imports_of(module: str) -> frozenset[str]:
    """Project modules that `module` imports, anywhere in its body."""
    tree = ast.parse(modules()[module].read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from triage import jobs` imports the module triage.jobs; `from triage import
            # create_app` imports the package itself.
            names = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules()
                     else node.module for alias in node.names]
        for name in names:
            resolved = _resolve(name)
            if resolved and resolved != module:
                found.add(resolved)
    return frozenset(found)


def reachable(start: tuple[str, ...]) -> set[str]:
    """Every project module reachable by imports from the modules under `start`."""
    todo = [m for m in modules() if _under(m, start)]
    seen = set(todo)
    while todo:
        for target in imports_of(todo.pop()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _layer(module: str) -> str:
    if _under(module, TOP):
        return "top"
    if _under(module, ("portal",)):
        return "portal"
    if _under(module, WORKER):
        return "worker"
    if _under(module, OFFICE_SERVICES):
        return "office services"
    if _under(module, OFFICE_APP):
        return "office app"
    if _under(module, ("models.shared",)):
        return "shared"
    if _under(module, ("models",)):
        return "models"
    return "config"


ALLOWED = {
    "config": {"config"},
    "models": {"config", "models"},
    "shared": {"config", "models", "shared"},
    "portal": {"config", "models", "shared", "portal"},
    "office services": {"config", "models", "shared", "office services"},
    "worker": {"config", "models", "shared", "office services", "worker"},
    "office app": {"config", "models", "shared", "office services", "office app"},
    "top": {"config", "models", "shared", "office services", "office app", "worker", "portal",
            "top"},
}


def test_every_import_goes_down_the_layers_and_never_between_the_apps():
    wrong = []
    for module in modules():
        layer = _layer(module)
        for target in imports_of(module):
            if _layer(target) not in ALLOWED[layer]:
                wrong.append(f"{module} ({layer}) imports {target} ({_layer(target)})")
    assert wrong == []


def test_nothing_reachable_from_the_portal_can_load_the_office_private_key():
    reached = reachable(("portal",))
    assert not any(_under(m, ("triage",)) for m in reached)
    assert "config.office_settings" not in reached
    for module in reached:
        source = modules()[module].read_text(encoding="utf-8")
        for marker in PRIVATE_KEY_MARKERS:
            assert marker not in source, f"{module} mentions {marker}"


def test_the_check_sees_imports_inside_functions(tmp_path):
    # A guard for the guard: the portal's own views import lazily inside create_app.
    assert "portal.views.report" in imports_of("portal")
    assert "models.shared.sealing" in reachable(("portal",))
    assert "triage.keys" in reachable(("triage.jobs",))


def test_the_office_private_key_is_loaded_in_one_module_only():
    loaders = [m for m, path in modules().items()
               if "load_pem_private_key" in path.read_text(encoding="utf-8")]
    assert loaders == ["triage.keys"]

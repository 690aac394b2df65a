"""P1: the portal process never holds a key able to decrypt reports, messages or attachments."""
import ast
import types
import gc
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

import portal
from werkzeug.local import LocalProxy
from tests.factories import submit_api, submit_form
from triage.keys import private_key_path

PORTAL_DIR = Path(portal.__file__).parent


def test_portal_runs_without_the_private_key_file(make_portal, paths):
    private_key_path(paths).unlink()
    client = make_portal().test_client()
    _, receipt = submit_form(client)
    assert receipt
    assert submit_api(client).status_code == 201
    assert client.post("/status", data={"receipt": receipt}).status_code == 200


def test_portal_app_holds_no_office_private_key(portal_app, paths, office_key):
    """After serving requests, nothing reachable from the app is the office private key."""
    client = portal_app.test_client()
    submit_form(client)
    office_raw = office_key.private_bytes_raw()
    seen: set[int] = set()
    stack = [portal_app.config, portal_app.extensions]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, (LocalProxy, types.ModuleType, types.FunctionType,
                                               types.MethodType, type)):
            continue
        seen.add(id(obj))
        if isinstance(obj, X25519PrivateKey):
            assert obj.private_bytes_raw() != office_raw
        if isinstance(obj, (bytes, bytearray)):
            assert office_raw not in obj
        if isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif hasattr(obj, "__dict__") and not isinstance(obj, type):
            stack.extend(vars(obj).values())
        elif hasattr(obj, "__dataclass_fields__"):
            stack.extend(getattr(obj, name) for name in obj.__dataclass_fields__)
    # Private keys alive in the process are reporters' receipt keys, never the office's.
    for obj in gc.get_objects():
        if isinstance(obj, X25519PrivateKey) and obj is not office_key:
            assert obj.private_bytes_raw() != office_raw


def test_portal_code_never_loads_the_private_key_or_passphrase():
    for source in PORTAL_DIR.rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        forbidden = {"load_office_private_key", "office_private_key", "office_passphrase"}
        assert not names & forbidden, f"{source.name} touches {names & forbidden}"


def test_portal_settings_have_no_passphrase_field(portal_app):
    settings = portal_app.config["QINGFENG"]
    assert not hasattr(settings, "office_passphrase")

"""The role table of docs/roles.md is what the code enforces: each capability row of the
document names the roles that may use it, and each office view admits exactly those roles
(issue 9.5). Changing one without the other fails here; test_auth.py proves that a view's
roles are enforced (403 for every other role)."""
import importlib
import pkgutil
import re
import types
from pathlib import Path

import triage.views

ROLES_DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"
COLUMNS = ("triage", "supervisor", "liaison", "auditor", "admin")  # the table's column order

# Each capability row of the document → the views that implement it.
VIEWS = {
    "queue of new reports": ["queue.index"],
    "open a report (audited)": ["reports.show", "reports.attachment"],
    "accept: categories, lead and co-agencies, summary": ["reports.accept"],
    "reject with reason and right channel (shown to the reporter)": ["reports.reject"],
    "merge, tag": ["reports.merge", "reports.tags"],
    "enter a phone / letter / visit report, give the caller a receipt code": ["intake.new"],
    "message the reporter": ["reports.message"],
    "transfer an accepted lead": ["leads.transfer"],
    "read leads": ["leads.index", "leads.show"],
    "acknowledge, progress, the one extension, disposal, result, follow-ups":
        ["leads.acknowledge", "leads.progress", "leads.extend", "leads.outcome"],
    "deadlines page, 督办": ["leads.due", "leads.supervise_view"],
    "statistics": ["stats.index"],
    "exports (ledger, annex 2, annex 4)": ["stats.exports", "stats.download"],
    "销号 with the answer to the reporter": ["leads.close"],
    "disclosure register (主动说明) and its reconciliation": ["disclosures.index", "disclosures.reconcile"],
    "audit trail and its verification": ["audit.index"],
    "accounts: list, create, disable, enable, unlock, reset TOTP, change role":
        ["admin.index", "admin.new", "admin.show", "admin.act", "admin.role", "admin.password"],
}


def documented() -> dict[str, set[str]]:
    """capability → roles with anything but "—" in its cell."""
    rows = {}
    for line in ROLES_DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 1 + len(COLUMNS) and cells[0] in VIEWS:
            rows[cells[0]] = {role for role, cell in zip(COLUMNS, cells[1:]) if cell != "—"}
    return rows


def enforced() -> dict[str, set[str]]:
    """module.view → the roles its @roles admits."""
    found = {}
    for module_info in pkgutil.iter_modules(triage.views.__path__):
        module = importlib.import_module(f"triage.views.{module_info.name}")
        for name, value in vars(module).items():
            if isinstance(value, types.FunctionType) and hasattr(value, "allowed_roles") \
                    and value.__module__ == module.__name__:
                found[f"{module_info.name}.{name}"] = set(value.allowed_roles)
    return found


def test_every_capability_row_of_the_document_is_read():
    assert set(documented()) == set(VIEWS)


def test_each_view_admits_exactly_the_roles_the_document_gives_its_capability():
    rows, views = documented(), enforced()
    for capability, names in VIEWS.items():
        for name in names:
            assert views[name] == rows[capability], (capability, name)


def test_no_role_guarded_view_is_left_out_of_the_document():
    mapped = {name for names in VIEWS.values() for name in names}
    assert set(enforced()) == mapped


def test_the_readme_points_to_the_role_table():
    readme = (ROLES_DOC.parents[1] / "README.md").read_text(encoding="utf-8")
    assert re.search(r"docs/roles\.md", readme)

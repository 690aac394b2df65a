"""The production topology as data: which process gets which files and variables.

tests/test_topology.py starts exactly these processes on the local PostgreSQL and Redis;
tests/test_docker.py checks that docker/compose.yml gives each service the same. Keep the two
and this file in step.
"""
from __future__ import annotations

# Variables every service gets.
COMMON_ENV = ("QINGFENG_DATABASE_URL", "REDIS_URL", "QINGFENG_JURISDICTION",
              "QINGFENG_RECEIPT_PEPPER")

ROLES = {
    # The public host: the office PUBLIC key, its own secret, the receipt pepper (P1).
    "portal": {
        "command": ("serve", "--part", "portal"),
        "env": COMMON_ENV + ("QINGFENG_PORTAL_SECRET_KEY",),
        "files": ("keys/office.pub",),
        "writes": ("uploads",),
    },
    # The back office: the private key and its passphrase, the office secret.
    "office": {
        "command": ("serve", "--part", "office"),
        "env": COMMON_ENV + ("QINGFENG_OFFICE_SECRET_KEY", "QINGFENG_OFFICE_PASSPHRASE"),
        "files": ("keys/office.pub", "keys/office.key"),
        "writes": ("uploads",),
    },
    # Triage workers: the private key to open reports, the signed model.
    "worker": {
        "command": ("worker",),
        "env": COMMON_ENV + ("QINGFENG_OFFICE_SECRET_KEY", "QINGFENG_OFFICE_PASSPHRASE"),
        "files": ("keys/office.key", "artifacts"),
        "writes": (),
    },
}
# What no portal may ever be given.
NEVER_FOR_PORTAL = ("keys/office.key", "QINGFENG_OFFICE_PASSPHRASE", "QINGFENG_OFFICE_SECRET_KEY")

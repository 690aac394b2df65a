"""Back-office fixtures: the app, staff with known TOTP secrets, logged-in clients."""
import time
from dataclasses import replace

import pytest

from config.settings import KdfParams
from models.staff import Staff
from triage.passwords import hash_password, new_totp_secret, seal_totp, totp

PASSWORD = "a staff password that is long"
CHEAP = KdfParams(n=16, r=1, p=1)


@pytest.fixture
def office_settings(triage_settings):
    return replace(triage_settings, password_kdf=CHEAP)


@pytest.fixture
def triage_app(office_settings, runner):
    import triage

    app = triage.create_app(office_settings, runner)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def make_staff(factory, office_settings):
    """Create a staff member with an enrolled TOTP secret; returns (username, secret)."""
    def make(username: str, role: str, agency: str | None = None, enrolled: bool = True):
        secret = new_totp_secret()
        with factory.begin() as session:
            session.add(Staff(username=username, role=role, agency=agency,
                              password_hash=hash_password(PASSWORD, CHEAP),
                              totp_box=seal_totp(secret, office_settings.secret_key, username) if enrolled else None,
                              totp_enrolled=enrolled))
        return username, secret
    return make


def code(secret: bytes, offset: int = 0) -> str:
    return totp(secret).generate(time.time() + offset).decode()


@pytest.fixture
def login(triage_app, make_staff):
    """A test client logged in as a new staff member of `role`."""
    def as_role(role: str, agency: str | None = None, username: str | None = None):
        username, secret = make_staff(username or f"{role}-{agency or 'x'}", role, agency)
        client = triage_app.test_client()
        assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
        response = client.post("/totp", data={"code": code(secret)})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return as_role


def client_at(app, address: str):
    """A test client whose requests come from `address` (the login limits are per client)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def staff_named(factory, username: str) -> Staff:
    """The staff row of `username`, as the database has it now."""
    from sqlalchemy import select

    with factory() as session:
        return session.scalars(select(Staff).where(Staff.username == username)).one()

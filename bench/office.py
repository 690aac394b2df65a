#!/usr/bin/env python3
"""Back-office benchmark: the queue, the ledger and the dashboard on 100,000 reports.

Not a test. Run from the project root with the project's venv:

    .venv/bin/python bench/office.py [--reports 100000] [--requests 50] [--explain]

What it does:
  1. creates a throw-away PostgreSQL database on 127.0.0.1:5432 (user postgres, trust auth)
     and builds the schema with `migrations.runner.upgrade`;
  2. bulk-inserts `--reports` reports spread over two years and all 11 channels, with their
     leads and transfers (batches of 5,000 through `session.execute(insert(Model), rows)`):
     ~60% draft leads (three suggested categories with scores, agency, flags, ~10% priority),
     ~30% accepted leads with ledger numbers, most of them transferred (some transfers
     overdue, many concluded or closed), ~10% reports without a lead (awaiting triage);
     sealed boxes are random bytes, since none of the pages measured opens them. Then ANALYZE,
     as autovacuum would have done on a live database;
  3. builds the office app (`triage.create_app`) on that database with a cheap password KDF and
     CSRF off, creates a supervisor and a triage officer with known TOTP secrets and logs them
     in with Flask's test client (in-process: the app and the database are measured, not the
     network);
  4. times `--requests` requests per page after one untimed warm-up: the queue `/` (page 1,
     filtered by category, by agency, page 100), the ledger `/leads/` (and `?watch=1`),
     `triage.services.statistics.dashboard(session, start, end)` over the whole range, and
     `/stats/` if the app serves that page; prints median and p95 in ms, the rows each answer
     covers and the SQL statements per request;
  5. drops the database and removes the temporary folder, whatever happened.

`--explain` adds EXPLAIN (ANALYZE, BUFFERS) of every distinct SELECT that each timed page (and
the dashboard call) emits, captured from the engine during one more request.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import JSON, event, func, select, text  # noqa: E402

from config.data import AGENCIES, load_jurisdiction, load_taxonomy  # noqa: E402
from config.office_settings import TriageSettings  # noqa: E402
from config.settings import KdfParams, Paths  # noqa: E402
from models.lead import Lead, Transfer  # noqa: E402
from models.report import Report  # noqa: E402
from triage.keys import generate_office_keys, private_key_path  # noqa: E402
from models.session import make_engine, make_sessionmaker  # noqa: E402
from models.staff import Staff  # noqa: E402
from models.vocabulary import CHANNELS, TRIAGE_AWAITING, TRIAGE_DONE, TRIAGE_FAILED, TRIAGE_PENDING  # noqa: E402
from triage.passwords import hash_password, new_totp_secret, seal_totp, totp  # noqa: E402

from pgtools import HOST, PG_ADMIN, PG_PORT, create_database, drop_database, percentile  # noqa: E402,F401
BATCH = 5_000
CHEAP = KdfParams(n=16, r=1, p=1)
PASSWORD = "a benchmark staff password that is long"
PASSPHRASE = b"benchmark passphrase of the office"
JURISDICTION = "changjiang"

# Share of reports per channel (网络 dominates; the referral channels are rare).
CHANNEL_WEIGHTS = dict(zip(CHANNELS, (40, 15, 10, 8, 8, 6, 4, 3, 2, 2, 2), strict=True))
FLAGS = ("关键少数", "大额", "团伙")
DISPOSALS = ("谈话函询", "初步核实", "暂存待查", "予以了结")
RESULTS = ("属实", "部分属实", "不属实")


# --------------------------------------------------------------------------------------------
# database


# --------------------------------------------------------------------------------------------
# data


@dataclass
class Generator:
    """Rows of reports, leads and transfers; ids are given here so one pass needs no RETURNING."""

    rng: random.Random
    now: datetime
    prefix: str
    taxonomy: object = field(default=None)
    ledger_seq: Counter = field(default_factory=Counter)
    next_lead: int = 1
    next_transfer: int = 1
    counts: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.taxonomy = load_taxonomy()
        self.channels = list(CHANNEL_WEIGHTS)
        self.channel_weights = list(CHANNEL_WEIGHTS.values())
        # Some categories are far more frequent than others (procurement kickbacks vs …).
        self.category_weights = [1.0 / (1 + (i % 11)) for i in range(1, 33)]

    def box(self, low: int, high: int) -> bytes:
        return self.rng.randbytes(self.rng.randint(low, high))

    def received_times(self, n: int) -> list[datetime]:
        """n hour-rounded times over the two years before now, oldest first."""
        span = int(timedelta(days=730).total_seconds())
        start = self.now - timedelta(days=730)
        times = sorted(start + timedelta(seconds=self.rng.randrange(span)) for _ in range(n))
        return [t.replace(minute=0, second=0, microsecond=0) for t in times]

    def suggestions(self) -> list[dict]:
        ids = []
        while len(ids) < 3:
            c = self.rng.choices(range(1, 33), self.category_weights)[0]
            if c not in ids:
                ids.append(c)
        top = self.rng.uniform(0.35, 0.95)
        second = self.rng.uniform(0.05, top)
        third = self.rng.uniform(0.01, second)
        return [{"id": ids[0], "score": round(top, 4)}, {"id": ids[1], "score": round(second, 4)},
                {"id": ids[2], "score": round(third, 4)}]

    def batch(self, first_id: int, received: list[datetime]) -> tuple[list[dict], list[dict], list[dict]]:
        reports, leads, transfers = [], [], []
        for offset, at in enumerate(received):
            report_id = first_id + offset
            real_name = self.rng.random() < 0.25
            report = {
                "id": report_id, "uid": f"{self.rng.getrandbits(128):032x}",
                "channel": self.rng.choices(self.channels, self.channel_weights)[0],
                "received_at": at, "status": "submitted", "is_real_name": real_name,
                "content_box": self.box(300, 1500), "contact_box": self.box(80, 200) if real_name else None,
                "triage_state": TRIAGE_DONE, "triage_attempts": 1,
            }
            reports.append(report)
            roll = self.rng.random()
            if roll < 0.10:
                report["triage_state"] = self.rng.choices(
                    (TRIAGE_AWAITING, TRIAGE_PENDING, TRIAGE_FAILED), (80, 15, 5))[0]
                report["triage_attempts"] = 0 if report["triage_state"] == TRIAGE_PENDING else 1
                self.counts["reports without a lead"] += 1
                continue
            lead = self.draft(report)
            leads.append(lead)
            if roll < 0.70:
                self.counts["leads draft"] += 1
            else:
                transfers.extend(self.process(report, lead))
                self.counts[f"leads {lead['state']}"] += 1
        self.counts["reports"] += len(reports)
        self.counts["transfers"] += len(transfers)
        return reports, leads, transfers

    def draft(self, report: dict) -> dict:
        in_scope = self.rng.random() < 0.95
        suggestions = self.suggestions()
        category = self.taxonomy.category(suggestions[0]["id"])
        agency = category.lead if in_scope else self.rng.choice(AGENCIES)
        flags = [f for f in FLAGS if self.rng.random() < 0.036]  # ~10% with at least one flag
        created = report["received_at"] + timedelta(minutes=self.rng.randint(1, 30))
        lead_id, self.next_lead = self.next_lead, self.next_lead + 1
        return {
            "id": lead_id, "report_id": report["id"], "state": "draft", "model_version": "bench-2025.1",
            "in_scope": in_scope, "in_scope_score": round(self.rng.uniform(0.6, 1.0) if in_scope
                                                          else self.rng.uniform(0.0, 0.4), 4),
            "primary_category": category.id if in_scope else None, "area": category.area if in_scope else None,
            "suggestions": suggestions, "agency": agency,
            "co_agencies": [a for a in category.co if a != agency],
            "route_reasons": [f"类别{category.id}默认承办单位：{category.lead}"],
            "flags": flags, "priority": bool(flags),
            "entities_box": self.box(60, 400), "created_at": created, "updated_at": created,
            "supervised": False, "admin_penalty": False, "publicised": False, "rules_improved": 0,
        }

    def process(self, report: dict, lead: dict) -> list[dict]:
        """Accept the lead (ledger number) and, unless it is very recent, transfer it; old
        transfers are mostly finished, some are overdue."""
        rng, now = self.rng, self.now
        if lead["primary_category"] is None:  # staff confirm a category when they accept
            lead.update(in_scope=True, primary_category=lead["suggestions"][0]["id"],
                        area=self.taxonomy.category(lead["suggestions"][0]["id"]).area)
        accepted = min(report["received_at"] + timedelta(hours=rng.randint(2, 240)), now - timedelta(hours=1))
        self.ledger_seq[accepted.year] += 1
        lead.update(
            state="accepted", accepted_at=accepted, accepted_by="bench-triage", updated_at=accepted,
            ledger_number=f"{self.prefix}-{accepted.year}-{self.ledger_seq[accepted.year]:04d}",
            confirmed_categories=[lead["primary_category"]], summary_box=self.box(100, 600),
            supervised=rng.random() < 0.05,
        )
        report["status"] = "accepted"
        sent = accepted + timedelta(hours=rng.randint(1, 72))
        if sent >= now or rng.random() < 0.03:
            return []  # accepted, not yet transferred
        made = []
        agencies = [(lead["agency"], "lead")] + [(a, "co") for a in lead["co_agencies"] if rng.random() < 0.3]
        for agency, role in agencies:
            handle_due = sent + timedelta(days=60)
            transfer = {
                "id": self.next_transfer, "lead_id": lead["id"], "agency": agency, "role": role,
                "sent_at": sent, "accept_due": sent + timedelta(days=7), "handle_due": handle_due,
                "accepted_at": None, "extended": False, "extension_reason": None, "finished_at": None,
                "reminded_at": None,
            }
            self.next_transfer += 1
            acknowledged = sent + timedelta(hours=rng.randint(4, 120))
            if acknowledged < now and rng.random() < 0.95:
                transfer["accepted_at"] = acknowledged
            if handle_due < now and rng.random() < 0.15:
                transfer.update(extended=True, extension_reason="案情复杂，需进一步核实",
                                handle_due=handle_due + timedelta(days=30))
            finish_chance = 0.88 if transfer["handle_due"] < now else 0.25
            if transfer["accepted_at"] is not None and rng.random() < finish_chance:
                finished = acknowledged + timedelta(days=rng.uniform(5, 85))
                if finished < now:
                    transfer["finished_at"] = finished
            if transfer["finished_at"] is None and transfer["handle_due"] < now:
                self.counts["transfers overdue (unfinished, handle_due < now)"] += 1
            made.append(transfer)
        if all(t["finished_at"] for t in made):
            concluded = max(t["finished_at"] for t in made)
            lead.update(state="concluded", concluded_at=concluded, disposal=rng.choice(DISPOSALS),
                        result=rng.choice(RESULTS), follow_ups=[])
            report["status"] = "in_progress"
            closed = concluded + timedelta(days=rng.uniform(1, 15))
            if closed < now and rng.random() < 0.75:
                lead.update(state="closed", closed_at=closed)
                report["status"] = "closed"
        elif any(t["accepted_at"] for t in made):
            lead["state"] = "in_progress"
            report["status"] = "extended" if any(t["extended"] for t in made) else "in_progress"
        else:
            lead["state"] = "transferred"
            report["status"] = "transferred"
        return made


def _copy_rows(cursor, table, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """COPY `rows` (dicts; a key missing from a row is NULL) into `table` in one stream."""
    present = set().union(*rows)
    columns = [c.name for c in table.columns if c.name in present]
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    names = ", ".join(f'"{name}"' for name in columns)
    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c], ensure_ascii=False) if c in json_columns and c in row
                            else row.get(c) for c in columns])


def load(engine, n: int, rng: random.Random, now: datetime) -> Counter:  # type: ignore[no-untyped-def]
    """Insert n reports with their leads and transfers: BATCH reports per transaction, each
    table streamed with COPY (a million reports in minutes, where executemany took an hour)."""
    gen = Generator(rng, now, load_jurisdiction(JURISDICTION).short_name)
    received = gen.received_times(n)
    copies_received = "report_received_at" in Lead.__table__.c  # denormalised since 0004
    raw = engine.raw_connection()
    try:
        for first in range(0, n, BATCH):
            reports, leads, transfers = gen.batch(first + 1, received[first:first + BATCH])
            if copies_received:
                at = {r["id"]: r["received_at"] for r in reports}
                for lead in leads:
                    lead["report_received_at"] = at[lead["report_id"]]
            with raw.cursor() as cursor:
                for table, rows in ((Report.__table__, reports), (Lead.__table__, leads),
                                    (Transfer.__table__, transfers)):
                    if rows:
                        _copy_rows(cursor, table, rows)
            raw.commit()
            if sys.stdout.isatty():
                print(f"  {first + len(reports):>7} reports", end="\r", flush=True)
        with raw.cursor() as cursor:  # the ids were given: move the sequences past them
            for table in ("reports", "leads", "transfers"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        raw.commit()
    finally:
        raw.close()
    return gen.counts


# --------------------------------------------------------------------------------------------
# app and staff


def office_settings(data_dir: Path, database_url: str) -> TriageSettings:
    paths = Paths(data_dir)
    for folder in (paths.root, paths.uploads, paths.keys, paths.secrets, paths.logs):
        folder.mkdir(parents=True, exist_ok=True)
    generate_office_keys(paths.office_public_key, private_key_path(paths), PASSPHRASE)
    return TriageSettings(
        paths=paths, database_url=database_url, redis_url=None, jurisdiction=JURISDICTION,
        receipt_kdf=CHEAP, receipt_pepper=secrets.token_bytes(32),
        secret_key=secrets.token_bytes(32), csrf_enabled=False, office_passphrase=PASSPHRASE,
        password_kdf=CHEAP,
    )


def logged_in_client(app, factory, settings: TriageSettings, username: str, role: str):  # type: ignore[no-untyped-def]
    """A test client of `app` logged in (password, then TOTP) as a new staff member."""
    secret = new_totp_secret()
    with factory.begin() as session:
        session.add(Staff(username=username, role=role, password_hash=hash_password(PASSWORD, CHEAP),
                          totp_box=seal_totp(secret, settings.secret_key, username), totp_enrolled=True))
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"login of {username} answered {response.status_code}")
    response = client.post("/totp", data={"code": totp(secret).generate(time.time()).decode()})
    if response.status_code != 302:
        raise RuntimeError(f"TOTP of {username} answered {response.status_code}")
    return client


# --------------------------------------------------------------------------------------------
# timing


class StatementCounter:
    """Counts the SQL statements an engine executes."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        self.n += 1


@dataclass
class Item:
    name: str
    times: list[float] = field(default_factory=list)
    rows: str = ""
    first: float = 0.0  # the untimed warm-up: compiles templates, fills caches
    statements: float = 0.0
    errors: Counter = field(default_factory=Counter)


def time_page(client, url: str, runs: int, counter: StatementCounter, rows_of) -> Item:  # type: ignore[no-untyped-def]
    item = Item(f"GET {url}")
    t0 = time.perf_counter()
    warm = client.get(url)  # not in the figures: templates compile, the pool connects
    item.first = time.perf_counter() - t0
    if warm.status_code != 200:
        item.errors[str(warm.status_code)] += 1
        return item
    item.rows = rows_of(warm.get_data(as_text=True))
    before = counter.n
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get(url)
        response.get_data()
        took = time.perf_counter() - t0
        if response.status_code == 200:
            item.times.append(took)
        else:
            item.errors[str(response.status_code)] += 1
    item.statements = (counter.n - before) / runs
    return item


def queue_rows(html: str) -> str:
    total = re.search(r"(共|约|超过) ([\d,]+) 件", html)
    shown = html.count('href="/reports/')
    return f"{' '.join(total.groups()) if total else '?'} match, {shown} shown"


def ledger_rows(html: str) -> str:
    ids = set(re.findall(r'href="/leads/(\d+)"', html))
    return f"{len(ids)} shown"


def stats_rows(html: str) -> str:
    return f"{html.count('<svg')} charts"


def time_dashboard(factory, start, end, runs: int, counter: StatementCounter) -> Item:  # type: ignore[no-untyped-def]
    from triage.services.statistics import dashboard

    item = Item(f"dashboard(session, {start}, {end})")
    t0 = time.perf_counter()
    with factory() as session:
        board = dashboard(session, start, end)
    item.first = time.perf_counter() - t0
    item.rows = (f"{board.total} reports, to_accept n={board.to_accept.count}, "
                 f"to_close n={board.to_close.count}, overdue {board.overdue_transfers}")
    before = counter.n
    for _ in range(runs):
        t0 = time.perf_counter()
        with factory() as session:
            dashboard(session, start, end)
        item.times.append(time.perf_counter() - t0)
    item.statements = (counter.n - before) / runs
    return item


class Capture:
    """Records the statements an engine executes while `run()` runs."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self.seen: list[tuple[str, object]] = []

    def _seen(self, _conn, _cursor, statement, parameters, _context, executemany) -> None:  # type: ignore[no-untyped-def]
        if not executemany:
            self.seen.append((statement, parameters))

    def run(self, call) -> list[tuple[str, object]]:  # type: ignore[no-untyped-def]
        self.seen = []
        event.listen(self.engine, "before_cursor_execute", self._seen)
        try:
            call()
        finally:
            event.remove(self.engine, "before_cursor_execute", self._seen)
        return self.seen


def short_sql(sql: str) -> str:
    """The statement with long select lists shown as `…`, for reading plans."""
    return re.sub(r"SELECT (?:(?!SELECT).){160,}?(?= \nFROM )", "SELECT …", sql, flags=re.DOTALL)


def explain(engine, title: str, statements: list[tuple[str, object]]) -> None:  # type: ignore[no-untyped-def]
    """EXPLAIN (ANALYZE, BUFFERS) of each distinct statement (the staff look-up of the login
    check left out), with the parameters of its first execution."""
    distinct: dict[str, tuple[object, int]] = {}
    for sql, params in statements:
        if re.search(r"\bFROM staff\b", sql) or not sql.lstrip().upper().startswith("SELECT"):
            continue
        first, n = distinct.get(sql, (params, 0))
        distinct[sql] = (first, n + 1)
    print(f"\n==== {title}: {len(statements)} statements, {len(distinct)} distinct SELECTs explained")
    for sql, (params, n) in distinct.items():
        with engine.connect() as conn:
            plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params).all()
        print(f"\n-- executed {n}x per request; params {params}\n{short_sql(sql)}")
        for (line,) in plan:
            print(f"   {line}")


# --------------------------------------------------------------------------------------------
# main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=100_000, help="reports to insert (default 100000)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page (default 50)")
    parser.add_argument("--seed", type=int, default=20240601, help="random seed of the data (default 20240601)")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN (ANALYZE, BUFFERS) of the SQL of each timed page")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database at the end (its name is printed) for --database")
    parser.add_argument("--database", metavar="NAME",
                        help="time an existing database kept by --keep: migrate it to head, "
                             "skip the load, keep it")
    args = parser.parse_args()
    if args.reports < 1 or args.requests < 1:
        parser.error("--reports and --requests must be positive")

    db_name = args.database or create_database()
    if db_name is None:
        print("Start PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth).", file=sys.stderr)
        return 2
    keep = args.keep or args.database is not None
    data_dir = Path(tempfile.mkdtemp(prefix="qingfeng_office_"))
    engine = None
    app_engine = None
    try:
        from migrations.runner import upgrade
        from models.base import utcnow

        database_url = f"postgresql+psycopg://postgres@{HOST}:{PG_PORT}/{db_name}"
        print(f"== database {db_name} on {HOST}:{PG_PORT}")
        t0 = time.perf_counter()
        upgrade(database_url)
        print(f"  schema (migrations.runner.upgrade): {time.perf_counter() - t0:.1f} s")

        engine = make_engine(database_url)
        factory = make_sessionmaker(engine)
        now = utcnow().replace(minute=0, second=0, microsecond=0)
        counts: Counter = Counter()
        if args.database is None:
            print(f"\n== load: {args.reports} reports in batches of {BATCH} (seed {args.seed})")
            t0 = time.perf_counter()
            counts = load(engine, args.reports, random.Random(args.seed), now)
            loaded = time.perf_counter() - t0
            print(f"  loaded in {loaded:.1f} s ({args.reports / loaded:,.0f} reports/s with their "
                  f"leads and transfers)")
        else:
            with engine.connect() as conn:
                now = conn.scalar(select(func.max(Report.received_at))) + timedelta(hours=1)
            print(f"\n== reusing {db_name}: its data were made at about {now}")
        t0 = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # As autovacuum would have done on a live database: statistics, and the visibility
            # map that lets index-only scans skip the table.
            conn.execute(text("VACUUM ANALYZE"))
        print(f"  VACUUM ANALYZE {time.perf_counter() - t0:.1f} s")
        with engine.connect() as conn:
            sizes = conn.execute(text(
                "SELECT relname, n_live_tup, pg_total_relation_size(relid) FROM pg_stat_user_tables "
                "WHERE relname IN ('reports', 'leads', 'transfers') ORDER BY relname")).all()
            first_day, last_day = conn.execute(select(func.min(Report.received_at),
                                                      func.max(Report.received_at))).one()
            top_category, top_agency = (
                conn.execute(select(Lead.primary_category).where(Lead.state == "draft",
                                                                 Lead.primary_category.is_not(None))
                             .group_by(Lead.primary_category).order_by(func.count().desc()).limit(1)).scalar(),
                conn.execute(select(Lead.agency).where(Lead.state == "draft").group_by(Lead.agency)
                             .order_by(func.count().desc()).limit(1)).scalar(),
            )
        for key in sorted(counts):
            print(f"  {key:<52} {counts[key]:>8}")
        for name, live, size in sizes:
            print(f"  table {name:<12} {live:>8} rows  {size / 2**20:7.1f} MiB with indexes")
        print(f"  received_at from {first_day} to {last_day}")

        import triage

        settings = office_settings(data_dir, database_url)
        app = triage.create_app(settings)
        app.config["TESTING"] = True
        app_factory = app.extensions["qingfeng_sessions"]
        app_engine = app_factory.kw["bind"]
        counter = StatementCounter(app_engine)
        dash_counter = StatementCounter(engine)
        run = secrets.token_hex(3)  # a reused database already has the staff of earlier runs
        supervisor = logged_in_client(app, app_factory, settings, f"bench-supervisor-{run}", "supervisor")
        officer = logged_in_client(app, app_factory, settings, f"bench-triage-{run}", "triage")

        n = args.requests
        print(f"\n== timing: {n} requests each after one warm-up (Flask test client, in-process); "
              f"queue as the triage officer, ledger and statistics as the supervisor")
        pages = [(officer, url, queue_rows)
                 for url in ("/", f"/?category={top_category}", f"/?agency={top_agency}", "/?channel=电话",
                             "/?page=100")]
        pages += [(supervisor, url, ledger_rows) for url in ("/leads/", "/leads/?watch=1")]
        items: list[Item] = [time_page(client, url, n, counter, rows_of) for client, url, rows_of in pages]
        start_day, end_day = first_day.date(), now.date()
        items.append(time_dashboard(factory, start_day, end_day, n, dash_counter))
        stats_url = f"/stats/?from={start_day}&to={end_day}"
        probe = supervisor.get(stats_url)
        if probe.status_code == 200:
            items.append(time_page(supervisor, stats_url, n, counter, stats_rows))
            pages.append((supervisor, stats_url, stats_rows))
        else:
            print(f"  GET /stats/ answered {probe.status_code}: no dashboard page in this app, not timed")

        width = max(len(i.name) for i in items)
        print(f"\n{'item':<{width}}  {'median':>9}  {'p95':>9}  {'first':>9}  {'SQL/req':>7}  rows")
        for i in items:
            if i.times:
                med, p95 = statistics.median(i.times) * 1000, percentile(i.times, 95) * 1000
                print(f"{i.name:<{width}}  {med:7.1f}ms  {p95:7.1f}ms  {i.first * 1000:7.1f}ms  "
                      f"{i.statements:7.1f}  {i.rows}")
            else:
                print(f"{i.name:<{width}}  {'failed':>9}  {'':>9}  {'':>7}  {dict(i.errors)}")
            if i.times and i.errors:
                print(f"{'':<{width}}  errors: {dict(i.errors)}")

        if args.explain:
            print("\n== EXPLAIN (ANALYZE, BUFFERS) of the statements each page emits")
            from triage.services.statistics import dashboard

            for client, url, _ in pages:
                explain(app_engine, f"GET {url}", Capture(app_engine).run(lambda c=client, u=url: c.get(u)))

            def board() -> None:
                with factory() as session:
                    dashboard(session, start_day, end_day)

            if not any(url.startswith("/stats/") for _, url, _ in pages):  # else explained above
                explain(engine, "dashboard()", Capture(engine).run(board))
    except Exception as exc:  # noqa: BLE001 - report, then clean up
        import traceback

        traceback.print_exc()
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        for eng in (app_engine, engine):
            if eng is not None:
                eng.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)  # first: silent, so a closed stdout cannot skip it
        if keep:
            print(f"kept database {db_name}: --database {db_name} times it again; "
                  f"drop it with: psql -h {HOST} -U postgres -c 'DROP DATABASE \"{db_name}\"'")
        else:
            drop_database(db_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())

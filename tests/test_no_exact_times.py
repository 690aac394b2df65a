"""P4: what a reporter does leaves no exact time behind (issue 9.1). A submission with
evidence, a reply and more evidence, each triaged at once in this process; then every time
column of every table, the log lines written meanwhile and the uploads folder are searched for
a time inside that stretch finer than the hour."""
import io
import logging
from datetime import UTC, datetime, timedelta

from PIL import Image
from sqlalchemy import DateTime, select

from models import Base, Lead
from models.shared.logs import hour_formatter
from tests.factories import RECEIPT

TEXT = "放射科主任收受设备公司回扣，采购的设备价格比别处高出一半，去年验收时送了二十万元。"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (9, 9, 9)).save(out, "PNG")
    return out.getvalue()


def _exact_times_within(db_session, start: datetime, end: datetime) -> list[str]:
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, DateTime):
                continue
            for value in db_session.scalars(select(column).where(column.is_not(None))):
                if start <= value <= end and (value.minute, value.second, value.microsecond) != (0, 0, 0):
                    found.append(f"{table.name}.{column.name}={value.isoformat()}")
    return found


def test_a_reporters_actions_leave_no_time_finer_than_the_hour(client, context, db_session, paths,
                                                              tmp_path):
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(hour_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
    try:
        client.post("/report", data={"description": TEXT, "once": "a",
                                     "evidence": (io.BytesIO(_png()), "收据.png")},
                    content_type="multipart/form-data")
        code = RECEIPT.search(client.get("/receipt").get_data(as_text=True)).group(1)
        client.post("/status/reply", data={"receipt": code, "once": "b",
                                           "body": "补充：回扣是通过他亲戚开的公司走账的。"})
        client.post("/status/evidence", data={"receipt": code, "once": "c",
                                              "evidence": (io.BytesIO(_png()), "转账.png")},
                    content_type="multipart/form-data")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    end = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=1)

    db_session.expire_all()
    assert db_session.scalar(select(Lead.id)) is not None, "the triage job did not run"
    assert _exact_times_within(db_session, start, end) == []
    minute = start.strftime("%H:%M")
    written = lines.getvalue()
    assert written, "nothing was logged: the log check would prove nothing"
    assert start.strftime("%Y-%m-%d %H:00") in written
    if start.minute:
        assert minute not in written
    uploads = paths.uploads
    assert not uploads.exists() or not any(uploads.iterdir()), "evidence left files (with file times)"

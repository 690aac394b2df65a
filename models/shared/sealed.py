"""Every kind of sealed box the product writes, listed once: its purpose and what binds it.

A box's HPKE `info` is "qingfeng/v1/<purpose>/<binding>": a box opens only as the field it was
written for and only in the record it was written for. Both sides of every box (the portal that
seals, the office that opens, and the reverse for messages to reporters) name the field here, so
a misspelt purpose cannot make data unreadable forever.

Who can open what (P1–P3): boxes sealed to the office key open only in the back office and the
triage workers; boxes sealed to a reporter's key open only with that reporter's receipt code.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from models.shared.sealing import open_box, seal


@dataclass(frozen=True)
class SealedField:
    """One kind of sealed box."""

    purpose: str  # part of the HPKE info; never change it for data already written
    binding: str  # what the binding is, for the reader (e.g. "Report.uid")
    kind: str = "text"  # "text" (str), "json" (any JSON value) or "bytes"
    to: str = "office"  # whose key seals it: "office" or "reporter"

    @staticmethod
    def bind(*parts: object) -> str:
        """The binding string of a record: its parts joined by '/'."""
        return "/".join(str(p) for p in parts)

    def seal(self, public_key: X25519PublicKey, value: object, *binding: object) -> bytes:
        """Seal `value` (str, JSON value or bytes, by kind) for the record named by `binding`."""
        return seal(public_key, self._encode(value), self.purpose, self.bind(*binding))

    def open(self, private_key: X25519PrivateKey, box: bytes, *binding: object):  # type: ignore[no-untyped-def]
        """Open a box of this field; raises SealError for any other key, field or record."""
        plain = open_box(private_key, box, self.purpose, self.bind(*binding))
        if self.kind == "json":
            return json.loads(plain)
        return plain.decode() if self.kind == "text" else plain

    def _encode(self, value: object) -> bytes:
        if self.kind == "json":
            return json.dumps(value, ensure_ascii=False).encode()
        if self.kind == "text":
            if not isinstance(value, str):
                raise TypeError(f"{self.purpose} seals text")
            return value.encode()
        if not isinstance(value, bytes):
            raise TypeError(f"{self.purpose} seals bytes")
        return value


# Written by the portal (or office intake), read by the office and the triage job.
REPORT = SealedField("report", "Report.uid", "json")
CONTACT = SealedField("contact", "Report.uid", "json")
ATTACHMENT = SealedField("attachment", "Report.uid/Attachment.storage_name", "bytes")
ATTACHMENT_META = SealedField("attachment-meta", "Report.uid/Attachment.storage_name", "json")
REPORTER_MESSAGE = SealedField("reporter-message", "Report.uid")
DISCLOSURE = SealedField("disclosure", "Disclosure.uid", "json")
# Written by the portal to the reporter's own key: their copy of what they wrote.
REPORTER_ECHO = SealedField("reporter-echo", "Report.uid", to="reporter")
# Written by the office to the reporter's key: readable only with the receipt code (P3).
OFFICE_MESSAGE = SealedField("office-message", "Report.uid/Message.id", to="reporter")
STATUS_NOTE = SealedField("status-note", "Report.uid/StatusEvent.id", to="reporter")
# Written and read by the office and the triage job only.
LEAD_ENTITIES = SealedField("lead-entities", "Report.uid", "json")
LEAD_SUMMARY = SealedField("lead-summary", "Report.uid")
LEAD_NOTE = SealedField("lead-note", "Report.uid")

ALL = (REPORT, CONTACT, ATTACHMENT, ATTACHMENT_META, REPORTER_MESSAGE, DISCLOSURE, REPORTER_ECHO,
       OFFICE_MESSAGE, STATUS_NOTE, LEAD_ENTITIES, LEAD_SUMMARY, LEAD_NOTE)

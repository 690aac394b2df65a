"""Evidence files: check type by content, strip image metadata, name by type, seal, store.

Images are decoded and re-encoded with Pillow, which drops EXIF (GPS position, camera serial),
XMP and comments. PDF and audio are kept as sent: the form says so. A file's kept name ends in
the extension of its detected type, whatever the reporter's name said (`证据.html` holding a
PDF is kept as `证据.pdf`), so nobody in the office opens a program by double-clicking evidence.
"""
from __future__ import annotations

import io
import os
import re
import secrets
import threading
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from sqlalchemy.orm import Session

from models.report import Attachment, Report
from models.shared import sealed
from models.shared.vault import Vault

IMAGE_KINDS = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
OTHER_KINDS = {"pdf": "application/pdf", "mp3": "audio/mpeg", "m4a": "audio/mp4"}
CONTENT_TYPES = {**IMAGE_KINDS, **OTHER_KINDS}
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "pdf": "pdf", "mp3": "mp3", "m4a": "m4a"}
UNKNOWN_TYPE = "application/octet-stream"

# A 48-megapixel phone photo at full size is refused too: the message asks for a screenshot or
# a smaller copy. Decoding costs about 3–4 bytes of memory per pixel, several times over.
MAX_PIXELS = 40_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own check, the same ceiling
# Pillow only warns between 1× and 2× its ceiling; a warning must refuse the file, not pass it.
warnings.simplefilter("error", Image.DecompressionBombWarning)
# Images decoded at once in one process; further uploads wait their turn. Two keep the memory
# of a burst of large photos near 1 GiB per process, whatever the number of threads.
DECODE_SLOTS = 2
_decoding = threading.BoundedSemaphore(DECODE_SLOTS)

# Characters that are kept out of names: Windows' reserved ones become "_".
_RESERVED = re.compile(r'[<>:"|?*]')
_NAME_MAX = 100
UNNAMED = "未命名文件"


class EvidenceRejected(ValueError):
    """A file was refused; `reason` names which rule (see portal/texts.py)."""

    def __init__(self, reason: str, name: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.name = name


@dataclass(frozen=True)
class Evidence:
    filename: str
    content_type: str
    data: bytes
    stripped: bool


def sniff(data: bytes) -> str | None:
    """The kind of file by its first bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"ID3") or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    if data[4:8] == b"ftyp" and data[8:11] in (b"M4A", b"mp4", b"iso", b"M4B"):
        return "m4a"
    return None


def strip_image(data: bytes, kind: str) -> bytes:
    """Re-encode an image from its pixels only, so no metadata survives."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        pixels = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    del image  # the decoded original, before the clean copy is made
    clean = Image.new(pixels.mode, pixels.size)
    clean.paste(pixels)
    del pixels
    out = io.BytesIO()
    if kind == "jpeg":
        clean.convert("RGB").save(out, "JPEG", quality=90)
    else:
        clean.save(out, kind.upper())
    return out.getvalue()


def strip_checked(data: bytes, kind: str, name: str) -> bytes:
    """`strip_image`, after reading the size from the header alone (no pixel is decoded) and
    refusing above MAX_PIXELS; at most DECODE_SLOTS images at once. Raises EvidenceRejected."""
    try:
        with Image.open(io.BytesIO(data)) as header:  # lazy: reads the header only
            width, height = header.size
        if width * height > MAX_PIXELS:
            raise EvidenceRejected("pixels", name)
        with _decoding:
            return strip_image(data, kind)
    except EvidenceRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise EvidenceRejected("pixels", name) from exc
    except Exception as exc:  # hostile bytes make Pillow raise many kinds; all mean "broken"
        raise EvidenceRejected("broken", name) from exc


def safe_name(filename: str, kind: str | None = None) -> str:
    """A name for display and download: no folders, no control, format or bidi characters
    (U+202E would show `exe.jpg` for `gpj.exe`), no Windows-reserved ones, at most 100
    characters; with `kind`, its extension is the detected type's, whatever was sent."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(_kept(ch) for ch in unicodedata.normalize("NFC", name))
    name = _RESERVED.sub("_", " ".join(name.split()))
    if kind is None:
        return name[:_NAME_MAX].strip() or UNNAMED
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.rstrip(". ").strip() or UNNAMED
    extension = "." + EXTENSIONS.get(kind, "bin")
    return stem[: _NAME_MAX - len(extension)] + extension


def _kept(ch: str) -> str:
    """Control (Cc), format (Cf: bidi and zero-width marks), private, unassigned and surrogate
    characters go; every kind of space becomes a plain one."""
    category = unicodedata.category(ch)
    if category.startswith("Z"):
        return " "
    return "" if category.startswith("C") else ch


def prepare_evidence(filename: str, data: bytes, max_bytes: int) -> Evidence:
    """Check one uploaded file and strip it; raises EvidenceRejected."""
    name = safe_name(filename)
    if not data:
        raise EvidenceRejected("empty", name)
    if len(data) > max_bytes:
        raise EvidenceRejected("too_big", name)
    kind = sniff(data)
    if kind is None:
        raise EvidenceRejected("type", name)
    kept = safe_name(filename, kind)
    if kind in IMAGE_KINDS:
        return Evidence(kept, IMAGE_KINDS[kind], strip_checked(data, kind, name), stripped=True)
    return Evidence(kept, OTHER_KINDS[kind], data, stripped=False)


def store_evidence(vault: Vault, report: Report, evidence: list[Evidence]) -> list[Attachment]:
    """Seal each file into a new attachment row of `report`, written by the caller's commit with
    the report itself: nothing touches the disk, so nothing is left behind if the commit fails.

    Returns the rows added."""
    added = []
    for item in evidence:
        storage_name = secrets.token_hex(16)  # binds the boxes to this row
        box = sealed.ATTACHMENT.seal(vault.office_key, item.data, report.uid, storage_name)
        meta = {"filename": item.filename, "content_type": item.content_type,
                "stripped": item.stripped}
        attachment = Attachment(
            storage_name=storage_name,
            size=len(box),
            box=box,
            meta_box=sealed.ATTACHMENT_META.seal(vault.office_key, meta, report.uid, storage_name),
        )
        report.attachments.append(attachment)
        added.append(attachment)
    return added


def sealed_bytes(attachment: Attachment, uploads: Path) -> bytes:
    """An attachment's sealed box: from its row, or, for rows written before evidence moved
    into the database, from its file in the uploads folder."""
    if attachment.box is not None:
        return attachment.box
    return (uploads / attachment.storage_name).read_bytes()


def download_type(data: bytes, filename: str) -> tuple[str, str]:
    """(Content-Type, file name) for opened evidence, both from the bytes' detected type, so
    an old row's stored name or type cannot make the browser or the desktop run it."""
    kind = sniff(data)
    return CONTENT_TYPES.get(kind or "", UNKNOWN_TYPE), safe_name(filename, kind or "bin")


def commit_or_discard(session: Session, _written: object = None) -> None:
    """Commit; if the database refuses, roll back (and re-raise). Attachments are rows of the
    same transaction now, so there is nothing else to clean up; `_written` is what callers
    passed when sealed files were written first, and is ignored."""
    try:
        session.commit()
    except Exception:
        session.rollback()
        raise

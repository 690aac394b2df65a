"""Evidence files: check type by content, strip image metadata, seal, store.

Images are decoded and re-encoded with Pillow, which drops EXIF (GPS position, camera serial),
XMP and comments. PDF and audio are kept as sent: the form says so.
"""
from __future__ import annotations

import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from models.report import Attachment, Report
from models.shared import sealed
from models.shared.vault import Vault

IMAGE_KINDS = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
OTHER_KINDS = {"pdf": "application/pdf", "mp3": "audio/mpeg", "m4a": "audio/mp4"}
Image.MAX_IMAGE_PIXELS = 40_000_000  # larger is a decompression bomb, not a photo


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
        clean = Image.new(pixels.mode, pixels.size)
        clean.paste(pixels)
    out = io.BytesIO()
    if kind == "jpeg":
        clean.convert("RGB").save(out, "JPEG", quality=90)
    else:
        clean.save(out, kind.upper())
    return out.getvalue()


def safe_name(filename: str) -> str:
    """A display name without folders or control characters, at most 100 characters."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:100] or "未命名文件"


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
    if kind in IMAGE_KINDS:
        try:
            return Evidence(name, IMAGE_KINDS[kind], strip_image(data, kind), stripped=True)
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
            raise EvidenceRejected("broken", name) from exc
    return Evidence(name, OTHER_KINDS[kind], data, stripped=False)


def store_evidence(vault: Vault, report: Report, evidence: list[Evidence]) -> list[Path]:
    """Seal each file into the uploads folder and attach a row to `report` (not yet committed).

    Returns the paths written, so the caller can remove them if the commit fails.
    """
    vault.uploads.mkdir(parents=True, exist_ok=True)
    written = []
    for item in evidence:
        storage_name = secrets.token_hex(16)
        box = sealed.ATTACHMENT.seal(vault.office_key, item.data, report.uid, storage_name)
        meta = {"filename": item.filename, "content_type": item.content_type,
                "stripped": item.stripped}
        path = vault.uploads / storage_name
        _write_atomically(path, box)
        written.append(path)
        report.attachments.append(
            Attachment(
                storage_name=storage_name,
                size=len(box),
                meta_box=sealed.ATTACHMENT_META.seal(vault.office_key, meta, report.uid, storage_name),
            )
        )
    return written


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def commit_or_discard(session: Session, written: list[Path]) -> None:
    """Commit; if the database refuses, roll back and remove the sealed files just written."""
    try:
        session.commit()
    except Exception:
        session.rollback()
        for path in written:
            path.unlink(missing_ok=True)
        raise

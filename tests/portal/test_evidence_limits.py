"""Evidence files: a pixel ceiling checked before any decoding, few images decoded at once, names
whose extension says what the content is, and sealed bytes kept in the database, not on disk."""
import io
import struct
import threading
import time
import warnings
import zlib

import pytest
from PIL import Image
from sqlalchemy import inspect, select

from models import Attachment, Report
from models.shared import evidence, sealed
from models.shared.evidence import EvidenceRejected, prepare_evidence
from tests.factories import submit_form

LIMIT = 10 * 2**20


def bomb_png(width: int = 8900, height: int = 8900) -> bytes:
    """A valid black-and-white PNG of width×height pixels that compresses to a few kilobytes."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + bytes((width + 7) // 8)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = zlib.compress(row * height, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def small_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 200, 10)).save(out, "PNG")
    return out.getvalue()


def test_the_ceiling_is_pillows_and_a_photo_of_the_ceiling_passes():
    assert evidence.MAX_PIXELS == Image.MAX_IMAGE_PIXELS == 40_000_000
    assert prepare_evidence("ok.png", bomb_png(2000, 2000), LIMIT).stripped


def test_an_image_over_the_pixel_ceiling_is_refused_before_decoding(monkeypatch):
    data = bomb_png()  # 8900 × 8900 = 79 megapixels: only a warning for Pillow, in a few KB
    assert len(data) < 100_000

    def never(*_args):
        raise AssertionError("the bomb was decoded")

    monkeypatch.setattr(evidence, "strip_image", never)
    with pytest.raises(EvidenceRejected) as refused:
        prepare_evidence("炸弹.png", data, LIMIT)
    assert refused.value.reason == "pixels" and refused.value.name == "炸弹.png"


def test_a_decompression_bomb_warning_is_a_refusal_not_a_crash(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)  # 32×24 = 768: Pillow only warns
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(EvidenceRejected) as refused:
            evidence.strip_checked(small_png(), "png", "x.png")
    assert refused.value.reason == "pixels"


def test_the_form_names_the_file_and_says_what_to_do(client, db_session):
    response, receipt = submit_form(client, evidence=[(io.BytesIO(bomb_png()), "病历照片.png")])
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and receipt is None
    assert "图片“病历照片.png”过大（像素超过 4000 万），请截图或压缩后再上传。" in page
    assert db_session.scalars(select(Report)).all() == []


def test_at_most_two_images_are_decoded_at_once(monkeypatch):
    inside = most = 0
    lock, release = threading.Lock(), threading.Event()
    real = evidence.strip_image

    def slow(data, kind):
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        release.wait(10)
        try:
            return real(data, kind)
        finally:
            with lock:
                inside -= 1

    monkeypatch.setattr(evidence, "strip_image", slow)
    data = small_png()
    threads = [threading.Thread(target=prepare_evidence, args=(f"{i}.png", data, LIMIT))
               for i in range(4)]
    for thread in threads:
        thread.start()
    for _ in range(100):  # give the other two every chance to get in, if they can
        if most > 2:
            break
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join()
    assert most == 2


@pytest.mark.parametrize("sent, kept", [
    ("证据.html", "证据.pdf"),
    ("run.hta", "run.pdf"),
    ("start.bat", "start.pdf"),
    ("x\u202egpj.exe", "xgpj.pdf"),
    ("\u2066账本\u2069\u200e.pdf\u200f", "账本.pdf"),
    ("C:\\fakepath\\合同.PDF", "合同.pdf"),
    ("no extension", "no extension.pdf"),
    (".exe", "未命名文件.pdf"),
    ("a<b>:c|d?.exe", "a_b__c_d_.pdf"),
])
def test_the_kept_name_takes_its_extension_from_the_content(sent, kept):
    assert prepare_evidence(sent, b"%PDF-1.4 x", LIMIT).filename == kept


def test_image_and_audio_names_follow_their_detected_type():
    assert prepare_evidence("photo.exe", small_png(), LIMIT).filename == "photo.png"
    assert prepare_evidence("录音.html", b"ID3\x04\x00 audio", LIMIT).filename == "录音.mp3"
    jpeg = io.BytesIO()
    Image.new("RGB", (8, 8)).save(jpeg, "JPEG")
    assert prepare_evidence("IMG_1.JPEG", jpeg.getvalue(), LIMIT).filename == "IMG_1.jpg"


def test_sealed_files_live_in_the_database_not_in_uploads(client, db_session, office_key, paths):
    response, receipt = submit_form(client, evidence=[(io.BytesIO(b"%PDF-1.4 ledger"), "证据.html")])
    assert response.status_code == 200 and receipt
    assert list(paths.uploads.iterdir()) == []  # no file, so no file times to date the reporter
    report = db_session.scalars(select(Report)).one()
    item = report.attachments[0]
    assert "box" in inspect(item).unloaded  # listing attachments does not load their bytes
    assert sealed.ATTACHMENT.open(office_key, item.box, report.uid, item.storage_name) == b"%PDF-1.4 ledger"
    meta = sealed.ATTACHMENT_META.open(office_key, item.meta_box, report.uid, item.storage_name)
    assert meta == {"filename": "证据.pdf", "content_type": "application/pdf", "stripped": False}
    assert item.size == len(item.box)


def test_rows_from_before_read_their_file_from_uploads(paths):
    from models.shared.evidence import sealed_bytes

    item = Attachment(storage_name="a" * 32, size=3, meta_box=b"", box=None)
    (paths.uploads / item.storage_name).write_bytes(b"old")
    assert sealed_bytes(item, paths.uploads) == b"old"
    item.box = b"new"
    assert sealed_bytes(item, paths.uploads) == b"new"

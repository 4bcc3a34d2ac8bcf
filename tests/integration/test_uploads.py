"""Admin uploads under attack (issue 16): a zip-bomb report template, an over-nested or
oversized plan file and a too-large request body are refused in Swedish, never a 500."""
from __future__ import annotations

import io
import zipfile

from sqlalchemy import func, select

from tests.web import Browser, csrf_token, text_of
from webapp.extensions import db
from webapp.models import ReportTemplate


def _docx(extra: dict[str, bytes] | None = None) -> bytes:
    from docx import Document

    buffer = io.BytesIO()
    Document().save(buffer)
    if not extra:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        for name, payload in extra.items():
            target.writestr(name, payload)
    return out.getvalue()


def _zip_bomb(size: int = 300 * 1024 * 1024) -> bytes:
    """A real .docx plus one zero-filled part of ``size`` bytes, written in chunks, so the
    test never holds the unpacked part in memory."""
    out = io.BytesIO(_docx())
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        with target.open("word/media/image1.png", "w", force_zip64=True) as part:
            chunk = bytes(1024 * 1024)
            for _ in range(size // len(chunk)):
                part.write(chunk)
    return out.getvalue()


def _upload(browser: Browser, content: bytes, name: str = "Mall"):
    page = browser.get("/admin/rapportmall")
    return browser.client.post("/admin/rapportmall", data={
        "csrf_token": csrf_token(page), "name": name,
        "file": (io.BytesIO(content), "mall.docx")},
        content_type="multipart/form-data", follow_redirects=True)


def test_a_zip_bomb_template_is_refused_before_it_is_unpacked(browser: Browser, demo) -> None:
    bomb = _zip_bomb()
    assert len(bomb) < 1024 * 1024  # a few hundred KB on the wire
    browser.login("admin@example.se")
    response = _upload(browser, bomb, "Bomb")
    assert response.status_code == 200
    assert "Mallen är för stor uppackad" in text_of(response)
    with demo.app_context():
        assert db.session.scalar(select(func.count(ReportTemplate.id))) == 0


def test_a_template_with_too_many_parts_is_refused(browser: Browser, demo) -> None:
    browser.login("admin@example.se")
    many = _docx({f"customXml/item{i}.xml": b"<a/>" for i in range(600)})
    response = _upload(browser, many)
    assert "för många delar" in text_of(response)
    with demo.app_context():
        assert db.session.scalar(select(func.count(ReportTemplate.id))) == 0


def test_a_template_keeps_only_what_a_template_needs(browser: Browser, demo) -> None:
    browser.login("admin@example.se")
    content = _docx({"word/vbaProject.bin": b"macro" * 100,
                     "customXml/item1.xml": b"<secret>kundregister</secret>"})
    response = _upload(browser, content, "Med extra")
    assert "används för nya rapporter" in text_of(response)
    with demo.app_context():
        stored = db.session.scalar(select(ReportTemplate.content))
    names = zipfile.ZipFile(io.BytesIO(stored)).namelist()
    assert "word/styles.xml" in names and "word/document.xml" in names
    assert "word/vbaProject.bin" not in names and "customXml/item1.xml" not in names

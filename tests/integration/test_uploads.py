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


def _plan_upload(browser: Browser, content: bytes):
    page = browser.get("/admin/struktur/fil")
    return browser.client.post("/admin/struktur/fil", data={
        "csrf_token": csrf_token(page), "file": (io.BytesIO(content), "plan.yaml")},
        content_type="multipart/form-data", follow_redirects=True)


def test_a_deeply_nested_plan_file_is_refused_in_swedish(browser: Browser, demo) -> None:
    browser.login("admin@example.se")
    response = _plan_upload(browser, b"[" * 100_000)
    assert response.status_code == 422
    assert "nästlad för djupt" in text_of(response)
    deep_mapping = "".join(f"{' ' * i}k{i}:\n" for i in range(400)).encode()
    assert "nästlad för djupt" in text_of(_plan_upload(browser, deep_mapping))


def test_a_huge_plan_file_is_refused_before_it_is_built(browser: Browser, demo) -> None:
    """A 1 MB file of 30 000 items (under the 1 MB upload cap) is refused for its number of
    parts, counted while reading: the node tree is never built."""
    import yaml

    browser.login("admin@example.se")
    big = ("districts:\n" + "".join(f"  - {{key: d{i:05d}, name: D {i:05d}}}\n"
                                    for i in range(30_000))).encode()
    assert 900_000 < len(big) < 1024 * 1024
    calls = []
    real_compose = yaml.compose

    def counting_compose(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real_compose(*args, **kwargs)

    from _pytest.monkeypatch import MonkeyPatch
    with MonkeyPatch.context() as mp:
        mp.setattr(yaml, "compose", counting_compose)
        response = _plan_upload(browser, big)
    assert response.status_code == 422 and "för många delar" in text_of(response)
    assert calls == []
    # The real file, far under the limits, still goes through.
    from webapp.services.plan_import import DEFAULT_DATA_FILE
    ok = _plan_upload(browser, DEFAULT_DATA_FILE.read_bytes())
    assert ok.status_code == 200, text_of(ok)[:500]


def test_a_too_large_request_gets_the_swedish_413_page(browser: Browser, demo) -> None:
    """Bodies are capped at 10 MiB (a template with a logo, a contact list of a few MB)."""
    browser.login("admin@example.se")
    page = browser.get("/admin/rapportmall")
    response = browser.client.post("/admin/rapportmall", data={
        "csrf_token": csrf_token(page), "name": "Stor",
        "file": (io.BytesIO(bytes(11 * 1024 * 1024)), "mall.docx")},
        content_type="multipart/form-data")
    assert response.status_code == 413
    assert "högst 10 MB" in text_of(response)
    assert demo.config["MAX_CONTENT_LENGTH"] == 10 * 1024 * 1024
    with demo.app_context():
        assert db.session.scalar(select(func.count(ReportTemplate.id))) == 0

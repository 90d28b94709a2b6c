"""Uploads are checked by size and by content; files go to the private storage."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from consortia.documents import sniff
from consortia.models import Document
from core.errors import InvalidInput
from tests.factories.consortia import ConsortiumContactFactory, ConsortiumFactory

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20


def office(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if kind in {"odt", "ods", "odp"}:
            names = {"odt": "text", "ods": "spreadsheet", "odp": "presentation"}
            archive.writestr("mimetype", f"application/vnd.oasis.opendocument.{names[kind]}")
            archive.writestr("content.xml", "<x/>")
        else:
            folder = {"docx": "word", "xlsx": "xl", "pptx": "ppt"}[kind]
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr(f"{folder}/document.xml", "<x/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.exe", "MZ")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("agreement.pdf", PDF, "application/pdf"),
        ("logo.png", PNG, "image/png"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("policy.docx", office("docx"), "application/vnd.openxmlformats-officedocument"),
        ("budget.xlsx", office("xlsx"), "application/vnd.openxmlformats-officedocument"),
        ("slides.pptx", office("pptx"), "application/vnd.openxmlformats-officedocument"),
        ("notes.odt", office("odt"), "application/vnd.oasis.opendocument.text"),
        ("members.csv", "Name,Country\nUniversité,FR\n".encode(), "text/csv"),
        ("readme.txt", "Grüße\n".encode(), "text/plain"),
        ("readme.md", b"# Title\n", "text/markdown"),
    ],
)
def test_allowed_documents_are_recognized_by_content(name, content, content_type):
    assert sniff(SimpleUploadedFile(name, content)).content_type.startswith(content_type)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("agreement.pdf", office("docx")),  # disguised: a ZIP named .pdf
        ("logo.png", PDF),
        ("policy.docx", plain_zip()),  # a ZIP that is no office document
        ("policy.docx", PDF),
        ("script.exe", b"MZ\x90\x00"),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("members.csv", b"\xff\xfe\x00N\x00a"),  # not UTF-8
        ("members.csv", b"a,b\x00c"),  # binary
        ("image.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ("noextension", PDF),
    ],
)
def test_disguised_or_unknown_documents_are_refused(name, content):
    with pytest.raises(InvalidInput, match="not an allowed document"):
        sniff(SimpleUploadedFile(name, content))


@pytest.fixture
def lead_client(client, db):
    consortium = ConsortiumFactory(slug="irel")
    lead = ConsortiumContactFactory(consortium=consortium, role="main").user
    client.force_login(lead)
    return client


def upload(client, name, content, visibility="members"):
    return client.post(
        "/consortia/irel/manage/documents/",
        {
            "document-title": "A document",
            "document-visibility": visibility,
            "document-file": SimpleUploadedFile(name, content),
        },
    )


def test_an_upload_is_stored_under_a_generated_name_and_downloads_intact(lead_client):
    response = upload(lead_client, "../../etc/agreement.pdf", PDF)
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.original_name == "agreement.pdf"
    assert document.content_type == "application/pdf"
    assert document.size == len(PDF)
    assert document.file.name.startswith(f"consortia/{document.consortium_id}/")
    assert document.file.name.endswith(".pdf")
    assert "agreement" not in document.file.name
    download = lead_client.get(f"/consortia/irel/documents/{document.pk}/")
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert 'filename="agreement.pdf"' in download["Content-Disposition"]


def test_an_oversized_upload_is_refused_with_a_clear_message(lead_client, settings):
    settings.DOCUMENTS_MAX_UPLOAD_BYTES = 1024
    response = upload(lead_client, "big.pdf", PDF + b"x" * 1024)
    assert response.status_code == 400
    assert "documents may be at most" in response.content.decode()
    assert not Document.objects.exists()


def test_a_disguised_upload_is_refused_and_nothing_is_stored(lead_client, settings, tmp_path):
    response = upload(lead_client, "agreement.pdf", office("docx"))
    assert response.status_code == 400
    assert "content does not match its name" in response.content.decode()
    assert not Document.objects.exists()
    stored = tmp_path / "documents"
    assert not stored.exists() or not any(p.is_file() for p in stored.rglob("*"))


def test_deleting_a_document_removes_its_file(lead_client, django_capture_on_commit_callbacks):
    upload(lead_client, "agreement.pdf", PDF)
    document = Document.objects.get()
    storage, name = document.file.storage, document.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(f"/consortia/irel/manage/documents/{document.pk}/delete/")
    assert response.status_code == 302
    assert not Document.objects.exists()
    assert not storage.exists(name)

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


# --- Archives are read with a bound ----------------------------------------------------------

ODT_TYPE = b"application/vnd.oasis.opendocument.text"
MB = 1024 * 1024


def inflating_odt(mimetype_bytes: int) -> bytes:
    """An .odt whose ``mimetype`` entry is the right type followed by ``mimetype_bytes`` of
    spaces: a few hundred KB that unpack to as much as one likes (a zip bomb)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("mimetype", "w") as entry:
            entry.write(ODT_TYPE)
            block = b" " * MB
            for _ in range(mimetype_bytes // MB):
                entry.write(block)
        archive.writestr("content.xml", "<x/>")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def odt_bomb() -> bytes:
    """The reproduction of issue 16: 300 MB behind about 300 KB."""
    return inflating_odt(300 * MB)


def sniff_traced(name: str, content: bytes):
    """Sniff ``content``; return what was raised (or the kind) and the peak of memory the
    sniffing allocated, in bytes."""
    import tracemalloc

    upload = SimpleUploadedFile(name, content)
    tracemalloc.start()
    try:
        try:
            outcome = sniff(upload)
        except InvalidInput as error:
            outcome = error
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return outcome, peak


def test_an_archive_that_unpacks_to_300_mb_is_refused_reading_a_bounded_amount(odt_bomb):
    assert len(odt_bomb) < 2 * MB
    outcome, peak = sniff_traced("notes.odt", odt_bomb)
    assert isinstance(outcome, InvalidInput)
    assert "unpacks to more than" in str(outcome.message)
    assert peak < 4 * MB, f"sniffing used {peak / MB:.0f} MB"


def test_an_upload_that_unpacks_too_far_is_refused_with_its_message(lead_client, odt_bomb):
    response = upload(lead_client, "notes.odt", odt_bomb)
    assert response.status_code == 400
    assert "unpacks to more than" in response.content.decode()
    assert not Document.objects.exists()


def test_a_file_inside_an_archive_may_unpack_up_to_the_limit_and_no_further(settings):
    settings.DOCUMENTS_ARCHIVE_MAX_ENTRY_BYTES = 2 * MB
    settings.DOCUMENTS_ARCHIVE_MAX_BYTES = 10 * MB
    within = inflating_odt(2 * MB - len(ODT_TYPE))
    assert sniff(SimpleUploadedFile("notes.odt", within)).extension == "odt"
    beyond, peak = sniff_traced("notes.odt", inflating_odt(3 * MB))
    assert isinstance(beyond, InvalidInput)
    assert "A file inside notes.odt unpacks to more than 2.0\xa0MB" in str(beyond.message)


def office_with(entries: dict[str, bytes], kind="docx") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_all_files_of_an_archive_together_may_unpack_up_to_the_limit(settings):
    settings.DOCUMENTS_ARCHIVE_MAX_ENTRY_BYTES = 2 * MB
    settings.DOCUMENTS_ARCHIVE_MAX_BYTES = 5 * MB + 1024  # five parts and [Content_Types]
    parts = {f"word/part{i}.xml": b"<x/>" * (MB // 4) for i in range(6)}  # 1 MB each
    outcome, peak = sniff_traced("policy.docx", office_with(parts))
    assert isinstance(outcome, InvalidInput)
    assert "policy.docx unpacks to more than 5.0\xa0MB in all" in str(outcome.message)
    assert peak < 2 * MB
    del parts["word/part5.xml"]
    assert sniff(SimpleUploadedFile("policy.docx", office_with(parts))).extension == "docx"


def test_an_archive_of_too_many_files_is_refused_before_its_list_is_read(settings):
    settings.DOCUMENTS_ARCHIVE_MAX_ENTRIES = 100
    few = office_with({f"word/{i}.xml": b"" for i in range(99)})  # and [Content_Types].xml
    assert sniff(SimpleUploadedFile("policy.docx", few)).extension == "docx"
    many = office_with({f"word/{i}.xml": b"" for i in range(50_000)})
    outcome, peak = sniff_traced("policy.docx", many)
    assert isinstance(outcome, InvalidInput)
    assert "policy.docx contains more than 100 files" in str(outcome.message)
    # Python's zipfile would hold an object for each of the 50,000 names (about 20 MB).
    assert peak < MB


def _lie_about_sizes(content: bytes, name: str, claimed: int) -> bytes:
    """``content`` with the uncompressed size of entry ``name`` replaced by ``claimed`` in
    its local header and in the central directory (its CRC is the real one)."""
    data = bytearray(content)
    encoded = name.encode()
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature + b"")
        while at >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(encoded)] == encoded:
                data[at + offset : at + offset + 4] = claimed.to_bytes(4, "little")
            at = data.find(signature, at + 4)
    return bytes(data)


def test_a_file_that_unpacks_to_more_than_it_claims_is_refused(settings):
    settings.DOCUMENTS_ARCHIVE_MAX_ENTRY_BYTES = 2 * MB
    honest = office_with({"word/document.xml": b"<x/>" * MB})  # 4 MB, above the limit
    lying = _lie_about_sizes(honest, "word/document.xml", 100)
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo("word/document.xml").file_size == 100
    outcome, peak = sniff_traced("policy.docx", lying)
    assert isinstance(outcome, InvalidInput)
    assert "not an allowed document" in str(outcome.message)
    assert peak < 2 * MB

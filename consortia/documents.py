"""What an uploaded document really is, from its content (magic bytes), not its name.

Allowed: PDF, PNG, JPEG, ZIP-based office files (OOXML: docx/xlsx/pptx; OpenDocument:
odt/ods/odp) and plain text/CSV/Markdown that is valid UTF-8. A file whose name promises
one type and whose content is another ("report.pdf" that is really a ZIP) is refused.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.utils.translation import gettext as _

from core.errors import InvalidInput

SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Kind:
    extension: str
    content_type: str


PDF = Kind("pdf", "application/pdf")
PNG = Kind("png", "image/png")
JPEG = Kind("jpg", "image/jpeg")
TEXT = Kind("txt", "text/plain; charset=utf-8")
CSV = Kind("csv", "text/csv; charset=utf-8")
MARKDOWN = Kind("md", "text/markdown; charset=utf-8")
OFFICE = {
    "docx": Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": Kind(
        "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
    "odt": Kind("odt", "application/vnd.oasis.opendocument.text"),
    "ods": Kind("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    "odp": Kind("odp", "application/vnd.oasis.opendocument.presentation"),
}
# The extensions a name may carry for each kind of content.
EXTENSIONS = {
    "pdf": {"pdf"},
    "png": {"png"},
    "jpg": {"jpg", "jpeg"},
    "txt": {"txt", "text"},
    "csv": {"csv"},
    "md": {"md", "markdown"},
    **{ext: {ext} for ext in OFFICE},
}
TEXT_EXTENSIONS = {"txt": TEXT, "text": TEXT, "csv": CSV, "md": MARKDOWN, "markdown": MARKDOWN}
OOXML_FOLDERS = {"word/": "docx", "xl/": "xlsx", "ppt/": "pptx"}
ODF_TYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
ALLOWED_DESCRIPTION = "PDF, PNG, JPEG, DOCX, XLSX, PPTX, ODT, ODS, ODP, TXT, CSV, MD"


def _refuse(name: str) -> InvalidInput:
    return InvalidInput(
        _(
            "%(name)s is not an allowed document, or its content does not match its name. "
            "Allowed: %(allowed)s."
        )
        % {"name": name, "allowed": ALLOWED_DESCRIPTION}
    )


def _office_kind(upload) -> Kind | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                kind = ODF_TYPES.get(archive.read("mimetype").strip())
                if kind:
                    return OFFICE[kind]
            if "[Content_Types].xml" in names:
                for folder, kind in OOXML_FOLDERS.items():
                    if any(n.startswith(folder) for n in names):
                        return OFFICE[kind]
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    finally:
        upload.seek(0)
    return None


def _is_utf8_text(upload) -> bool:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def sniff(upload) -> Kind:
    """Return the kind of ``upload`` from its content; raise InvalidInput if not allowed."""
    name = PurePath(upload.name or "").name
    extension = PurePath(name).suffix.lower().lstrip(".")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind: Kind | None = None
    if head.startswith(b"%PDF-"):
        kind = PDF
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = PNG
    elif head.startswith(b"\xff\xd8\xff"):
        kind = JPEG
    elif head.startswith(b"PK\x03\x04"):
        kind = _office_kind(upload)
    elif extension in TEXT_EXTENSIONS and _is_utf8_text(upload):
        kind = TEXT_EXTENSIONS[extension]
    if kind is None or extension not in EXTENSIONS[kind.extension]:
        raise _refuse(name or _("The file"))
    return kind

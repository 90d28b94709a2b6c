"""What an uploaded document really is, from its content (magic bytes), not its name.

Allowed: PDF, PNG, JPEG, ZIP-based office files (OOXML: docx/xlsx/pptx; OpenDocument:
odt/ods/odp) and plain text/CSV/Markdown that is valid UTF-8. A file whose name promises
one type and whose content is another ("report.pdf" that is really a ZIP) is refused.

Office files are ZIP archives, and a few hundred kilobytes of archive can unpack to
gigabytes (a "zip bomb"). They are read with bounds (settings ``DOCUMENTS_ARCHIVE_*``):
the number of files is taken from the archive's end record before its list of files is
read, the sizes the list declares are checked next, and then every file is unpacked in
small chunks, counting, and refused as soon as one file or all of them together pass
their limit; a file that unpacks to other bytes than its list declares fails its
checksum. Nothing is ever read whole: memory stays within a few chunks whatever the
archive claims.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from core.errors import InvalidInput

SNIFF_BYTES = 8192
# Archives are unpacked this many bytes at a time.
CHUNK_BYTES = 64 * 1024
# An OpenDocument ``mimetype`` entry is a media type of a few dozen bytes.
MIMETYPE_BYTES = 256
# A generous average size of an entry of an archive's list of files (46 bytes, its name
# and extra fields): a list larger than the limit of files times this is refused unread.
DIRECTORY_RECORD_BYTES = 512
# The end records of a ZIP file (APPNOTE 4.3.16, 4.3.15, 4.3.14).
_END = struct.Struct("<4s4H2LH")
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")
_END_SEARCH_BYTES = _END.size + 0xFFFF  # the end record and the longest comment
# What a damaged, encrypted or unsupported archive raises while it is read.
_UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    KeyError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    struct.error,
)


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


def _directory_size(upload) -> tuple[int, int] | None:
    """The number of files and the size of the list of files an archive declares in its
    end record (read from the last 64 KB; ZIP64 too), or None without an end record."""
    upload.seek(0, 2)
    size = upload.tell()
    start = max(0, size - _END_SEARCH_BYTES)
    upload.seek(start)
    tail = upload.read(size - start)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _END.size:
        return None
    *_, entries, directory_bytes, offset, _comment = _END.unpack_from(tail, at)
    if entries == 0xFFFF or 0xFFFFFFFF in (directory_bytes, offset):
        locator_at = start + at - _END64_LOCATOR.size
        if locator_at < 0:
            return None
        upload.seek(locator_at)
        signature, _disk, end64_at, _disks = _END64_LOCATOR.unpack(upload.read(_END64_LOCATOR.size))
        if signature != b"PK\x06\x07":
            return None
        upload.seek(end64_at)
        record = upload.read(_END64.size)
        if len(record) < _END64.size or not record.startswith(b"PK\x06\x06"):
            return None
        *_, entries, directory_bytes, _offset = _END64.unpack(record)
    return entries, directory_bytes


def _archive_refused(message: str, name: str, limit: int) -> InvalidInput:
    return InvalidInput(message % {"name": name, "limit": filesizeformat(limit)})


def _check_unpacked_sizes(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse an archive whose files, one or all together, unpack past the limits: first
    by the sizes its list declares, then by unpacking each file a chunk at a time."""
    entry_limit = settings.DOCUMENTS_ARCHIVE_MAX_ENTRY_BYTES
    total_limit = settings.DOCUMENTS_ARCHIVE_MAX_BYTES
    too_big = _(
        "A file inside %(name)s unpacks to more than %(limit)s; each file of an "
        "office document may unpack to at most %(limit)s."
    )
    too_big_in_all = _(
        "%(name)s unpacks to more than %(limit)s in all; an office document "
        "may unpack to at most %(limit)s."
    )
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if any(info.file_size > entry_limit for info in infos):
        raise _archive_refused(too_big, name, entry_limit)
    if sum(info.file_size for info in infos) > total_limit:
        raise _archive_refused(too_big_in_all, name, total_limit)
    # The declared sizes may lie: count what really comes out.
    total = 0
    for info in infos:
        unpacked = 0
        with archive.open(info) as entry:
            while chunk := entry.read(CHUNK_BYTES):
                unpacked += len(chunk)
                total += len(chunk)
                if unpacked > entry_limit:
                    raise _archive_refused(too_big, name, entry_limit)
                if total > total_limit:
                    raise _archive_refused(too_big_in_all, name, total_limit)


def _office_kind(upload, name: str) -> Kind | None:
    """The office kind of a ZIP upload, read within the limits (see the module's doc)."""
    max_entries = settings.DOCUMENTS_ARCHIVE_MAX_ENTRIES
    try:
        declared = _directory_size(upload)
        if declared is None:
            return None
        entries, directory_bytes = declared
        if entries > max_entries or directory_bytes > max_entries * DIRECTORY_RECORD_BYTES:
            raise _too_many_files(name, max_entries)
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
            if len(names) > max_entries:  # the end record understated them
                raise _too_many_files(name, max_entries)
            _check_unpacked_sizes(archive, name)
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    kind = ODF_TYPES.get(entry.read(MIMETYPE_BYTES).strip())
                if kind:
                    return OFFICE[kind]
            if "[Content_Types].xml" in names:
                for folder, kind in OOXML_FOLDERS.items():
                    if any(n.startswith(folder) for n in names):
                        return OFFICE[kind]
    except _UNREADABLE:
        return None
    finally:
        upload.seek(0)
    return None


def _too_many_files(name: str, limit: int) -> InvalidInput:
    return InvalidInput(
        _(
            "%(name)s contains more than %(limit)s files; an office document may contain at "
            "most %(limit)s."
        )
        % {"name": name, "limit": limit}
    )


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
        kind = _office_kind(upload, name or _("The file"))
    elif extension in TEXT_EXTENSIONS and _is_utf8_text(upload):
        kind = TEXT_EXTENSIONS[extension]
    if kind is None or extension not in EXTENSIONS[kind.extension]:
        raise _refuse(name or _("The file"))
    return kind

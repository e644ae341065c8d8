"""Checks on uploaded evidence: type by content (never by name), size, safe file names."""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = 10 * 1024 * 1024
# A zip (xlsx, docx) may not expand beyond this: a small bomb would otherwise fill memory.
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
_OFFICE = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "application/json": ".json",
    **{mime: ".docx" if key == "word/" else ".xlsx" for key, mime in _OFFICE.items()},
}
# No XML or SVG: they can carry scripts. SBOMs come as CycloneDX or SPDX JSON.
ALLOWED_DESCRIPTION = "PDF, PNG, JPEG, Word (.docx), Excel (.xlsx) or JSON"


def sniff(data: bytes) -> str:
    """The content type of an allowed file, read from its bytes; ValidationError otherwise."""
    if not data:
        raise ValidationError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ValidationError(_("Files are limited to 10 MB."))
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    return _text(data)


def _office(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = [e.filename for e in entries]
            if sum(e.file_size for e in entries) > MAX_UNZIPPED_BYTES:
                raise ValidationError(_("The archive expands to more than 50 MB."))
    except zipfile.BadZipFile:
        raise ValidationError(_("The file is damaged.")) from None
    if "[Content_Types].xml" in names:
        for prefix, mime in _OFFICE.items():
            if any(n.startswith(prefix) for n in names):
                return mime
    raise ValidationError(
        _("Only these files are accepted: %(types)s.") % {"types": ALLOWED_DESCRIPTION}
    )


def _text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
    if text.lstrip().startswith(("{", "[")):
        try:
            json.loads(text)
        except ValueError:
            pass
        else:
            return "application/json"
    raise ValidationError(
        _("Only these files are accepted: %(types)s.") % {"types": ALLOWED_DESCRIPTION}
    )


def safe_filename(name: str, content_type: str) -> str:
    """A display name without paths or control characters, ending as its real type does."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip(" .") or "attachment"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"[^\w\- ()]+", "_", stem)[:100].strip() or "attachment"
    return stem + EXTENSIONS[content_type]

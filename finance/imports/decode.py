"""A bank CSV's bytes to text: pure functions (no database), used by finance.imports.services.

The encoding is detected, and can be changed by the person before importing: UTF-8 (with or without
a byte-order mark), UTF-16 (with a BOM), else Windows-1252, else Latin-1 (which decodes anything).
Spreadsheets and text holding NUL are refused whatever the encoding: no CSV export has either.
"""

from __future__ import annotations

import codecs

from finance.imports.limits import UploadError

ENCODINGS = ("utf-8-sig", "utf-16", "cp1252", "latin-1")
ENCODING_NAMES = {
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows (cp1252)",
    "latin-1": "Latin-1",
}


def decode(content: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the encoding that read it (`encoding` forces one)."""
    if not content.strip():
        raise UploadError("The file is empty.")
    if content[:4] == b"PK\x03\x04" or content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UploadError(
            "This is a spreadsheet (Excel) file. Save or export it as CSV and upload that.", 415
        )
    if encoding is None and content[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        encoding = "utf-16"
    for candidate in [encoding] if encoding else ["utf-8-sig", "cp1252", "latin-1"]:
        try:
            text = content.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
        # No text file has NUL, whatever its encoding (and PostgreSQL stores none in text or JSON).
        if "\x00" in text:
            raise UploadError("This doesn't look like a CSV file (it contains binary data).", 415)
        return text, candidate
    raise UploadError(f"The file could not be read as {ENCODING_NAMES.get(encoding or '', encoding)} text.")

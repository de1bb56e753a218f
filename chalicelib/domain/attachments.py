"""Attachment rules: which files a dossier may carry and how their content is recognised.

The declared content type is only a claim: the first bytes of the uploaded object decide.
"""

from __future__ import annotations

import re
import zlib
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.domain.forms import AttachmentKind

MAX_BYTES = 10 * 1024 * 1024
SNIFF_BYTES = 512
# A PDF whose compressed streams inflate past this is a decompression bomb: it would exhaust
# whoever opens it (a reviewer's viewer, a customs officer's).
PDF_INFLATED_LIMIT = 200 * 1024 * 1024
_PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")
ALLOWED_TYPES = ("application/pdf", "image/jpeg", "image/png", "application/xml")

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class UploadRequest(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    kind: AttachmentKind
    filename: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    content_type: Annotated[str, StringConstraints(max_length=100)]
    size: int = Field(gt=0)


def upload_problems(request: UploadRequest) -> list[tuple[str, str]]:
    """(pointer, message) pairs for a file that can never be accepted."""
    problems = []
    if request.content_type not in ALLOWED_TYPES:
        allowed = ", ".join(ALLOWED_TYPES)
        problems.append(("/content_type", f"allowed types are {allowed}"))
    if request.size > MAX_BYTES:
        problems.append(("/size", f"a file may have at most {MAX_BYTES} bytes (10 MB)"))
    return problems


def object_key(dossier_id: str, attachment_id: str, filename: str) -> str:
    safe = _SAFE_NAME.sub("_", filename)[-100:] or "file"
    return f"dossiers/{dossier_id}/attachments/{attachment_id}/{safe}"


def sniff_content_type(head: bytes) -> str | None:
    """The allowed type the bytes really are, or None; XML may start with a BOM or spaces."""
    import puremagic

    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if stripped.startswith(b"<?xml"):
        return "application/xml"
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    found = {match.mime_type for match in matches}
    return next((mime for mime in ALLOWED_TYPES if mime in found), None)


def received_problem(declared_type: str, size: int, head: bytes) -> str | None:
    """Why an uploaded object is rejected, or None when it is acceptable."""
    if size > MAX_BYTES:
        return f"the file has {size} bytes, more than 10 MB"
    actual = sniff_content_type(head)
    if actual is None:
        return "the file is not a PDF, JPEG, PNG or XML document"
    if actual != declared_type:
        return f"the file is {actual}, not the declared {declared_type}"
    return None


def pdf_problem(data: bytes) -> str | None:
    """Why a PDF cannot be passed on to reviewers, or None.

    Checks the structure a reader needs (header, cross-reference trailer at the end) and
    inflates every Flate stream against one budget, so a bomb is caught without a PDF library.
    """
    if not _PDF_HEADER.match(data):
        return "the PDF has no valid header (%PDF-1.x or %PDF-2.0)"
    tail = data[-1024:]
    if b"startxref" not in tail or b"%%EOF" not in tail:
        return "the PDF is truncated or malformed: it does not end with a cross-reference trailer"
    budget = PDF_INFLATED_LIMIT
    for match in _STREAM_START.finditer(data):
        dictionary = data[max(0, match.start() - 512) : match.start()]
        if b"/FlateDecode" not in dictionary.rpartition(b"obj")[2]:
            continue
        budget -= _inflated_size(data, match.end(), budget)
        if budget < 0:
            limit = PDF_INFLATED_LIMIT // (1024 * 1024)
            return f"the PDF inflates to more than {limit} MB when opened (a decompression bomb)"
    return None


def _inflated_size(data: bytes, start: int, budget: int) -> int:
    """Bytes one zlib stream from `start` inflates to, stopping once past `budget`."""
    inflater = zlib.decompressobj()
    produced = 0
    position = start
    pending = b""
    while produced <= budget and not inflater.eof:
        if not pending:
            if position >= len(data):
                break
            pending = data[position : position + 65536]
            position += 65536
        try:
            produced += len(inflater.decompress(pending, budget + 1 - produced))
        except zlib.error:
            break  # damaged data stops a viewer too; it cannot grow further
        pending = inflater.unconsumed_tail
    return produced

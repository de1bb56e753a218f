"""Attachment rules: which files a dossier may carry and how their content is recognised.

The declared content type is only a claim: the first bytes of the uploaded object decide.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.domain.forms import AttachmentKind

MAX_BYTES = 10 * 1024 * 1024
SNIFF_BYTES = 512
ALLOWED_TYPES = ("application/pdf", "image/jpeg", "image/png", "application/xml")

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

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

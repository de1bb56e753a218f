"""What a reviewer's amendment comment may point at: a field of the dossier or a document kind.

A field is a JSON pointer (RFC 6901) that resolves in the dossier as the exporter filled it
(`/consignee/name`, `/lines/0/hs_code`); a document is one of the attachment kinds.
"""

from __future__ import annotations

from typing import Any, get_args

from chalicelib.domain.dossiers import AmendmentComment, Dossier, DossierContent
from chalicelib.domain.errors import FieldProblem, ValidationFailedError
from chalicelib.domain.forms import AttachmentKind

ATTACHMENT_KINDS = frozenset(get_args(AttachmentKind))


def ensure_targets_exist(dossier: Dossier, comments: list[AmendmentComment]) -> None:
    """Refuse (422) comments on a field the dossier does not have or an unknown document."""
    content = dossier.model_dump(mode="json", include=set(DossierContent.model_fields))
    problems = [
        FieldProblem(
            f"/comments/{index}/target",
            f"'{comment.target}' is neither a field of the dossier nor a document kind",
        )
        for index, comment in enumerate(comments)
        if not _names_something(content, comment.target)
    ]
    if problems:
        raise ValidationFailedError("An amendment comment points at nothing", problems)


def _names_something(content: dict[str, Any], target: str) -> bool:
    if target in ATTACHMENT_KINDS:
        return True
    if not target.startswith("/") or target == "/":
        return False
    node: Any = content
    for raw in target[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and str(int(token)) == token:
            if int(token) >= len(node):
                return False
            node = node[int(token)]
        else:
            return False
    return True

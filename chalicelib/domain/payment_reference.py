"""Payment references: the short code a payer puts in the transfer note.

A reference is `CO` + 8 random characters of Crockford's base32 + 1 check character
(Luhn mod 32), 11 ASCII characters in all, well under the 25 characters of VietQR tag 62/08.
Banks upper-case, re-space, add punctuation and truncate notes, so `candidates_in` looks
for references in a note after folding all of that away; the check character keeps false
matches rare and the caller confirms each candidate against the stored references.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

PREFIX = "CO"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 8
LENGTH = len(PREFIX) + BODY_LENGTH + 1

# Letters people and OCR confuse with digits, folded as Crockford's base32 prescribes.
_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CANDIDATE = re.compile(rf"(?=({PREFIX}[{ALPHABET}]{{{BODY_LENGTH + 1}}}))")


def check_character(body: str) -> str:
    """Luhn mod 32 over the body's characters, so one wrong or swapped character is caught."""
    total = 0
    factor = 2
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def new_payment_reference() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return PREFIX + body + check_character(body)


def is_valid(reference: str) -> bool:
    if len(reference) != LENGTH or not reference.startswith(PREFIX):
        return False
    body, check = reference[len(PREFIX) : -1], reference[-1]
    if any(char not in ALPHABET for char in body + check):
        return False
    return check_character(body) == check


def fold_note(note: str) -> str:
    """Upper-case ASCII letters and digits only: diacritics, spaces and punctuation removed."""
    decomposed = unicodedata.normalize("NFKD", note.replace("đ", "d").replace("Đ", "D"))
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Z0-9]", "", ascii_only.upper())


def candidates_in(note: str) -> list[str]:
    """Every valid reference that can be read from a transfer note, first occurrence first."""
    folded = fold_note(note)
    found: list[str] = []
    for match in _CANDIDATE.finditer(_fold_after_prefix(folded)):
        candidate = match.group(1)
        if is_valid(candidate) and candidate not in found:
            found.append(candidate)
    return found


def _fold_after_prefix(folded: str) -> str:
    # The prefix keeps its letter O; only the characters after it are read as base32.
    parts = folded.split(PREFIX)
    return PREFIX.join([parts[0], *(part.translate(_CONFUSABLES) for part in parts[1:])])

"""Certificate reference numbers: `VN-{importing party} {yy}/{issuer code}/{nnnnn}`.

Example `VN-KR 15/01/00009`. Sequences run per issuer and year and are gap-free. Sandbox
departments draw from a separate series whose printed sequence starts with `T` followed by
four digits (`VN-TH 26/01/T0001`), so a test certificate can never be mistaken for, or
collide with, a real one.

Every reference also has a URL- and key-safe spelling, its *slug* (`VN-KR-15-01-00009`),
used in verification URLs and S3 keys; `parse` accepts both spellings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.domain.errors import ValidationFailedError

EXPORTING_PARTY = "VN"
REAL_SEQUENCE_MAX = 99_999
TEST_SEQUENCE_MAX = 9_999

_PRINTED = re.compile(
    r"^VN-(?P<party>[A-Z]{2}) (?P<yy>\d{2})/(?P<issuer>[A-Z0-9]{2})/(?P<seq>\d{5}|T\d{4})$"
)
_SLUG = re.compile(
    r"^VN-(?P<party>[A-Z]{2})-(?P<yy>\d{2})-(?P<issuer>[A-Z0-9]{2})-(?P<seq>\d{5}|T\d{4})$"
)


@dataclass(frozen=True)
class ReferenceNumber:
    importing_party: str
    year: int
    issuer_code: str
    sequence: int
    test: bool = False

    def __str__(self) -> str:
        return f"VN-{self.importing_party} {self.year % 100:02d}/{self.issuer_code}/{self._seq()}"

    @property
    def slug(self) -> str:
        """The spelling safe in URL paths and object keys."""
        return f"VN-{self.importing_party}-{self.year % 100:02d}-{self.issuer_code}-{self._seq()}"

    def _seq(self) -> str:
        return f"T{self.sequence:04d}" if self.test else f"{self.sequence:05d}"


def format_reference(
    importing_party: str, year: int, issuer_code: str, sequence: int, *, test: bool = False
) -> ReferenceNumber:
    """Build a reference number, checking every group."""
    party, issuer = importing_party.upper(), issuer_code.upper()
    limit = TEST_SEQUENCE_MAX if test else REAL_SEQUENCE_MAX
    if not re.fullmatch(r"[A-Z]{2}", party) or party == EXPORTING_PARTY:
        raise ValidationFailedError(f"Importing party must be two letters, not {party!r}")
    if not re.fullmatch(r"[A-Z0-9]{2}", issuer):
        raise ValidationFailedError(f"Issuer code must be two letters or digits: {issuer!r}")
    if not 1 <= sequence <= limit:
        raise ValidationFailedError(f"Sequence {sequence} is outside 1..{limit}")
    return ReferenceNumber(party, year % 100, issuer, sequence, test)


def parse_reference(text: str) -> ReferenceNumber:
    """Read a printed reference or its slug; raises ValidationFailedError otherwise."""
    match = _PRINTED.match(text.strip()) or _SLUG.match(text.strip())
    if match is None:
        raise ValidationFailedError(f"Not a certificate reference number: {text[:40]!r}")
    seq = match["seq"]
    test = seq.startswith("T")
    return format_reference(
        match["party"], int(match["yy"]), match["issuer"], int(seq.lstrip("T")), test=test
    )


def is_valid_reference(text: str) -> bool:
    try:
        parse_reference(text)
    except ValidationFailedError:
        return False
    return True


def sequence_key(issuer_code: str, year: int, *, test: bool = False) -> str:
    """Partition key of the counter that numbers an issuer's certificates in a year."""
    prefix = "SEQ#TEST#" if test else "SEQ#"
    return f"{prefix}{issuer_code.upper()}#{year % 100:02d}"

"""Reading a rendered certificate back with pdfium: page text and the remark ticks drawn."""

from __future__ import annotations

import pypdfium2


def pages_text(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    return [page.get_textpage().get_text_range().replace("\r\n", "\n") for page in document]


def ticked(pdf: bytes, label: str) -> bool:
    """Whether an "X" is drawn in the tick box just left of `label` on the first page."""
    text = pypdfium2.PdfDocument(pdf)[0].get_textpage()
    found = text.search(label).get_next()
    assert found is not None, f"{label!r} is not printed"
    left, bottom, _, top = text.get_charbox(found[0])
    for index in range(text.count_chars()):
        if text.get_text_range(index, 1) != "X":
            continue
        x1, y1, x2, y2 = text.get_charbox(index)
        if left - 14 <= x1 and x2 <= left and y1 < top and y2 > bottom:
            return True
    return False

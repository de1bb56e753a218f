import pytest

from chalicelib.domain.notifications import NOTICES, notice_for


@pytest.mark.parametrize("event", sorted(NOTICES))
def test_every_notice_names_the_dossier_in_vietnamese_and_english(event: str) -> None:
    notice = notice_for(event, "d-42")

    vietnamese, english = notice.body.split("\n\n", 1)
    assert "d-42" in notice.subject
    assert "d-42" in vietnamese and "d-42" in english
    assert " / " in notice.subject


def test_an_unknown_event_is_not_silently_sent() -> None:
    with pytest.raises(KeyError):
        notice_for("archived", "d-42")


def test_the_fee_notice_reads_in_vietnamese_then_english() -> None:
    notice = notice_for("paid", "d-42")

    assert notice.subject == "Đã nhận phí C/O cho hồ sơ d-42 / Fee received for C/O dossier d-42"
    assert notice.body == (
        "Phí của hồ sơ d-42 đã được ghi nhận; hồ sơ đang chờ thẩm định.\n\n"
        "The fee for dossier d-42 was received; the dossier now waits for review.\n"
    )


@pytest.mark.parametrize("event", sorted(NOTICES))
def test_each_language_of_a_notice_is_written_in_that_language(event: str) -> None:
    notice = notice_for(event, "d-42")

    vietnamese, english = notice.body.strip().split("\n\n")
    assert any(ord(letter) > 127 for letter in vietnamese), vietnamese
    assert english.isascii(), english
    assert "dossier" in english.lower() or "c/o" in english.lower()

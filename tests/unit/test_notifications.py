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

"""Language detection on short leads, where one shared word must not tip the balance."""

from __future__ import annotations

import pytest

from bot.compose import detect_language


@pytest.mark.parametrize(("text", "lang"), [
    ("A fire broke out at a warehouse. Crews are at the scene.", "en"),
    ("A man was hurt.", "en"),
    ("Um homem foi ferido em uma casa perto do rio.", "pt"),
    ("Der Mann ist in der Stadt und die Polizei ist auch da.", "de"),
    ("Рада ухвалила закон про бюджет. Його підтримали 250 депутатів.", "uk"),
    ("Госдума приняла закон о бюджете. Его поддержали депутаты.", "ru"),
])
def test_short_leads_get_their_language(text: str, lang: str) -> None:
    """A short English lead with the article "a" is English, not Portuguese; others hold."""
    assert detect_language(text) == lang

"""Cleaning bodies, splitting sentences and detecting the language."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.compose import ComposeOptions, compose, detect_language, plain_text
from bot.compose.clean import clean_blocks, clean_text
from bot.compose.sentences import split_sentences
from bot.domain.models import ArticleDraft, Platform

ARTICLES = Path(__file__).parent / "articles"
BOILERPLATE = [
    "Follow us",
    "Scroll down",
    "PUBLISHED",
    "UPDATED",
    "Read more:",
    "Advertisement",
    "newsletter",
    "Share this",
    "Related:",
    "See also",
    "Photo:",
    "Getty",
    "By Jane",
    "By . Tom",
    "Читайте також",
    "Підписуйтесь",
    "Фото:",
    "Автор",
    "trackPageView",
    "Follow us on Facebook",
]


@pytest.mark.parametrize("name", sorted(p.name for p in ARTICLES.iterdir()))
@pytest.mark.parametrize("platform", list(Platform))
def test_no_boilerplate_reaches_any_summary(name: str, platform: Platform) -> None:
    """No boilerplate line of a hand-written test article survives into the composed post."""
    body = (ARTICLES / name).read_text(encoding="utf-8")
    story = ArticleDraft(url="https://news.example.com/s/1", title="Headline", text=body)
    for summary_chars in (None, 2000):
        post = compose(story, ComposeOptions(platform, summary_chars=summary_chars))
        text = " ".join(plain_text(p) for p in post.parts)
        for phrase in BOILERPLATE:
            assert phrase not in text, (name, phrase, text)


def test_cleaning_keeps_the_news() -> None:
    """The cleaned flattened article keeps every news sentence and drops stamps and prompts."""
    text = clean_text((ARTICLES / "boilerplate_flat.txt").read_text(encoding="utf-8"))
    assert text.startswith("A rescue team freed a sheep")
    assert "The animal was lowered to a waiting boat" in text
    assert "The farmer thanked the volunteers" in text


def test_html_headings_and_entities() -> None:
    """HTML loses scripts, figures and tags; headings are marked; entities are decoded."""
    blocks = clean_blocks((ARTICLES / "markup.html").read_text(encoding="utf-8"))
    headings = [b.text for b in blocks if b.heading]
    assert headings == ["Storm closes the coastal road", "Repairs under way"]
    body = " ".join(b.text for b in blocks)
    assert "both lanes & power lines" in body
    assert "<" not in body and "trackPageView" not in body


def test_short_unpunctuated_lines_are_subheadings() -> None:
    """A short line without final punctuation before a paragraph is a subheading."""
    blocks = clean_blocks("First paragraph here.\nWhat happens next\nThe plan goes ahead.")
    assert [b.heading for b in blocks] == [False, True, False]


def test_markdown_links_and_emphasis_become_text() -> None:
    """Markdown links keep their text, emphasis markers go, images vanish."""
    text = clean_text("The **mayor** said [the plan](https://x.org/p) works. ![pic](a.png)")
    assert text == "The mayor said the plan works."


def test_zero_width_and_odd_spaces_are_normalised() -> None:
    """Zero-width spaces and no-break spaces are cleaned; joiners inside emoji stay."""
    assert clean_text("a\u200bb\u00a0c  d 👩\u200d🚀") == "ab c d 👩\u200d🚀"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith went to Washington. He met Dr. Jones at 5 p.m. on Friday.",
            ["Mr. Smith went to Washington.", "He met Dr. Jones at 5 p.m. on Friday."],
        ),
        (
            "The U.S. economy grew 2.5% in May. Prices rose by $3.50 a gallon.",
            ["The U.S. economy grew 2.5% in May.", "Prices rose by $3.50 a gallon."],
        ),
        (
            "She lives in the U.S. The move was hard.",
            ["She lives in the U.S.", "The move was hard."],
        ),
        (
            "J. K. Rowling wrote it. It sold well.",
            ["J. K. Rowling wrote it.", "It sold well."],
        ),
        (
            "He lives at No. 5 Main St. near the park. It is quiet.",
            ["He lives at No. 5 Main St. near the park.", "It is quiet."],
        ),
        (
            '"Is it over?" she asked. "Yes," he said. "It is over."',
            ['"Is it over?" she asked.', '"Yes," he said.', '"It is over."'],
        ),
        (
            "He said: ‘I told them “stop.” They refused.’ Then he left.",
            ["He said: ‘I told them “stop.”", "They refused.’", "Then he left."],
        ),
        (
            "Wait... what happened? Nobody knows… Then rain.",
            ["Wait... what happened?", "Nobody knows…", "Then rain."],
        ),
        (
            "Засідання відбулося 5 вер. 2026 р. на вул. Хрещатик. Мер Т. Шевченко виступив.",
            ["Засідання відбулося 5 вер. 2026 р. на вул. Хрещатик.", "Мер Т. Шевченко виступив."],
        ),
        (
            "Цены выросли на 3,5 млн. руб. в т. ч. налоги. Это много.",
            ["Цены выросли на 3,5 млн. руб. в т. ч. налоги.", "Это много."],
        ),
        ("天气很好。我们去公园！", ["天气很好。", "我们去公园！"]),
        ("- First item of the list", ["First item of the list"]),
    ],
)
def test_sentence_splitting(text: str, expected: list[str]) -> None:
    """Abbreviations, initials, decimals, money, quotes, ellipses, Cyrillic and CJK split right."""
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The council voted on Tuesday to build the new bridge over the river.", "en"),
        ("Київська міська рада ухвалила бюджет, і депутати підтримали рішення.", "uk"),
        ("Московская городская дума приняла бюджет, и депутаты поддержали решение.", "ru"),
        ("Der Stadtrat hat die neue Brücke über den Fluss genehmigt, und die Bürger sind froh.", "de"),
        ("天气很好，我们去公园。", "zh"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    """English, Ukrainian, Russian and a few others are told apart offline."""
    assert detect_language(text) == lang

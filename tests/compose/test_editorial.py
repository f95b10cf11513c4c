"""Editorial rules: segmentation, quotation units, the check, hard cases and properties."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.compose import ComposeOptions, compose, plain_text
from bot.compose.clean import Block, clean_text, normalize
from bot.compose.editorial import check_post, leaning_word
from bot.compose.quotes import balanced
from bot.compose.sentences import split_blocks, split_sentences
from bot.domain.models import ArticleDraft, Platform

HARD = Path(__file__).parent / "hard_cases"
CASES = sorted(p.stem for p in HARD.glob("*.txt"))
URL = "https://news.example.com/2026/04/15/story"
OPTIONS = [
    ComposeOptions(Platform.X),
    ComposeOptions(Platform.TELEGRAM),
    ComposeOptions(Platform.TELEGRAM, summary_chars=2000),
    ComposeOptions(Platform.TELEGRAM, photo=True, summary_chars=1500),
    ComposeOptions(Platform.X, max_length=140),
]


def case(name: str) -> tuple[str, str]:
    """The headline and body of a hard case."""
    title, _, body = (HARD / f"{name}.txt").read_text(encoding="utf-8").partition("\n\n")
    return title, body


def posts(title: str, body: str, options: ComposeOptions) -> list[str]:
    """Every part of the composed post, as plain text."""
    post = compose(
        ArticleDraft(url=URL, title=title, text=body, image_url="https://i.example.com/1.jpg"), options
    )
    return [plain_text(p) if post.platform == Platform.TELEGRAM else p for p in post.parts]


def warnings(title: str, body: str, options: ComposeOptions) -> list[str]:
    """The editorial warnings of every part, checked against the cleaned article."""
    article = clean_text(body)
    return [str(w) for part in posts(title, body, options) for w in check_post(part, article, title=title)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "It was signed by former U.S. President Joe Biden. He left.",
            ["It was signed by former U.S. President Joe Biden.", "He left."],
        ),
        (
            "He moved to the U.S. The move was a surprise.",
            ["He moved to the U.S.", "The move was a surprise."],
        ),
        ("The U.K. Foreign Office said so.", ["The U.K. Foreign Office said so."]),
        ("Gov. Ann Lee and Sen. Bo Kim met Gen. Al Roe.", ["Gov. Ann Lee and Sen. Bo Kim met Gen. Al Roe."]),
        (
            "Dr. Smith lives on St. Mark's Road. She is 90.",
            ["Dr. Smith lives on St. Mark's Road.", "She is 90."],
        ),
        ("He spoke at No. 10 on Monday.", ["He spoke at No. 10 on Monday."]),
        ("The answer was no. Then he left.", ["The answer was no.", "Then he left."]),
        ("J. K. Rowling wrote it.", ["J. K. Rowling wrote it."]),
        ("It opens on Jan. 12 in Leeds.", ["It opens on Jan. 12 in Leeds."]),
        ("Apple Inc. The company said so.", ["Apple Inc.", "The company said so."]),
        ("Apple Inc. Chief Executive Tim Cook spoke.", ["Apple Inc. Chief Executive Tim Cook spoke."]),
        ("Growth was 3.5% at 10.30 a.m. on Friday.", ["Growth was 3.5% at 10.30 a.m. on Friday."]),
        (
            "It starts at 10:30 a.m. The doors open early.",
            ["It starts at 10:30 a.m.", "The doors open early."],
        ),
        (
            "See www.example.org/a.b for more. Or mail a.b@example.org now.",
            ["See www.example.org/a.b for more.", "Or mail a.b@example.org now."],
        ),
        ("Wait... it worked. Then... Nothing.", ["Wait... it worked.", "Then...", "Nothing."]),
        ("Він живе на вул. Шевченка, 5. Вона теж.", ["Він живе на вул. Шевченка, 5.", "Вона теж."]),
        ("Це сталося в м. Києві у 2023 р. Він поїхав.", ["Це сталося в м. Києві у 2023 р.", "Він поїхав."]),
        ("Це ст. Підзамче, депо і т. д. Але ні.", ["Це ст. Підзамче, депо і т. д.", "Але ні."]),
    ],
)
def test_segmentation(text: str, expected: list[str]) -> None:
    """Abbreviations, initials, decimals, times, links and ellipses split where an editor would."""
    assert split_sentences(text) == expected


def test_quotation_of_several_sentences_is_one_unit() -> None:
    """A quotation over several sentences, and over paragraphs in newspaper style, is one unit."""
    blocks = [
        Block("The mayor spoke. “We will rebuild. We will not stop."),
        Block("“This is our home,” she said. Work starts in May."),
    ]
    texts = [s.text for s in split_blocks(blocks)]
    assert texts == [
        "The mayor spoke.",
        "“We will rebuild. We will not stop. “This is our home,” she said.",
        "Work starts in May.",
    ]
    assert all(s.whole for s in split_blocks(blocks))


def test_a_quotation_that_never_closes_is_not_whole() -> None:
    """A quote mark left open with no paragraph re-opening it marks the unit as not whole."""
    units = split_blocks([Block("“We will rebuild. We will not stop."), Block("Work starts in May.")])
    assert [(s.text, s.whole) for s in units] == [
        ("“We will rebuild. We will not stop.", False),
        ("Work starts in May.", True),
    ]


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("“A,” he said.", True),
        ("«Він сказав: „Ні“», – написала вона.", True),
        ('He said: "No (never)."', True),
        ("Our support is unwavering,” he emphasized.", False),
        ("(It was late.", False),
        ("«Ні, – сказав він.", False),
    ],
)
def test_balanced(text: str, ok: bool) -> None:
    """Quote marks of English, Ukrainian and Russian style and brackets balance, or not."""
    assert balanced(text) is ok


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("He said the plan was dead. Talks ended.", "leaning-opener"),
        ("However, the council voted no.", "leaning-opener"),
        ("Meanwhile, prices rose.", "leaning-opener"),
        ("Але рада проголосувала проти.", "leaning-opener"),
        ("“We will not stop,” she said.", "leaning-opener"),
        ("“We will not stop. Never.”", "quote-without-speaker"),
        ("Our support is unwavering,” he emphasized.", "unbalanced-marks"),
        ("The deal was led by former Gov.", "ends-at-abbreviation"),
    ],
)
def test_check_finds_each_rule(text: str, rule: str) -> None:
    """Each rule is reported with the sentence that breaks it."""
    found = check_post(text)
    assert rule in {w.rule for w in found}, found
    assert all(w.sentence for w in found)


@pytest.mark.parametrize(
    "text",
    [
        "The council voted 7-2 on Tuesday. No one was injured.",
        "This year's budget passed. It includes new schools.",
        "Mayor Ann Lee said: “We will rebuild.”",
        "“We will rebuild,” Mayor Ann Lee said. She spoke at noon.",
        "Headline without a stop\n\nThe council voted on Tuesday.\n\nRead more",
        "Prices rose 3.5% in the U.S. https://example.com/a #economy",
    ],
)
def test_check_passes_what_an_editor_signs(text: str) -> None:
    """Posts that keep every rule get no warning."""
    assert check_post(text) == []


def test_check_against_the_article() -> None:
    """With the article, a cut at an abbreviation, a glued heading and a cut sentence are found."""
    article = (
        "The deal was led by former U.S. President Joe Biden.\n\nKey facts about the deal\n\n"
        "Talks went on for days."
    )
    rules = {w.rule for w in check_post("The deal was led by former U.S.", article)}
    assert rules == {"ends-at-abbreviation"}
    glued = check_post("Key facts about the deal Talks went on for days.", article)
    assert {w.rule for w in glued} == {"glued-fragment"}
    cut = check_post("The deal was led by former…", article)
    assert {w.rule for w in cut} == {"cut-sentence"}
    assert check_post("The deal was led by former U.S. President Joe Biden.", article) == []


def test_leaning_word_skips_time_phrases() -> None:
    """``This year`` stands alone; ``This`` alone does not; ``As a result`` leans."""
    assert leaning_word("This year's harvest was poor.") is None
    assert leaning_word("This was the worst harvest.") == "This"
    assert leaning_word("As a result, prices rose.") == "As a result"
    assert leaning_word("As expected, prices rose.") is None


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize(
    "options", OPTIONS, ids=lambda o: f"{o.platform}-{o.summary_chars}-{o.photo}-{o.max_length}"
)
def test_hard_cases_pass_the_check(name: str, options: ComposeOptions) -> None:
    """Every post of every hard case passes the editorial check against its article."""
    title, body = case(name)
    assert warnings(title, body, options) == []


@pytest.mark.parametrize("name", CASES)
def test_hard_cases_keep_boilerplate_out(name: str) -> None:
    """Bylines, captions, credits, cross-links, follow prompts, stamps and notes stay out."""
    title, body = case(name)
    for options in OPTIONS:
        text = " ".join(posts(title, body, options))
        for phrase in (
            "By Olena",
            "Read:",
            "Follow us",
            "Photo:",
            "Image caption",
            "Correction",
            "(pictured)",
            "10:42",
            "Updated 11:05",
            "(Reuters) -",
            "Reporting by",
            "Q:",
            "A:",
            "KYIV,",
            "WARSAW",
        ):
            assert phrase not in text, (name, phrase, text)


def test_the_fire_story_gets_posts_an_editor_signs() -> None:
    """A lead with ``U.S. President`` mid-sentence, a two-sentence quote, "No one was injured."."""
    title, body = case("fire_envoy")
    lead = (
        "A fire destroyed a warehouse holding humanitarian aid on the outskirts of Kyiv early on "
        "Tuesday, hours before a visit by the envoy of U.S. President Daniel Harlow, city officials said."
    )
    (x,) = posts(title, body, ComposeOptions(Platform.X))
    assert x == f"{lead} No one was injured. {URL}"
    (tg,) = posts(title, body, ComposeOptions(Platform.TELEGRAM))
    assert tg.split("\n\n")[1] == (
        f"{lead} No one was injured. Harlow's envoy, retired Gen. Thomas Avery, said the visit "
        "would go ahead as planned."
    )
    long_tg = " ".join(posts(title, body, ComposeOptions(Platform.TELEGRAM, summary_chars=2000)))
    quote = '"We came here to show that help keeps coming. Our support is unwavering," he emphasized.'
    assert quote in long_tg
    assert long_tg.index("Harlow's envoy, retired Gen.") < long_tg.index(quote)
    for headline in ("Fire in Kyiv", "U.S. envoy's visit goes ahead", ""):
        for options in OPTIONS:
            assert warnings(headline, body, options) == []
            assert "Our support is unwavering" not in " ".join(posts(headline, body, options)).replace(
                quote, ""
            )


def test_a_newspaper_style_quotation_is_taken_whole_or_not_at_all() -> None:
    """The quotation that runs over two paragraphs appears whole, after its speaker, or not at all."""
    title, body = case("newspaper_quote")
    start, end = '"This town has been flooded', 'before the next winter," she said.'
    for chars in (300, 600, 1000, 2000):
        text = " ".join(posts(title, body, ComposeOptions(Platform.TELEGRAM, summary_chars=chars)))
        assert (start in text) == (end in text), text
        if start in text:
            assert "Mayor Alice Brennan" in text.split(start)[0]


def test_a_question_lead_is_not_the_x_post() -> None:
    """When the lead asks a question, the X post states the news that answers it."""
    title, body = case("question_lead")
    (x,) = posts(title, body, ComposeOptions(Platform.X))
    assert x.startswith("Prices fell for a third month in a row in October")
    assert "?" not in x


def test_leaning_sentences_come_only_after_what_they_lean_on() -> None:
    """``It …``, ``However …`` and ``They …`` appear only right after the sentence before them."""
    title, body = case("leaning_sentences")
    sentences = [s.text for s in split_blocks([Block(p) for p in body.split("\n\n")])]
    for options in OPTIONS:
        for part in posts(title, body, options):
            chosen = [s for s in sentences if s in part]
            for s in chosen:
                if leaning_word(s) is not None:
                    before = sentences[sentences.index(s) - 1]
                    assert before in part and part.index(before) < part.index(s), (s, part)


SENTENCES = [
    "The council voted 7-2 on Tuesday to close the bridge.",
    "No one was injured.",
    "He said the decision was final.",
    "But residents disagreed.",
    "However, the mayor refused to comment.",
    "It was the third vote this year.",
    "“We will appeal. We have the votes,” said Ann Lee, a resident.",
    "“This is a disaster.”",
    "“We will not stop.",
    "The plan cost $3.5m, former U.S. President Bill Ray said.",
    "They left at 10:30 a.m. The police arrived.",
    "Key facts",
    "- the bridge closes in May",
    "Is this the end?",
    "Q: Why now?",
    "A: Because the money ran out.",
    "«Ми не зупинимося», – сказав він.",
    "Рада ухвалила рішення у 2023 р. Він пішов.",
    "(Reporting by Jo Bell; Editing by Al Fox)",
    "Photo: Jo Bell/Reuters",
    "Read: the bridge in pictures",
    "Gov. Ann Lee spoke at No. 10 on Jan. 12.",
    "(The bridge opened in 1901.",
    "Our support is unwavering,” he emphasized.",
]
bodies = st.lists(
    st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=4).map(" ".join), min_size=1, max_size=8
).map("\n\n".join)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# A story with no headline at all may, as a last resort, open its X post with a leaning sentence
# (better than a bare link); see test_without_a_headline_a_leaning_sentence_beats_a_bare_link.
headlines = st.text(max_size=200).filter(lambda h: bool(normalize(h).split()))


@PROPERTY
@given(headlines, st.sampled_from(CASES), st.sampled_from(OPTIONS))
def test_any_headline_gives_posts_that_keep_the_rules(
    headline: str, name: str, options: ComposeOptions
) -> None:
    """For any headline, every post of every hard case keeps every editorial rule."""
    _, body = case(name)
    assert warnings(headline, body, options) == []


@PROPERTY
@given(st.sampled_from(["Bridge to close", "He said: no.", "“Quoted"]), bodies, st.sampled_from(OPTIONS))
def test_any_mix_of_hard_sentences_gives_posts_that_keep_the_rules(
    headline: str, body: str, options: ComposeOptions
) -> None:
    """Whatever mix of leaning, quoted, cut and labelled sentences a body has, posts keep the rules."""
    assert warnings(headline, body, options) == []


def test_without_a_headline_a_leaning_sentence_beats_a_bare_link() -> None:
    """With no headline and only leaning sentences, X gets the best of them; with one, the headline."""
    body = "He said the decision was final. But residents disagreed."
    (bare,) = posts("", body, ComposeOptions(Platform.X))
    assert bare == f"He said the decision was final. {URL}"
    (titled,) = posts("Bridge to close", body, ComposeOptions(Platform.X))
    assert titled == f"Bridge to close {URL}"

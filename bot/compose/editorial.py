"""The editorial check: what an editor would send back in a post, rule by rule.

Every post the composer makes passes it; ``crosspost preview`` runs it on every post, so staff see
the same warnings for posts they write by hand or through templates. Rules:

- ``leaning-opener``: the post opens with a sentence that leans on one before it (a pronoun whose
  person is not named yet, ``But``, ``However``, ``Also``, ``Meanwhile`` …, or a quotation whose
  speaker is only ``he`` or ``she``).
- ``quote-without-speaker``: a quotation whose speaker is neither in its sentence nor in the one
  before (``said``, ``told``, ``according to``, a colon before the quote …).
- ``unbalanced-marks``: a quote mark or bracket that is never closed, or closed without opening.
- ``ends-at-abbreviation``: a paragraph ends at a title (``Gov.``, ``Dr.``, ``St.``), or, given the
  article, at an abbreviation where the article's sentence goes on (``… former U.S.``).
- ``glued-fragment`` (given the article): a line the article leaves without end punctuation (a
  heading, a caption, a list item) runs into a sentence that does not follow it in the article.
- ``cut-sentence`` (given the article): a sentence cut short with ``…`` where the article's goes on.

The helpers below (``leaning_word``, ``attributed``, ``quotation``, ``ends_sentence``) are what the
summarizer uses to pick sentences, so the check and the choice never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.compose.clean import Block, normalize
from bot.compose.sentences import MAY_END, TITLES, Sentence, split_blocks, split_sentences
from bot.compose.wordlists import words

__all__ = [
    "RULES",
    "EditorialWarning",
    "attributed",
    "check_post",
    "ends_sentence",
    "leaning_word",
    "pronoun_speaker",
    "quotation",
    "speaker",
]

RULES = {
    "leaning-opener": "opens with a sentence that leans on one before it",
    "quote-without-speaker": "a quotation without its speaker",
    "unbalanced-marks": "a quote mark or bracket is not closed (or not opened)",
    "ends-at-abbreviation": "ends at an abbreviation, inside a sentence",
    "glued-fragment": "a line without end punctuation runs into the next sentence",
    "cut-sentence": "a sentence is cut short",
}


@dataclass(frozen=True)
class EditorialWarning:
    """One broken rule and the sentence that breaks it."""

    rule: str
    sentence: str

    def __str__(self) -> str:
        return f"{self.rule}: {RULES[self.rule]}: {self.sentence}"


# First words that lean on a previous sentence (lowercase).
_LEANING = words(
    """he she it they them him his her its their theirs this that these those such
    but however also meanwhile and or nor so yet still instead moreover furthermore besides
    nevertheless nonetheless therefore thus hence then otherwise likewise similarly indeed
    additionally consequently accordingly later afterwards another others
    він вона воно вони його її їх їхній їхня їхні це цей ця ці той та те ті але проте однак
    утім втім також тому отже водночас натомість згодом
    он она оно они его ее её их это этот эта эти тот та то те но однако впрочем также поэтому
    итак зато причем притом позже"""
)
# Words after "This"/"That"/"Це" … that make the phrase stand alone ("This year", "Цього тижня").
_TIME_NOUNS = words(
    """year week month morning afternoon evening weekend summer spring autumn fall winter season
    century decade року тижня місяця рік тиждень місяць года недели месяца год неделя месяц"""
)
# Two-word openers that lean ("In addition", "As a result", "On Tuesday" does not).
_LEANING_PAIRS = frozenset(
    {
        ("in", "addition"),
        ("as", "a"),
        ("on", "the"),
        ("at", "the"),
        ("the", "move"),
        ("the", "latter"),
        ("the", "former"),
        ("the", "same"),
        ("despite", "this"),
        ("despite", "that"),
        ("after", "that"),
        ("тим", "часом"),
        ("крім", "того"),
        ("тем", "временем"),
        ("кроме", "того"),
        ("при", "этом"),
        ("при", "цьому"),
    }
)
_PAIR_FIRSTS = frozenset(first for first, _ in _LEANING_PAIRS)
# Every opening word (as written, with or without a comma) that may start a leaning opener.
LEANING_FIRSTS = frozenset(
    form
    for word in _LEANING | _PAIR_FIRSTS
    for cased in (word, word.capitalize(), word.upper())
    for form in (cased, cased + ",")
)
_PAIR_THIRD = {("as", "a"): "result", ("on", "the"): "other", ("at", "the"): "same"}
_OPENING = re.compile(r"([^\W\d_][\w'’-]*)(?:,?\s+([^\W\d_][\w'’-]*))?(?:\s+([^\W\d_][\w'’-]*))?")

# Words that name a quotation's speaker.
_ATTRIBUTION = words(
    """said says say told tells according added adds explained explains claimed claims insisted
    insists admitted admits warned warns stated states asked asks wrote writes tweeted posted
    announced announces noted notes stressed stresses emphasized emphasised urged urges argued
    argues replied replies continued declared declares acknowledged recalled quoted saying
    telling adding concluded concludes confirmed confirms described describes
    сказав сказала сказали каже кажуть заявив заявила заявили зазначив зазначила зазначили
    повідомив повідомила повідомили додав додала написав написала наголосив наголосила
    пояснив пояснила підкреслив підкреслила розповів розповіла слова словами
    сказал сказала сказали говорит заявил заявила заявили отметил отметила сообщил сообщила
    сообщили добавил добавила написал написала подчеркнул подчеркнула пояснил пояснила
    рассказал рассказала словам"""
)
_WORD = re.compile(r"[^\W\d_]+")
# Pronouns that name no one: a quotation they attribute leans on the sentence before it.
_PRONOUNS = words("he she they він вона вони он она они")
_QUOTE_CHAR = re.compile(r"[“„«\"]")
_QUOTED = re.compile(r"[“„«\"][^“”„«»\"]*[”“»\"]")
_QUOTE_START = re.compile(r"^[—–-]?\s*[“„«\"]")
_QUOTED_SPAN = re.compile(r"[“„«\"]([^“”„«»\"]+)[”“»\"]")
_COLON_QUOTE = re.compile(r":\s*[“„«\"]")
_CLOSING = "\"'”’»)]"
_END = ".!?…。！？"
_URLISH = re.compile(r"^(?:https?://\S+|www\.\S+|#\w+|\S+\.\w{2,}/\S*)$")


def leaning_word(text: str) -> str | None:
    """The opening word(s) of ``text`` that lean on a sentence before it, or ``None``."""
    if text[: text.find(" ")] not in LEANING_FIRSTS and text not in LEANING_FIRSTS:
        return None  # the usual case, without the regex
    m = _OPENING.match(text)
    if m is None:
        return None
    first = m.group(1).lower()
    second = (m.group(2) or "").lower().removesuffix("'s").removesuffix("’s")
    if first in _LEANING:
        if second in _TIME_NOUNS:
            return None
        return m.group(1)
    pair = (first, second)
    if pair in _LEANING_PAIRS:
        third = _PAIR_THIRD.get(pair)
        if third is None or (m.group(3) or "").lower() == third:
            return m.group(0)
    return None


def attributed(text: str) -> bool:
    """Whether ``text`` names a speaker (``said``, ``told``, ``according to``, ``X: “…”``)."""
    return speaker(text) != ""


def pronoun_speaker(text: str) -> bool:
    """Whether the speaker ``text`` names outside its quotes is only a pronoun (``… ,” he said.``)."""
    return speaker(text) == "pronoun"


def speaker(text: str) -> str:
    """How ``text`` names who speaks, outside its quotes: ``""`` (it does not), ``"pronoun"``
    (``he said``: the person is named elsewhere) or ``"named"``."""
    outside = _QUOTED.sub(" ", text) if _QUOTE_CHAR.search(text) else text
    found = set(_WORD.findall(outside.lower()))
    if _ATTRIBUTION.isdisjoint(found) and _COLON_QUOTE.search(text) is None:
        return ""
    return "named" if _PRONOUNS.isdisjoint(found) else "pronoun"


def quotation(text: str) -> bool:
    """Whether ``text`` quotes someone: it opens with a quote mark, or quotes five words or more."""
    if _QUOTE_START.match(text):
        return True
    return any(len(m.group(1).split()) >= 5 for m in _QUOTED_SPAN.finditer(text))


def ends_sentence(text: str) -> bool:
    """Whether ``text`` ends with end punctuation (closing quotes and brackets may follow)."""
    return text.rstrip(_CLOSING)[-1:] in _END


def _last_word(text: str) -> str:
    return text.rsplit(None, 1)[-1] if text.strip() else ""


def _ends_at_title(text: str) -> bool:
    word = _last_word(text)
    return word.endswith(".") and word[:-1].lstrip("(“„«\"").lower() in TITLES


_DOTTED = re.compile(r"(?:[^\W\d_]{1,3}\.){2,}")


def _abbreviation(word: str) -> bool:
    """``U.S.``-like (letters and periods) or a title."""
    bare = word.lstrip("(“„«\"")
    if not word.endswith("."):
        return False
    return _DOTTED.fullmatch(bare) is not None or bare[:-1].lower() in TITLES | MAY_END


def _strip_links(paragraph: str) -> str:
    """The paragraph without the links and hashtags that end it."""
    parts = paragraph.split()
    while parts and _URLISH.match(parts[-1]):
        parts.pop()
    return " ".join(parts)


def check_post(text: str, article: str | None = None, title: str | None = None) -> list[EditorialWarning]:
    """Every editorial rule ``text`` (a post as plain text) breaks, with the sentence.

    Paragraphs are separated by blank lines; links and hashtags that end a paragraph are ignored,
    and so is the headline (``title``, whole or cut short), which is not held to these rules.
    With ``article`` (the story's body, as plain text), the rules that need the source run too.
    """
    heading = " ".join(normalize(title).split()) if title else ""
    paragraphs = [
        p
        for p in (_strip_links(" ".join(x.split())) for x in text.split("\n\n"))
        if p and not (heading and _is_heading(p, heading))
    ]
    units = split_blocks([Block(p) for p in paragraphs])
    out: list[EditorialWarning] = []
    by_par: dict[int, list[Sentence]] = {}
    for u in units:
        by_par.setdefault(u.paragraph, []).append(u)
    opener_checked = False
    for _, par_units in sorted(by_par.items()):
        prose = ends_sentence(par_units[-1].text)
        if prose and not opener_checked:
            opener_checked = True
            first = par_units[0].text
            if leaning_word(first) is not None or (quotation(first) and pronoun_speaker(first)):
                out.append(EditorialWarning("leaning-opener", par_units[0].text))
        for i, u in enumerate(par_units):
            if not u.whole:
                out.append(EditorialWarning("unbalanced-marks", u.text))
            if quotation(u.text) and not attributed(u.text):  # speaker outside the quotes
                before = par_units[i - 1].text if i else ""
                if not (before and (attributed(before) or before.rstrip().endswith(":"))):
                    out.append(EditorialWarning("quote-without-speaker", u.text))
        last = par_units[-1].text
        if _ends_at_title(last):
            out.append(EditorialWarning("ends-at-abbreviation", last))
    if article is not None:
        out.extend(_against_article(paragraphs, units, article))
    return out


def _against_article(
    paragraphs: list[str], units: list[Sentence], article: str
) -> list[EditorialWarning]:
    """The rules that compare the post with its article."""
    out: list[EditorialWarning] = []
    flat = "\n".join(" ".join(line.split()) for line in article.split("\n"))
    for par in paragraphs:
        word = _last_word(par)
        if _abbreviation(word) and not _ends_at_title(par):
            at = flat.find(par[-60:])
            rest = flat[at + len(par[-60:]) :] if at >= 0 else ""
            if at >= 0 and rest[:1] == " " and rest[1:2].isalpha() and not _starts_sentence(word, rest):
                out.append(EditorialWarning("ends-at-abbreviation", par))
    lines = {" ".join(x.split()) for x in article.split("\n")}
    joined = "\n".join(paragraphs)
    for line in lines:
        if len(line) < 12 or ends_sentence(line):
            continue
        at = joined.find(line + " ")
        while at >= 0:
            before = joined[:at].rstrip(" ")
            if not before or before[-1] == "\n" or ends_sentence(before):
                nxt = joined[at + len(line) + 1 :].split("\n", 1)[0]
                fragment = split_sentences(line)[-1]  # the article's own words run on?
                if nxt and not _URLISH.match(nxt.split()[0]) and f"{fragment} {nxt[:30]}" not in flat:
                    out.append(EditorialWarning("glued-fragment", _around(joined, at, line)))
                    break
            at = joined.find(line + " ", at + 1)
    for u in units:
        for piece in u.text.split("… ") + ([u.text] if u.text.endswith("…") else []):
            head = piece[:-1].rstrip()
            if piece.endswith("…") and head and head in flat and piece not in flat:
                out.append(EditorialWarning("cut-sentence", u.text))
                break
    return out


def _is_heading(paragraph: str, heading: str) -> bool:
    """Whether ``paragraph`` is the headline, or the headline cut short with an ellipsis."""
    if paragraph == heading:
        return True
    cut = paragraph.removesuffix("…").rstrip()
    return paragraph.endswith("…") and bool(cut) and heading.startswith(cut)


def _starts_sentence(word: str, rest: str) -> bool:
    """Whether the article's text after the abbreviation ``word`` starts a new sentence."""
    return split_sentences(f"x {word}{rest[:40]}", limit=1) == [f"x {word}"]


def _around(text: str, at: int, tail: str) -> str:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at + len(tail))
    return text[start : end if end >= 0 else len(text)]

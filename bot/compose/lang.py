"""Language detection by script, distinctive letters and common words; offline and instant."""

from __future__ import annotations

import re

from bot.compose.wordlists import words

__all__ = ["detect_language"]

_WORD = re.compile(r"[^\W\d_]+")
_UK_LETTERS = frozenset("іїєґ")
_RU_LETTERS = frozenset("ыэъё")
_UK_WORDS = words("і та що як це він вона але від до про для які який яка також було")
_RU_WORDS = words("и что как это он она но от до про для которые который также было")
_LATIN_WORDS = {
    "en": words("the and of to in is was that for with on said by from has have a an at are "
                "be it its this were will after out who not"),
    "de": words("der die das und ist nicht mit von den sich auch ein eine zu für"),
    "fr": words("le la les et est des une dans pour que qui sur pas avec du au"),
    "es": words("el la los las y es que en del una por con para se su al"),
    "it": words("il lo la gli e che di per con una del della sono non si al"),
    "pt": words("o a os as e que de do da em um uma para com não por se"),
    "pl": words("i w na że się nie z do jest to jak o po przez oraz"),
}


def _script_counts(text: str) -> dict[str, int]:
    counts = {
        "latin": 0,
        "cyrillic": 0,
        "arabic": 0,
        "hebrew": 0,
        "greek": 0,
        "han": 0,
        "kana": 0,
        "hangul": 0,
        "devanagari": 0,
        "thai": 0,
    }
    for ch in text:
        cp = ord(ch)
        if cp < 0x250:
            if ch.isalpha():
                counts["latin"] += 1
        elif 0x400 <= cp < 0x530:
            counts["cyrillic"] += 1
        elif 0x600 <= cp < 0x700 or 0xFB50 <= cp < 0xFE00:
            counts["arabic"] += 1
        elif 0x590 <= cp < 0x600:
            counts["hebrew"] += 1
        elif 0x370 <= cp < 0x400:
            counts["greek"] += 1
        elif 0x3040 <= cp < 0x3100:
            counts["kana"] += 1
        elif 0x4E00 <= cp < 0xA000 or 0x3400 <= cp < 0x4DC0:
            counts["han"] += 1
        elif 0xAC00 <= cp < 0xD7B0:
            counts["hangul"] += 1
        elif 0x900 <= cp < 0x980:
            counts["devanagari"] += 1
        elif 0xE00 <= cp < 0xE80:
            counts["thai"] += 1
    return counts


def detect_language(text: str) -> str:
    """Best-guess ISO 639-1 code of ``text`` (en, uk, ru, de, fr, es, …); ``en`` when unsure."""
    sample = text[:4000].lower()
    counts = _script_counts(sample)
    script = max(counts, key=lambda k: counts[k])
    if counts[script] == 0:
        return "en"
    if script == "cyrillic":
        uk = sum(1 for ch in sample if ch in _UK_LETTERS)
        ru = sum(1 for ch in sample if ch in _RU_LETTERS)
        words = _WORD.findall(sample)
        uk += sum(1 for w in words if w in _UK_WORDS)
        ru += sum(1 for w in words if w in _RU_WORDS)
        return "uk" if uk > ru else "ru"
    if script == "latin":
        words = _WORD.findall(sample)
        scores = {lang: sum(1 for w in words if w in vocab) for lang, vocab in _LATIN_WORDS.items()}
        best = max(scores, key=lambda k: scores[k])
        if scores[best] == 0 or scores["en"] == scores[best]:
            return "en"  # a tie goes to English, the most common language of short leads
        return best
    if script == "han":
        return "ja" if counts["kana"] else "zh"
    return {
        "arabic": "ar",
        "hebrew": "he",
        "greek": "el",
        "kana": "ja",
        "hangul": "ko",
        "devanagari": "hi",
        "thai": "th",
    }[script]

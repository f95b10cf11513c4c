"""X's weighted text length for the fake server: the project's counter when it exists."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable


def fallback_length_nfc_len(text: str) -> int:
    """Stand-in counter (plain NFC code points) used only while ``bot.compose`` lacks one."""
    return len(unicodedata.normalize("NFC", text))


def _counter() -> Callable[[str], int]:
    import importlib

    for module_name in ("bot.compose", "bot.compose.xtext", "bot.compose.weighted_length"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found = getattr(module, "weighted_length", None)
        if callable(found):
            return found  # type: ignore[no-any-return]
    return fallback_length_nfc_len


def tweet_weighted_length(text: str) -> int:
    """Weighted length of a post by the twitter-text v3 rules (see ``_counter``)."""
    return _COUNTER(text)


_COUNTER = _counter()

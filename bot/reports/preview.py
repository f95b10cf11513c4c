"""``crosspost preview``: each target's posts with counted length and limit, and the editorial
check's warnings (a rule an editor would send the post back for, with the sentence)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.config.settings import TargetConfig
from bot.domain.models import ArticleDraft
from bot.intake.queueing import compose_post


def preview_data(draft: ArticleDraft,
                 targets: Sequence[TargetConfig]) -> dict[str, Any]:
    """What every target would send for ``draft``."""
    from bot.compose import RULES, describe, editorial_warnings

    out = []
    for target in targets:
        post = compose_post(draft, target)
        parts = [
            {"text": info.text, "length": info.length, "limit": info.limit, "unit": info.unit}
            for info in describe(post)
        ]
        warnings = [
            {"part": part, "rule": w.rule, "message": RULES[w.rule], "sentence": w.sentence}
            for part, w in editorial_warnings(post, draft)
        ]
        out.append({"target": target.name, "platform": target.platform.value,
                    "image_url": post.image_url, "parse_mode": post.parse_mode, "parts": parts,
                    "warnings": warnings})
    return {"title": draft.title, "url": draft.url, "targets": out}


def preview_text(data: dict[str, Any]) -> str:
    """The preview for people."""
    lines = []
    for t in data["targets"]:
        photo = f" (photo {t['image_url']})" if t["image_url"] else ""
        lines.append(f"== {t['target']} [{t['platform']}]{photo}")
        for i, p in enumerate(t["parts"], start=1):
            lines.append(f"-- part {i}: {p['length']}/{p['limit']} {p['unit']}")
            lines.append(p["text"])
        for w in t.get("warnings", []):
            lines.append(f"!! part {w['part']}: {w['rule']} ({w['message']}): {w['sentence']}")
        lines.append("")
    return "\n".join(lines).rstrip()

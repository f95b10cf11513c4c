"""``crosspost preview`` reports the editorial check's warnings for template posts."""

from __future__ import annotations

from pathlib import Path

from tests.core.cli_helpers import CONFIG, make_project

BODY = (
    "A fire destroyed a warehouse in Kyiv on Tuesday, city officials said. No one was injured.\n\n"
    "“We will rebuild. We will not stop.”\n\n"
    "He said the aid would keep coming."
)
# A target whose template opens with the last sentence and quotes without a speaker.
TEMPLATE_TARGET = """
[[targets]]
name = "xt"
platform = "x"
template = "He said the aid would keep coming. Work goes on. “We will not stop.” {{{{ url }}}}"
"""


def test_preview_reports_editorial_warnings_in_text_and_json(tmp_path: Path) -> None:
    """A template post that breaks the rules gets a warning per rule with its sentence; the
    composed posts get none, and the JSON keeps its keys and adds ``warnings``."""
    p = make_project(tmp_path, CONFIG + TEMPLATE_TARGET)
    (p.root / "b.txt").write_text(BODY, encoding="utf-8")
    args = ("preview", "--file", "b.txt", "--title", "Warehouse fire", "--url", "https://a.example/f")
    r = p.run(*args, "--json")
    assert r.code == 0, r.err
    by_target = {t["target"]: t for t in r.json()["targets"]}
    assert set(by_target["tg"]) == {"target", "platform", "image_url", "parse_mode", "parts", "warnings"}
    assert by_target["tg"]["warnings"] == [] and by_target["xa"]["warnings"] == []
    rules = {(w["part"], w["rule"], w["sentence"]) for w in by_target["xt"]["warnings"]}
    assert rules == {
        (1, "leaning-opener", "He said the aid would keep coming."),
        (1, "quote-without-speaker", "“We will not stop.”"),
    }
    text = p.run(*args)
    assert text.code == 0, text.err
    assert (
        "!! part 1: leaning-opener (opens with a sentence that leans on one before it): He said" in text.out
    )
    assert text.out.count("!! ") == 2

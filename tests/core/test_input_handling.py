"""Bad input is refused with a reason naming the field, option or key; it never crashes a command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import DataError

from bot.daemon.runtime import Runtime
from bot.domain.errors import ConfigError, InputError
from bot.domain.models import ArticleDraft, Priority
from bot.intake.queueing import draft_from_mapping
from bot.intake.stories import queue_story
from bot.store.db import make_engine
from bot.wiring import build_app
from tests.conftest import make_settings
from tests.core.cli_helpers import CONFIG, Project, make_project

GOOD = {"url": "https://a.example/good", "title": "Good story",
        "text": "The bridge reopened on Monday. Traffic is back to normal."}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"image_url": 5}, "image_url must be a string"),
        ({"text": {"a": 1}}, "text must be a string, not an object"),
        ({"language": 5}, "language must be a string, not a number"),
        ({"priority": 5}, "priority must be a string"),
        ({"not_before": 1767225600}, "not_before must be a string"),
        ({"tags": "abc"}, "tags must be a list of strings"),
        ({"tags": ["a", 1]}, "tags must be a list of strings"),
        ({"targets": []}, "targets is empty: leave it out to use every enabled target"),
        ({"targets": " , "}, "targets is empty"),
        ({"targets": {"tg": True}}, "targets must be a list of target names"),
        ({"url": 5}, "url must be a string, not a number"),
        ({"title": ["A"]}, "title must be a string, not a list"),
        ({"title": None}, "missing field: title"),
        ({"priority": "urgent"}, "priority must be one of"),
        ({"not_before": "tomorrow"}, "not an ISO 8601 time: 'tomorrow'"),
        ({"not_before": "0001-01-01T00:00+05:00"}, "time out of range"),
        ({"colour": "red"}, "unknown field(s): colour"),
    ],
)
def test_wrongly_typed_fields_are_refused_by_name(changes: dict[str, Any], message: str) -> None:
    """Each wrongly typed or empty field raises InputError naming that field."""
    with pytest.raises(InputError) as info:
        draft_from_mapping({**GOOD, **changes}, source="import")
    assert message in str(info.value)


def test_well_typed_fields_give_the_draft() -> None:
    """Correct fields come through unchanged; null and empty optional fields mean "absent"."""
    draft = draft_from_mapping({**GOOD, "tags": ["city", "roads"], "targets": "tg, xa",
                                "priority": "breaking", "language": "en", "image_url": "",
                                "not_before": None}, source="api")
    assert draft.tags == ("city", "roads") and draft.targets == ("tg", "xa")
    assert draft.priority is Priority.BREAKING and draft.language == "en"
    assert draft.image_url is None and draft.not_before is None and draft.source == "api"


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Iterator[Runtime]:
    """An app on a fresh database, SQLite and then PostgreSQL."""
    built = build_app(make_settings(tmp_path, database_url=db_url))
    try:
        yield built
    finally:
        built.dispose()


def test_import_reports_every_bad_line_and_queues_the_rest(app: Runtime) -> None:
    """No bad line, however odd, stops an import: each is reported by number."""
    bad: list[tuple[str, str]] = [
        (json.dumps({**GOOD, "image_url": 5}), "image_url must be a string"),
        (json.dumps({**GOOD, "title": "A\u0000B"}), "title contains a NUL character"),
        (json.dumps({**GOOD, "url": "https://a.example/\u0000"}), "url contains a NUL"),
        (json.dumps({**GOOD, "title": "\ud800"}), "title is not valid Unicode"),
        (json.dumps({**GOOD, "tags": ["a\u0000"]}), "tags contains a NUL"),
        (json.dumps({**GOOD, "url": "http://[bad/x"}), "not an http(s) URL"),
        (json.dumps({**GOOD, "url": "https://a.example:99999/x"}), "bad port"),
        (json.dumps({**GOOD, "image_url": "ftp://a.example/i.jpg"}), "image_url: not an http"),
        (json.dumps({**GOOD, "url": "https://a.example/" + "x" * 3000}), "longer than 2048"),
        (json.dumps({**GOOD, "language": "x" * 40}), "language is longer than 16"),
        (json.dumps({**GOOD, "targets": []}), "targets is empty"),
        (json.dumps({**GOOD, "not_before": "9999-12-31T23:59-05:00"}), "time out of range"),
        ('{"url": ' + "9" * 5000 + "}", "not valid JSON"),
        ("[" * 100_000, "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
    ]
    lines = [line for line, _ in bad] + [json.dumps(GOOD)]
    result = app.intake.import_lines(lines)
    assert [n for n, _ in result.errors] == list(range(1, len(bad) + 1))
    for (number, error), (_, expected) in zip(result.errors, bad, strict=True):
        assert expected in error, (number, error)
    assert len(result.added) == 1 and result.existing == []


def test_nul_in_text_is_refused_at_every_door(app: Runtime) -> None:
    """A NUL character in a story's text is refused with the field named, as the API does."""
    draft = ArticleDraft(url="https://a.example/nul", title="Nul", text="Before\x00 after.")
    with pytest.raises(InputError, match="text contains a NUL character"):
        app.intake.add(draft)
    with pytest.raises(InputError, match="text contains a NUL character"):
        draft_from_mapping({**GOOD, "text": "a\x00b"}, source="import")
    assert app.queue.list_articles() == []


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_blank_text_is_refused_when_given(app: Runtime, text: str) -> None:
    """Text that is given must say something (left out, the page is fetched where a door can)."""
    with pytest.raises(InputError, match="text is empty"):
        draft_from_mapping({**GOOD, "text": text}, source="api")
    with pytest.raises(InputError, match="text is empty"):
        queue_story(app.intake, {**GOOD, "text": text}, source="api")


@pytest.fixture
def project(tmp_path: Path, db_url: str) -> Project:
    """A dry-run CLI project on a fresh database, SQLite and then PostgreSQL."""
    config = CONFIG.replace('"sqlite:///{root}/var/crosspost.db"', json.dumps(db_url))
    return make_project(tmp_path / "proj", config)


@pytest.mark.parametrize("body", ["Council met.\x00 Budget passed.", "", "  \n  "])
def test_cli_add_refuses_what_the_api_refuses(project: Project, body: str) -> None:
    """queue add --body-file with a NUL byte, or with an empty or blank body, is refused in one
    line (exit 2) like the API refuses it, and nothing is queued."""
    (project.root / "body.txt").write_text(body, encoding="utf-8")
    r = project.run("queue", "add", "https://a.example/council", "--title", "Council",
                    "--body-file", "body.txt")
    assert r.code == 2, r
    assert ("NUL" in r.err) if "\x00" in body else ("empty" in r.err), r.err
    assert project.run("queue", "list", "--json").json() == []


def test_cli_import_goes_on_after_a_badly_typed_line(project: Project) -> None:
    """queue import reports a wrongly typed line by number and still queues the lines after it."""
    lines = [json.dumps({**GOOD, "url": "https://a.example/1", "image_url": 5}),
             json.dumps({**GOOD, "url": "https://a.example/2", "title": "Two\u0000"}),
             json.dumps({**GOOD, "url": "https://a.example/3"})]
    (project.root / "in.jsonl").write_text("\n".join(lines), encoding="utf-8")
    r = project.run("queue", "import", "in.jsonl")
    assert r.code == 1
    assert "in.jsonl:1: image_url must be a string" in r.err
    assert "in.jsonl:2: title contains a NUL character" in r.err
    assert "unexpected" not in r.err and "Traceback" not in r.err
    assert "queued 1," in r.out


def test_cli_import_decodes_each_line_on_its_own(project: Project) -> None:
    """A line that is not UTF-8 is refused by its number; the good lines around it are queued."""
    good = [json.dumps({**GOOD, "url": f"https://a.example/u{n}"}).encode() for n in (1, 3)]
    bad = json.dumps({**GOOD, "url": "https://a.example/u2"}).encode().replace(b"Good", b"G\xff\xfed")
    (project.root / "in.jsonl").write_bytes(b"\n".join([good[0], bad, good[1]]))
    r = project.run("queue", "import", "in.jsonl", "--json")
    assert r.code == 1, r
    data = r.json()
    assert len(data["added"]) == 2
    assert [e["line"] for e in data["errors"]] == [2] and "not UTF-8" in data["errors"][0]["error"]


def test_repeated_target_names_are_one_target(project: Project) -> None:
    """--targets tg,tg (and a repeated name in an import line) queues one delivery per target,
    never a database error; the import goes on to the next line."""
    r = project.run("queue", "add", "https://a.example/twice", "--title", "Twice", "--body-file",
                    "-", "--targets", "tg,tg", "--json", stdin="The bridge reopened on Monday.")
    assert r.code == 0, r
    assert [d["target"] for d in r.json()["deliveries"]] == ["tg"]
    lines = [json.dumps({**GOOD, "url": "https://a.example/t1", "targets": ["xa", "tg", "xa"]}),
             json.dumps({**GOOD, "url": "https://a.example/t2"})]
    (project.root / "in.jsonl").write_text("\n".join(lines), encoding="utf-8")
    r = project.run("queue", "import", "in.jsonl", "--json")
    assert r.code == 0, r
    assert len(r.json()["added"]) == 2
    shown = project.run("queue", "show", str(r.json()["added"][0]), "--json").json()
    assert sorted(d["target"] for d in shown["deliveries"]) == ["tg", "xa"]


@pytest.mark.parametrize("url", ["mysql://u:p@localhost/db", "postgresql+asyncpg://h/db",
                                 "sqlite+aiosqlite:///x.db", "oracle://h/db"])
def test_unsupported_database_urls_are_config_errors(url: str) -> None:
    """A database other than SQLite or PostgreSQL (psycopg) is a ConfigError on database_url."""
    with pytest.raises(ConfigError, match=r"only SQLite .* and PostgreSQL .* are supported") as info:
        make_engine(url)
    assert info.value.key == "database_url"


def test_cli_names_database_url_for_mysql(tmp_path: Path) -> None:
    """A mysql:// URL exits 2 naming database_url, not a missing driver module."""
    p = make_project(tmp_path, CONFIG.replace("sqlite:///{root}/var/crosspost.db",
                                              "mysql://u:p@localhost/db"))
    r = p.run("queue", "list")
    assert r.code == 2, r.err
    assert "database_url" in r.err and "only SQLite" in r.err
    assert "MySQLdb" not in r.err


def test_database_errors_never_show_sql_or_parameters(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """An unexpected database error prints only the first line of the driver's message."""
    from bot.cli import main as cli

    def fail(*_args: object, **_kwargs: object) -> None:
        raise DataError("INSERT INTO articles (title) VALUES (%(title)s)",
                        {"title": "embargoed story"},
                        Exception("text fields cannot contain NUL (0x00) bytes\nDETAIL: more"))

    monkeypatch.setattr(cli.cli, "main", fail)
    with pytest.raises(SystemExit) as info:
        cli.main(["queue", "list"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.strip() == ("error: unexpected DataError: text fields cannot contain NUL (0x00) "
                           "bytes (run with -v for details)")


def test_preview_refuses_an_id_with_file_options(tmp_path: Path) -> None:
    """preview ID with --file/--title/--url exits 2 instead of ignoring the options."""
    p = make_project(tmp_path)
    (p.root / "b.txt").write_text("Text.", encoding="utf-8")
    r = p.run("preview", "1", "--file", "b.txt", "--title", "T", "--url", "https://a.example/")
    assert r.code == 2
    assert "give a story ID or --file/--title/--url, not both" in r.err


def test_preview_missing_file_is_named(tmp_path: Path) -> None:
    """preview --file with a missing file exits 2 naming the file."""
    p = make_project(tmp_path)
    r = p.run("preview", "--file", "gone.txt", "--title", "T", "--url", "https://a.example/")
    assert r.code == 2
    assert "gone.txt: no such file" in r.err and "Traceback" not in r.err


def test_add_names_the_not_before_option(tmp_path: Path) -> None:
    """A bad --not-before value is refused with the option's name and the value."""
    p = make_project(tmp_path)
    r = p.run("queue", "add", "https://a.example/1", "--title", "T", "--not-before", "tomorrow")
    assert r.code == 2
    assert "--not-before: not an ISO 8601 time: 'tomorrow'" in r.err

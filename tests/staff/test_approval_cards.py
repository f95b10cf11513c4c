"""The approver's card: posts as they will look, decisions with who made them, buttons, size."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.compose.telegram_html import check_html, utf16_len
from bot.domain.approval import Decision
from bot.domain.models import Article, Delivery, DeliveryState, Platform, Priority
from bot.staff.approval_cards import MAX_MESSAGE, Press, card, parse_press

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
S = DeliveryState


def article() -> Article:
    """A story from a feed."""
    return Article(id=7, url="https://news.example/7?a=1&b=2", canonical_url="https://news.example/7",
                   title="Rates <rise> & fall", text="", image_url=None, language="en",
                   priority=Priority.NORMAL, source="wire", created_at=T0)


def delivery(did: int, target: str, platform: Platform, parts: tuple[str, ...], *,
             state: S = S.AWAITING_APPROVAL, **approval: object) -> Delivery:
    """A delivery that needed approval."""
    return Delivery(id=did, article_id=7, target=target, platform=platform, state=state,
                    planned_at=None, created_at=T0, updated_at=T0, parts=parts,
                    parse_mode="HTML" if platform is Platform.TELEGRAM else None,
                    approval_wait=f"target {target} needs approval", approval_since=T0,
                    **approval)  # type: ignore[arg-type]


def test_waiting_card_shows_posts_and_every_button() -> None:
    """Telegram HTML shows as is, X text escaped with its weight; with two targets waiting
    there is Approve all, one approve and one edit per target, and Reject."""
    c = card(article(), [
        delivery(1, "tg", Platform.TELEGRAM, ("<b>Rates rise</b> &amp; fall",)),
        delivery(2, "xa", Platform.X, ("Rates <rise> & fall https://news.example/7",)),
        Delivery(id=3, article_id=7, target="plain", platform=Platform.X, state=S.PENDING,
                 planned_at=None, created_at=T0, updated_at=T0, parts=("not reviewed",)),
    ], "Europe/Kyiv")
    assert c.open
    plain = check_html(c.text)  # valid Telegram HTML
    assert plain.startswith("Review #7 · from wire\nRates <rise> & fall\n"
                            "https://news.example/7?a=1&b=2")
    assert "<b>Rates rise</b> &amp; fall" in c.text
    assert "Rates &lt;rise&gt; &amp; fall" in c.text and "xa · X (42/280 weighted)" in plain
    assert "not reviewed" not in plain and "plain" not in plain
    assert c.buttons == (
        (("✅ Approve all", "a:7:*"),),
        (("✅ tg", "a:7:1"), ("✏️ Edit tg", "e:7:1")),
        (("✅ xa", "a:7:2"), ("✏️ Edit xa", "e:7:2")),
        (("❌ Reject", "r:7:*"),),
    )


def test_decided_card_names_who_and_drops_buttons() -> None:
    """Once nothing waits, the card shows each decision with who, where and when, and no
    buttons; its fingerprint differs from the waiting card's."""
    waiting = card(article(), [delivery(1, "tg", Platform.TELEGRAM, ("Hi",))], "UTC")
    assert waiting.buttons == ((("✅ Approve all", "a:7:*"),), (("✏️ Edit tg", "e:7:1"),),
                               (("❌ Reject", "r:7:*"),))
    decided = card(article(), [
        delivery(1, "tg", Platform.TELEGRAM, ("Hi",), state=S.PENDING,
                 approval_decision=Decision.APPROVED, approval_by="Ann (telegram:111)",
                 approval_via="telegram", approval_at=T0),
        delivery(2, "xa", Platform.X, ("Hi",), state=S.REJECTED,
                 approval_decision=Decision.REJECTED, approval_by="cli:bob", approval_via="cli",
                 approval_at=T0, approval_note="not ours"),
    ], "UTC")
    assert not decided.open and decided.buttons == ()
    plain = check_html(decided.text)
    assert plain.startswith("Reviewed #7")
    assert "✅ approved by Ann (telegram:111) via telegram at 2026-03-01 09:00:00 UTC" in plain
    assert "⛔ rejected by cli:bob via cli: not ours" in plain
    assert plain.endswith("Nothing left to decide.")
    assert decided.fingerprint != waiting.fingerprint
    assert waiting.fingerprint == card(article(), [delivery(1, "tg", Platform.TELEGRAM, ("Hi",))],
                                       "UTC").fingerprint


def test_long_posts_are_cut_to_fit_one_message() -> None:
    """Two near-limit Telegram posts do not fit one message: the card shows them cut, as plain
    text, within 4096."""
    long = "<b>" + "word " * 800 + "</b>"
    c = card(article(), [delivery(1, "tg", Platform.TELEGRAM, (long,)),
                         delivery(2, "tg2", Platform.TELEGRAM, (long,))], "UTC")
    assert utf16_len(check_html(c.text)) <= MAX_MESSAGE
    assert "…" in c.text and "<b>word" not in c.text


def test_button_data_is_parsed_strictly() -> None:
    """Only our three actions with numeric ids parse; Edit needs one delivery."""
    assert parse_press("a:7:*") == Press("a", 7, None)
    assert parse_press("e:7:2") == Press("e", 7, 2)
    assert parse_press("r:7:*") == Press("r", 7, None)
    for bad in ("e:7:*", "x:7:*", "a:seven:*", "a:7", "a:7:2:3", "a:7:two"):
        assert parse_press(bad) is None


def test_x_weight_is_shown_against_the_targets_own_limit() -> None:
    """An X account allowed longer posts shows its own limit."""
    c = card(article(), [delivery(2, "xa", Platform.X, ("Hello",))], "UTC", {"xa": 1000})
    assert "xa · X (5/1000 weighted)" in check_html(c.text)

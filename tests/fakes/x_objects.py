"""Accounts, settings and JSON shapes of the fake X API v2."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fakes.httpbase import Reply
from tests.fakes.x_length import link_spans


@dataclass
class XAccount:
    """One X account the fake knows, reached through its access token."""

    user_id: str
    username: str
    token_secret: str
    name: str = "Newsroom"


@dataclass
class XConfig:
    """App keys, accounts (access token → account), and an optional post quota."""

    consumer_key: str = "test-consumer-key"
    consumer_secret: str = "test-consumer-secret"
    accounts: dict[str, XAccount] = field(
        default_factory=lambda: {
            "1000-test-access-token": XAccount("1000", "newsroom", "test-access-secret")
        }
    )
    verify_signatures: bool = True
    post_limit: int | None = None
    post_window_seconds: int = 900
    duplicate_memory: int = 200


def problem(status: int, title: str, detail: str, type_: str = "about:blank") -> dict[str, Any]:
    """An RFC 7807 problem body as X sends it."""
    return {"title": title, "detail": detail, "type": type_, "status": status}


def as_x_shows(text: str) -> str:
    """Text as X returns it: links (with or without ``http(s)://``) wrapped in t.co, ``& < >``
    escaped as HTML entities."""
    wrapped = text
    for start, end in reversed(link_spans(text)):  # bare domains too, as X links them
        link = text[start:end]
        wrapped = wrapped[:start] + "https://t.co/" + hashlib.sha1(link.encode()).hexdigest()[:10] + \
            wrapped[end:]
    return wrapped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def tweet_json(tweet: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """A ``Tweet`` object with the requested ``tweet.fields``."""
    data: dict[str, Any] = {
        "id": tweet["id"],
        "text": as_x_shows(tweet["text"]),
        "edit_history_tweet_ids": [tweet["id"]],
    }
    if "created_at" in fields:
        created = datetime.fromtimestamp(tweet["t"], UTC)
        data["created_at"] = (
            created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z"
        )
    if "author_id" in fields:
        data["author_id"] = tweet["author_id"]
    if "referenced_tweets" in fields and tweet["in_reply_to"]:
        data["referenced_tweets"] = [{"type": "replied_to", "id": tweet["in_reply_to"]}]
    return data


class XAPIError(Exception):
    """An X API error answer (problem JSON)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("detail"))
        self.reply = Reply(status, body)


def invalid(parameter: str, message: str) -> XAPIError:
    """A 400 "Invalid Request" naming the parameter at fault."""
    return XAPIError(
        400,
        {
            "errors": [{"parameters": {parameter: []}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )

"""Changing what the fake X API has posted: edits (``edit_options``), deletes, and looking a post up.

As X documents it: a post is editable for 30 minutes after the original, at most 5 times; each
edit is a new post id, chained to the original (``edit_history_tweet_ids``, oldest first); only
the newest version can be edited (carrying ``media.media_ids`` as a post does; without them the
new version has no image); deleting any version deletes the whole chain. An account in
``fake.edit_refused_accounts`` (user ids) may not edit at all. A deleted post
answers 404 to ``GET /2/tweets/:id`` and ``DELETE /2/tweets/:id``. Deletes pass the announced
limits and the fault plan like posts do (X counts them separately: 50 per 15 minutes).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from tests.fakes import faults as F
from tests.fakes.httpbase import Reply
from tests.fakes.x_objects import XAccount, XAPIError, problem, tweet_json

if TYPE_CHECKING:
    from tests.fakes.x_server import XFake

EDIT_WINDOW_SECONDS = 30 * 60
MAX_EDITS = 5
NOT_EDITABLE_MSG = "You are not permitted to edit this Post."
NOT_YOURS_MSG = "You are not allowed to delete a Post that is not yours."


def check_edit(fake: XFake, account: XAccount, body: dict[str, Any]) -> dict[str, Any]:
    """Validate ``edit_options.previous_post_id``; the fields the new version carries.

    Called with the fake's lock free; the chain is updated when the new version is stored.
    """
    options = body.get("edit_options")
    previous = options.get("previous_post_id") if isinstance(options, dict) else None
    if not isinstance(previous, str) or not previous.isdigit():
        raise XAPIError(400, {
            "errors": [{"parameters": {"edit_options.previous_post_id": []},
                        "message": "`previous_post_id` must be a post id."}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        })
    with fake.lock:
        old = fake._by_id.get(previous)
        if old is None or old.get("deleted"):
            raise XAPIError(404, problem(404, "Not Found Error",
                                         f"Could not find post with id: [{previous}]."))
        if old["author_id"] != account.user_id:
            raise XAPIError(403, problem(403, "Forbidden", NOT_EDITABLE_MSG))
        chain = list(old.get("history") or [old["id"]])
        first = fake._by_id[chain[0]]
        window = getattr(fake, "edit_window_seconds", EDIT_WINDOW_SECONDS)
        if account.user_id in getattr(fake, "edit_refused_accounts", ()):
            reason = "this account may not edit posts"
        elif old.get("superseded_by"):
            reason = "only the newest version of a post can be edited"
        elif time.time() - first["t"] > window:
            reason = "the 30 minutes to edit it have passed"
        elif len(chain) > MAX_EDITS:
            reason = "it was edited 5 times already"
        else:
            reason = ""
        if reason:
            raise XAPIError(403, problem(403, "Forbidden", f"{NOT_EDITABLE_MSG} ({reason})"))
    media = body.get("media")
    media_ids = None
    if media is not None:
        media_ids = fake.media.check_for_post(
            account, media.get("media_ids") if isinstance(media, dict) else None)
    return {"history": chain, "in_reply_to": old.get("in_reply_to"), "edit_of": previous,
            "media_ids": media_ids}


def store_edit(fake: XFake, tweet: dict[str, Any]) -> None:
    """Chain a stored new version to its predecessors (call with the fake's lock held)."""
    previous = tweet.get("edit_of")
    if previous is None:
        return
    chain = [*tweet["history"], tweet["id"]]
    for post_id in chain:
        fake._by_id[post_id]["history"] = chain
    fake._by_id[previous]["superseded_by"] = tweet["id"]


def lookup(fake: XFake, post_id: str, query: dict[str, str]) -> Reply:
    """``GET /2/tweets/:id``: that version with its edit history, or 404 once deleted."""
    with fake.lock:
        tweet = fake._by_id.get(post_id)
        if tweet is None or tweet.get("deleted"):
            raise XAPIError(404, problem(404, "Not Found Error",
                                         f"Could not find post with id: [{post_id}]."))
        data = tweet_json(tweet, set(query.get("tweet.fields", "").split(",")))
        data["edit_history_tweet_ids"] = list(tweet.get("history") or [tweet["id"]])
    return Reply(200, {"data": data})


def delete(fake: XFake, account: XAccount, post_id: str, path: str,
           extra: dict[str, Any]) -> Reply:
    """``DELETE /2/tweets/:id``: removes the whole edit chain; ``{"data": {"deleted": true}}``."""
    key = f"delete:{account.user_id}"
    until = fake.limits.check(key, path)
    if until is not None:
        extra["violation"] = True
        return fake._too_many(math.ceil(until))
    fault = fake.faults.pick()
    extra["fault"] = fault
    if fault == F.RATE_LIMIT:
        reset = math.ceil(time.time()) + fake.faults.retry_after
        fake.limits.block(key, reset)
        return fake._too_many(reset)
    if fault == F.SERVER_ERROR:
        raise XAPIError(503, problem(503, "Service Unavailable", "Service Unavailable"))
    if fault == F.DROP_BEFORE:
        return Reply(0, drop=True)
    with fake.lock:
        tweet = fake._by_id.get(post_id)
        if tweet is None or tweet.get("deleted"):
            raise XAPIError(404, problem(404, "Not Found Error",
                                         f"Could not find post with id: [{post_id}]."))
        if tweet["author_id"] != account.user_id:
            raise XAPIError(403, problem(403, "Forbidden", NOT_YOURS_MSG))
        now = time.time()
        for version in tweet.get("history") or [post_id]:
            fake._by_id[version].update(deleted=True, deleted_t=now)
        tweet.update(deleted=True, deleted_t=now)
    extra["deleted"] = post_id
    reply = Reply(200, {"data": {"deleted": True}})
    if fault == F.SLOW:
        reply.delay = fake.faults.slow_seconds
    elif fault == F.DROP_AFTER:
        reply.drop = True
    return reply


def visible(tweet: dict[str, Any]) -> bool:
    """Whether a post shows on its author's timeline (not deleted, not an older version)."""
    return not tweet.get("deleted") and not tweet.get("superseded_by")

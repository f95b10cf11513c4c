"""A strict fake of the X API v2 posting endpoints, answering in X's shapes so tweepy parses them.

``POST /2/tweets`` (OAuth 1.0a user context, signature checked; weighted length ≤ 280;
duplicate text of a recent post → 403; ``media.media_ids`` only as issued; ``edit_options``
edits, see ``x_revise``), ``GET``/``DELETE /2/tweets/:id``, ``GET /2/users/me``,
``GET /2/users/:id/tweets``, and the media endpoints of ``tests.fakes.x_media``.
Every answer carries ``x-rate-limit-*`` headers; an optional post quota per window is enforced.
Run by hand: ``python -m tests.fakes.x_server --port 8082``.
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from tests.fakes import faults as F
from tests.fakes import x_revise
from tests.fakes.httpbase import FakeApp, FakeServer, Reply, Request, serve_forever_cli
from tests.fakes.oauth1 import OAuthError, parse_header, verify
from tests.fakes.x_length import tweet_weighted_length
from tests.fakes.x_media import XMedia
from tests.fakes.x_objects import (
    XAccount,
    XAPIError,
    XConfig,
    invalid,
    problem,
    tweet_json,
)

MAX_WEIGHT = 280
DUPLICATE_MSG = "You are not allowed to create a Tweet with duplicate content."
REPLY_GONE_MSG = "You attempted to reply to a Tweet that is deleted or not visible to you."


class XFake(FakeApp):
    """The X API state machine; ``tweets`` holds every created post."""

    name = "x-fake"

    def __init__(self, config: XConfig | None = None, *, faults: F.FaultPlan | None = None):
        super().__init__(faults=faults)
        self.config = config or XConfig()
        self.tweets: list[dict[str, Any]] = []
        self._by_id: dict[str, dict[str, Any]] = {}
        self._next_id = 1_800_000_000_000_000_000
        self._window: dict[str, tuple[float, int]] = {}
        self.media = XMedia()

    def handle(self, request: Request) -> Reply:
        """Authenticate, then route."""
        extra: dict[str, Any] = {}
        account = None
        try:
            account = self._authenticate(request)
            extra["account"] = account.user_id
            reply = self._route(account, request, extra)
        except XAPIError as fail:
            reply = fail.reply
        if not reply.drop:
            reply.headers = {**self._rate_headers(account), **reply.headers}
        self.log(request, reply, **extra)
        return reply

    def _authenticate(self, request: Request) -> XAccount:
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer "):
            raise XAPIError(
                403,
                problem(
                    403,
                    "Unsupported Authentication",
                    "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.",
                    "https://api.twitter.com/2/problems/unsupported-authentication",
                ),
            )
        try:
            fields = parse_header(header)
            account = self.config.accounts.get(fields["oauth_token"])
            if fields["oauth_consumer_key"] != self.config.consumer_key or account is None:
                raise OAuthError("unknown consumer key or token")
            if self.config.verify_signatures:
                url = f"http://{request.host}{request.path}"
                verify(
                    fields,
                    request.method,
                    url,
                    list(request.query.items()),
                    self.config.consumer_secret,
                    account.token_secret,
                )
        except OAuthError as exc:
            raise XAPIError(401, problem(401, "Unauthorized", "Unauthorized")) from exc
        return account

    def _route(self, account: XAccount, request: Request, extra: dict[str, Any]) -> Reply:
        path, method = request.path.rstrip("/"), request.method
        if path == "/2/tweets" and method == "POST":
            return self._create(account, request, extra)
        if XMedia.handles(path):
            return self.media.route(account, request, self.faults, self.limits, extra)
        if path == "/2/users/me" and method == "GET":
            return Reply(
                200,
                {
                    "data": {
                        "id": account.user_id,
                        "name": account.name,
                        "username": account.username,
                    }
                },
            )
        parts = path.split("/")
        if len(parts) == 4 and parts[1:3] == ["2", "tweets"] and method in ("GET", "DELETE"):
            if method == "GET":
                return x_revise.lookup(self, parts[3], request.query)
            return x_revise.delete(self, account, parts[3], request.path, extra)
        if len(parts) == 5 and parts[1:3] == ["2", "users"] and parts[4] == "tweets":
            return self._timeline(parts[3], request.query)
        raise XAPIError(404, problem(404, "Not Found Error", f"no route {method} {path}"))

    def _create(self, account: XAccount, request: Request, extra: dict[str, Any]) -> Reply:
        key = f"post:{account.user_id}"
        until = self.limits.check(key, request.path)
        if until is not None:
            extra["violation"] = True
            return self._too_many(math.ceil(until))
        quota_reset = self._quota(account)
        if quota_reset is not None:
            self.limits.block(key, quota_reset)
            return self._too_many(quota_reset)
        fault = self.faults.pick()
        extra["fault"] = fault
        if fault == F.RATE_LIMIT:
            reset = math.ceil(time.time()) + self.faults.retry_after
            self.limits.block(key, reset)
            return self._too_many(reset)
        if fault == F.SERVER_ERROR:
            raise XAPIError(503, problem(503, "Service Unavailable", "Service Unavailable"))
        if fault == F.DROP_BEFORE:
            return Reply(0, drop=True)
        tweet = self._validate(account, request.json)
        with self.lock:
            tweet_id = str(self._next_id)
            self._next_id += 1
            tweet.update(id=tweet_id, t=time.time(), author_id=account.user_id)
            self.tweets.append(tweet)
            self._by_id[tweet_id] = tweet
            x_revise.store_edit(self, tweet)
            self._count_post(account)
        extra["tweet_id"] = tweet_id
        history = list(tweet.get("history") or [tweet_id])
        data = {"id": tweet_id, "text": tweet["text"], "edit_history_tweet_ids": history}
        reply = Reply(201, {"data": data})
        if fault == F.SLOW:
            reply.delay = self.faults.slow_seconds
        elif fault == F.DROP_AFTER:
            reply.drop = True
        return reply

    def _validate(self, account: XAccount, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise invalid("body", "The request body must be a JSON object.")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise invalid("text", "The `text` field is required and must not be empty.")
        if tweet_weighted_length(text) > MAX_WEIGHT:
            raise invalid("text", "Tweet text is too long.")
        if "edit_options" in body:
            return {"text": text, **x_revise.check_edit(self, account, body)}
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        gone = self._by_id.get(str(reply_to)) if reply_to is not None else None
        if reply_to is not None and (gone is None or gone.get("deleted")):
            raise XAPIError(403, problem(403, "Forbidden", REPLY_GONE_MSG))
        media = body.get("media")
        media_ids = None
        if media is not None:
            ids = media.get("media_ids") if isinstance(media, dict) else None
            media_ids = self.media.check_for_post(account, ids)
        with self.lock:
            recent = [t for t in self.tweets if t["author_id"] == account.user_id]
            if any(t["text"] == text for t in recent[-self.config.duplicate_memory :]):
                raise XAPIError(403, problem(403, "Forbidden", DUPLICATE_MSG))
        reply = None if reply_to is None else str(reply_to)
        return {"text": text, "in_reply_to": reply, "media_ids": media_ids}

    def _timeline(self, user_id: str, query: dict[str, str]) -> Reply:
        max_results = int(query.get("max_results", "10"))
        if not 5 <= max_results <= 100:
            raise invalid(
                "max_results",
                f"The `max_results` query parameter value [{max_results}] is not between 5 and 100",
            )
        fields = set(query.get("tweet.fields", "").split(","))
        start = int(query.get("pagination_token", "0") or 0)
        with self.lock:
            own = [t for t in reversed(self.tweets)
                   if t["author_id"] == user_id and x_revise.visible(t)]
        page = own[start : start + max_results]
        if not page:
            return Reply(200, {"meta": {"result_count": 0}})
        data = [tweet_json(t, fields) for t in page]
        meta: dict[str, Any] = {
            "result_count": len(page),
            "newest_id": page[0]["id"],
            "oldest_id": page[-1]["id"],
        }
        if start + max_results < len(own):
            meta["next_token"] = str(start + max_results)
        return Reply(200, {"data": data, "meta": meta})

    def _quota(self, account: XAccount) -> int | None:
        limit = self.config.post_limit
        if limit is None:
            return None
        start, count = self._window.get(account.user_id, (time.time(), 0))
        reset = math.ceil(start + self.config.post_window_seconds)
        if time.time() >= reset:
            self._window.pop(account.user_id, None)
            return None
        return reset if count >= limit else None

    def _count_post(self, account: XAccount) -> None:
        start, count = self._window.get(account.user_id, (time.time(), 0))
        self._window[account.user_id] = (start, count + 1)

    def _rate_headers(self, account: XAccount | None) -> dict[str, str]:
        limit = self.config.post_limit or 10_000
        now = time.time()
        start, count = self._window.get(account.user_id, (now, 0)) if account else (now, 0)
        reset = math.ceil(start + self.config.post_window_seconds)
        return {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(max(0, limit - count)),
            "x-rate-limit-reset": str(reset),
        }

    def _too_many(self, reset: int) -> Reply:
        return Reply(
            429,
            problem(429, "Too Many Requests", "Too Many Requests"),
            headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
        )

    def configure(self, values: dict[str, Any]) -> None:
        """Also: ``post_limit`` (int or null), ``post_window_seconds``."""
        super().configure(values)
        if "post_limit" in values:
            self.config.post_limit = values["post_limit"]
        if "post_window_seconds" in values:
            self.config.post_window_seconds = int(values["post_window_seconds"])
        self.media.configure(values)

    def state(self) -> dict[str, Any]:
        """Requests, violations, faults, plus ``tweets`` (id, text, in_reply_to, author_id, t)."""
        data = super().state()
        with self.lock:
            data["tweets"] = [dict(t) for t in self.tweets]
        data["media"] = self.media.state()
        return data

    def reset(self) -> None:
        """Forget requests, tweets, quotas and limits."""
        super().reset()
        with self.lock:
            self.tweets.clear()
            self._by_id.clear()
            self._window.clear()
        self.media.reset()


def main(argv: list[str] | None = None) -> None:
    """Command line: serve a fake X API until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.x_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--post-limit", type=int, default=None, help="posts per window")
    parser.add_argument("--post-window", type=int, default=900, help="quota window, seconds")
    parser.add_argument("--no-verify-signatures", action="store_true")
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="TOKEN:SECRET:USER_ID:USERNAME",
        help="an account (repeatable); default 1000-test-access-token:test-access-secret:…",
    )
    F.add_fault_arguments(parser)
    args = parser.parse_args(argv)
    config = XConfig(
        post_limit=args.post_limit,
        post_window_seconds=args.post_window,
        verify_signatures=not args.no_verify_signatures,
    )
    if args.account:
        config.accounts = {}
        for spec in args.account:
            token, secret, user_id, username = spec.split(":")
            config.accounts[token] = XAccount(user_id, username, secret)
    server = FakeServer(XFake(config, faults=F.plan_from_arguments(args)), host=args.host, port=args.port)
    account = next(iter(config.accounts.items()))
    serve_forever_cli(
        server,
        f"x fake: consumer {config.consumer_key}/{config.consumer_secret}, "
        f"access {account[0]}/{account[1].token_secret}",
    )


if __name__ == "__main__":
    main()

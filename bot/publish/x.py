"""X publisher on tweepy's v2 ``Client`` (OAuth 1.0a user context): posts, threads, reconciling.

tweepy hard-codes ``https://api.twitter.com``; ``RedirectingSession`` rewrites that host to the
configured ``api_base_url`` and adds a timeout, so staging and tests reach a local server.
tweepy is synchronous: every call runs in a worker thread. Images go up through the v2 media
endpoints (``bot.publish.x_media``, on the same session and signing) before the post is made;
the post then carries the media id.
"""

from __future__ import annotations

import asyncio
import functools
import html
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import tweepy

from bot.compose.xtext import link_spans
from bot.domain.errors import EditRefusedError, PermanentError
from bot.domain.images import ImageFile
from bot.domain.models import PublishReceipt
from bot.domain.ports import PublishRequest, ReviseRequest
from bot.publish.x_errors import platform_message, translate
from bot.publish.x_media import MediaUploader

TWEEPY_HOST = "https://api.twitter.com"


class RedirectingSession(requests.Session):
    """A requests session sending tweepy's ``api.twitter.com`` calls to ``base_url``."""

    def __init__(self, base_url: str, timeout: tuple[float, float]) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.post_remaining: int | None = None
        self.post_reset: float | None = None

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """Rewrite the host before the request is signed (OAuth signs the final URL)."""
        if isinstance(request.url, str) and request.url.startswith(TWEEPY_HOST):
            request.url = self.base_url + request.url[len(TWEEPY_HOST) :]
        return super().prepare_request(request)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send with the (connect, read) timeout unless one was given."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        response = super().send(request, **kwargs)
        if request.method == "POST" and (request.path_url or "").startswith("/2/tweets"):
            self._note_budget(response.headers)
        return response

    def _note_budget(self, headers: Any) -> None:
        """Remember what X says is left of the posting window (``x-rate-limit-*``)."""
        try:
            self.post_remaining = int(headers["x-rate-limit-remaining"])
            self.post_reset = float(headers["x-rate-limit-reset"])
        except (KeyError, TypeError, ValueError):
            self.post_remaining = self.post_reset = None


def normalise(text: str) -> str:
    """Text as compared when reconciling: entities unescaped, URLs masked, whitespace collapsed.

    X shows links as t.co URLs and escapes ``& < >`` in returned text, so both are evened out.
    """
    text = html.unescape(text)
    for start, end in reversed(link_spans(text)):  # the counter's own finder: bare domains too
        text = f"{text[:start]}<url>{text[end:]}"
    return " ".join(text.split())


class XPublisher:
    """Sends posts and threads to one X account (``Publisher`` port)."""

    reconciles = True  # recent posts can be listed, so an unknown outcome is checked, not resent

    def __init__(
        self,
        *,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        access_token_secret: str,
        api_base_url: str = TWEEPY_HOST,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        reconcile_depth: int = 20,
    ) -> None:
        self._client = tweepy.Client(
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            access_token=access_token,
            access_token_secret=access_token_secret,
            wait_on_rate_limit=False,
        )
        self._client.session.close()
        self._session = RedirectingSession(api_base_url, (connect_timeout, read_timeout))
        self._where = urlsplit(api_base_url).netloc or api_base_url
        self._client.session = self._session
        self._media = MediaUploader(client=self._client, host=TWEEPY_HOST)
        self._reconcile_depth = max(5, min(100, reconcile_depth))
        self._me: tuple[str, str] | None = None
        self._me_lock = asyncio.Lock()
        # tweepy is synchronous: its calls run on one thread of their own, which keeps the
        # account's connection warm and never waits behind database calls for a free thread
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tweepy")

    async def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._thread,
                                              functools.partial(function, *args, **kwargs))
        except (tweepy.HTTPException, requests.RequestException) as exc:
            raise translate(exc, where=self._where) from exc

    async def me(self) -> tuple[str, str]:
        """The account's (user id, username), asked once from ``/2/users/me``."""
        async with self._me_lock:
            if self._me is None:
                response = await self._call(self._client.get_me, user_auth=True)
                self._me = (str(response.data.id), str(response.data.username))
            return self._me

    def _permalink(self, post_id: str) -> str | None:
        return f"https://x.com/{self._me[1]}/status/{post_id}" if self._me else None

    async def publish(self, request: PublishRequest) -> PublishReceipt:
        """Post every part not in ``request.already_sent``, each replying to the one before."""
        await self.me()  # before anything leaves: auth errors surface here, permalink needs it
        ids = list(request.already_sent)
        media = () if request.drop_image else request.media_ids
        image_error = None
        for index, part in enumerate(request.post.parts):
            if index < len(ids):
                continue
            reply_to = ids[-1] if ids else None
            attach = list(media) if index == 0 and media else None
            try:
                response = await self._call(self._client.create_tweet, text=part,
                                            in_reply_to_tweet_id=reply_to, media_ids=attach)
            except PermanentError as exc:
                if attach is None or "media" not in exc.platform_message.lower():
                    raise
                # a 400 made no post: the same text goes again, without the media X refused
                image_error = f"X refused the media id: {exc.platform_message}"
                media = ()
                response = await self._call(self._client.create_tweet, text=part,
                                            in_reply_to_tweet_id=reply_to)
            ids.append(str(response.data["id"]))
            if request.on_part_sent is not None:
                await request.on_part_sent(index, ids[-1])
        return PublishReceipt(tuple(ids), self._permalink(ids[0]) if ids else None,
                              media_ids=tuple(media), image_error=image_error)

    async def upload_image(self, image: ImageFile, alt_text: str | None = None) -> str:
        """Upload ``image`` (with alt text) and return its media id; ``ImageError`` if it fails.

        Not a post: it may be repeated freely, so it runs before the delivery is claimed.
        """
        return await asyncio.to_thread(self._media.upload, image, alt_text)

    async def find_published(self, request: PublishRequest) -> PublishReceipt | None:
        """Look for the first unsent part among the account's recent posts."""
        sent = list(request.already_sent)
        parts = request.post.parts
        if len(sent) >= len(parts):
            return PublishReceipt(tuple(sent), self._permalink(sent[0]) if sent else None)
        user_id, _ = await self.me()
        response = await self._call(
            self._client.get_users_tweets,
            user_id,
            user_auth=True,
            max_results=self._reconcile_depth,
        )
        wanted = normalise(parts[len(sent)])
        for tweet in response.data or ():
            if normalise(str(tweet.text)) == wanted:
                ids = (*sent, str(tweet.id))
                return PublishReceipt(ids, self._permalink(ids[0]))
        return None

    async def edit(self, request: ReviseRequest) -> tuple[str, ...]:
        """Edit every part (``POST /2/tweets`` with ``edit_options.previous_post_id``); each
        edit is a new post id. X refuses after 30 minutes or 5 edits: ``EditRefusedError``.

        With ``check_first`` (the last attempt's outcome was unknown), each part's newest
        version is looked up first: if it already carries the new text, it is not edited again.
        """
        assert request.post is not None
        await self.me()
        parts = request.post.parts
        ids = list(request.done)
        for index, post_id in enumerate(request.post_ids):
            if index < len(ids):
                continue
            if index >= len(parts):
                ids.append(post_id)  # fewer parts now: the rest stay as they were
                continue
            previous = post_id
            if request.check_first:
                latest, text = await self._newest(post_id)
                if normalise(text) == normalise(parts[index]):
                    ids.append(latest)
                    if request.on_step is not None:
                        await request.on_step(index, latest)
                    continue
                previous = latest
            body: dict[str, Any] = {"text": parts[index],
                                    "edit_options": {"previous_post_id": previous}}
            if index == 0 and request.media_id:  # an edit keeps the post's image
                body["media"] = {"media_ids": [request.media_id]}
            try:
                response = await asyncio.to_thread(
                    self._client._make_request, "POST", "/2/tweets", json=body, user_auth=True)
            except (tweepy.BadRequest, tweepy.Forbidden, tweepy.NotFound) as exc:
                said = platform_message(exc)
                if "duplicate content" in said.lower():
                    raise translate(exc) from exc
                raise EditRefusedError(f"X would not edit post {previous}: {said}",
                                       platform_message=said) from exc
            except (tweepy.HTTPException, requests.RequestException) as exc:
                raise translate(exc) from exc
            ids.append(str(response.data["id"]))
            if request.on_step is not None:
                await request.on_step(index, ids[-1])
        return tuple(ids)

    async def _newest(self, post_id: str) -> tuple[str, str]:
        """The newest version of a post (its id and text), from ``GET /2/tweets/:id``."""
        found = await self._lookup(post_id)
        history = [str(i) for i in getattr(found, "edit_history_tweet_ids", None) or [post_id]]
        newest = history[-1]
        if newest != post_id:
            found = await self._lookup(newest)
        return newest, str(found.text)

    async def _lookup(self, post_id: str) -> Any:
        try:
            response = await asyncio.to_thread(self._client.get_tweet, post_id, user_auth=True)
        except tweepy.NotFound as exc:
            raise PermanentError(f"X post {post_id} is gone", platform_message=str(exc)) from exc
        except (tweepy.HTTPException, requests.RequestException) as exc:
            raise translate(exc) from exc
        if response.data is None:
            raise PermanentError(f"X post {post_id} is gone")
        return response.data

    async def reply(self, request: ReviseRequest) -> str:
        """Post the correction as a reply to the first post."""
        assert request.post is not None
        await self.me()
        response = await self._call(self._client.create_tweet, text=request.post.text,
                                    in_reply_to_tweet_id=request.post_ids[0])
        return str(response.data["id"])

    async def find_reply(self, request: ReviseRequest) -> str | None:
        """Look for the correction's text among the account's recent posts."""
        assert request.post is not None
        user_id, _ = await self.me()
        response = await self._call(self._client.get_users_tweets, user_id, user_auth=True,
                                    max_results=self._reconcile_depth)
        wanted = normalise(request.post.text)
        for tweet in response.data or ():
            if normalise(str(tweet.text)) == wanted:
                return str(tweet.id)
        return None

    async def delete(self, request: ReviseRequest) -> None:
        """``DELETE /2/tweets/:id`` for every part; a post that answers 404 is gone already.

        With ``check_first``, each post is looked up first (``GET``): 404 means deleted.
        """
        for index, post_id in enumerate(request.post_ids):
            if post_id in request.done:
                continue
            if not (request.check_first and await self._gone(post_id)):
                try:
                    await asyncio.to_thread(self._client.delete_tweet, post_id, user_auth=True)
                except tweepy.NotFound:
                    pass  # deleted already (by us after an unknown outcome, or by hand)
                except (tweepy.HTTPException, requests.RequestException) as exc:
                    raise translate(exc) from exc
            if request.on_step is not None:
                await request.on_step(index, post_id)

    async def _gone(self, post_id: str) -> bool:
        try:
            found = await asyncio.to_thread(self._client.get_tweet, post_id, user_auth=True)
        except tweepy.NotFound:
            return True
        except (tweepy.HTTPException, requests.RequestException) as exc:
            raise translate(exc) from exc
        return found.data is None

    def budget_until(self) -> datetime | None:
        """When the account may post again, if its last answer said none are left."""
        session = self._session
        if session.post_remaining == 0 and session.post_reset is not None:
            return datetime.fromtimestamp(session.post_reset, UTC)
        return None

    async def aclose(self) -> None:
        """Close the HTTP connection pool and the client's thread."""
        self._session.close()
        self._thread.shutdown(wait=False)

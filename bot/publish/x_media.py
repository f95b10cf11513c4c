"""Images to X through the v2 media endpoints, on tweepy's own session and OAuth 1.0a signing.

tweepy 4.17 has no v2 media upload, so the calls are made here the way tweepy makes its own:
the client's ``requests`` session (which sends them to the configured host), signed with
tweepy's ``OAuth1UserHandler`` for the same account, answers turned into tweepy's exceptions.

``POST /2/media/upload`` ``command=INIT`` (type, size, ``tweet_image``), ``APPEND`` of ≤ 4 MiB
segments (multipart), ``FINALIZE``, then ``GET …?command=STATUS`` while X says the media is
processing; ``POST /2/media/metadata`` sets the alt text. Uploading is not posting: every step
can be repeated without making a post, so failures are retried here (a 429 waits for its reset
when that is near) and what still fails becomes an ``ImageError`` — transient or permanent —
never an uncertain post.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests
import tweepy
from tweepy.errors import HTTPException

from bot.domain.errors import ImageError, RateLimitedError
from bot.domain.images import ImageFile
from bot.publish.x_errors import platform_message, translate

UPLOAD = "/2/media/upload"
METADATA = "/2/media/metadata"
CHUNK_BYTES = 4 * 1024 * 1024
MAX_ALT_TEXT = 1000
"""X keeps at most 1000 characters of alt text."""
_EXPIRED = ("expired", "not known", "not found")


class MediaUploader:
    """Uploads one image at a time to one X account (synchronous: run it in a worker thread)."""

    def __init__(
        self,
        *,
        client: tweepy.Client,
        host: str,
        attempts: int = 8,
        backoff: float = 0.25,
        max_backoff: float = 8.0,
        max_rate_wait: float = 60.0,
        max_processing_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._host = host
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._max_rate_wait = max_rate_wait
        self._max_processing_wait = max_processing_wait
        self._sleep = sleep

    def upload(self, image: ImageFile, alt_text: str | None = None) -> str:
        """The media id of ``image`` on X, with ``alt_text`` (cut to 1000 characters) set.

        An id X forgets between steps (expired, unknown) starts the upload over once.
        """
        for round_ in range(2):
            try:
                media_id = self._send_bytes(image)
                if alt_text and alt_text.strip():
                    self._call("POST", METADATA, json={
                        "id": media_id,
                        "metadata": {"alt_text": {"text": cut_alt_text(alt_text)}}})
                return media_id
            except _Forgotten as exc:
                if round_:
                    raise ImageError(f"X lost the upload: {exc}", transient=True) from exc
        raise AssertionError("unreachable")

    def _send_bytes(self, image: ImageFile) -> str:
        category = "tweet_gif" if image.animated else "tweet_image"
        init = self._call("POST", UPLOAD, params={
            "command": "INIT", "media_type": image.media_type,
            "total_bytes": str(image.size), "media_category": category})
        media_id = str(init["data"]["id"])
        for index, start in enumerate(range(0, image.size, CHUNK_BYTES)):
            self._call("POST", UPLOAD, step=True,
                       data={"command": "APPEND", "media_id": media_id, "segment_index": str(index)},
                       files={"media": ("blob", image.data[start:start + CHUNK_BYTES],
                                        "application/octet-stream")})
        final = self._call("POST", UPLOAD, step=True,
                           params={"command": "FINALIZE", "media_id": media_id})
        self._wait_processed(media_id, final.get("data", {}))
        return media_id

    def _wait_processed(self, media_id: str, data: dict[str, Any]) -> None:
        """Poll STATUS until X says ``succeeded`` (images usually need no wait at all)."""
        deadline = time.monotonic() + self._max_processing_wait
        info = data.get("processing_info")
        while info is not None:
            state = info.get("state")
            if state == "succeeded":
                return
            if state == "failed":
                said = (info.get("error") or {}).get("message") or "processing failed"
                raise ImageError(f"X refused the image: {said}")
            wait = float(info.get("check_after_secs") or 1)
            if time.monotonic() + wait > deadline:
                raise ImageError("X took too long to process the image", transient=True)
            self._sleep(wait)
            status = self._call("GET", UPLOAD, step=True,
                                params={"command": "STATUS", "media_id": media_id})
            info = status.get("data", {}).get("processing_info")

    # -- one request, retried -------------------------------------------------------------
    def _call(self, method: str, route: str, *, step: bool = False, **kwargs: Any) -> dict[str, Any]:
        """One media request, repeated on faults; ``step`` marks calls naming a media id."""
        last = ""
        for attempt in range(self._attempts):
            try:
                return self._request(method, route, **kwargs)
            except (HTTPException, requests.RequestException) as exc:
                if isinstance(exc, (tweepy.BadRequest, tweepy.NotFound)):
                    said = platform_message(exc)
                    if step and any(word in said.lower() for word in _EXPIRED):
                        raise _Forgotten(said) from exc
                    raise ImageError(f"X refused the image: {said}") from exc
                if isinstance(exc, (tweepy.Unauthorized, tweepy.Forbidden)):
                    raise ImageError(f"X refused the upload: {platform_message(exc)}") from exc
                error = translate(exc)
                last = str(error)
                wait = self._wait_for(error, attempt)
                if wait is None:
                    break
                self._sleep(wait)
        raise ImageError(f"upload to X failed after {self._attempts} tries: {last}", transient=True)

    def _wait_for(self, error: Exception, attempt: int) -> float | None:
        if attempt + 1 >= self._attempts:
            return None
        if isinstance(error, RateLimitedError):
            if error.reset_at is not None:
                wait = error.reset_at.timestamp() - time.time() + 0.05
            else:
                wait = error.retry_after or self._max_rate_wait + 1
            return max(0.0, wait) if wait <= self._max_rate_wait else None
        return float(min(self._max_backoff, self._backoff * 2.0**attempt))

    def _request(self, method: str, route: str, **kwargs: Any) -> dict[str, Any]:
        client = self._client
        auth = tweepy.OAuth1UserHandler(client.consumer_key, client.consumer_secret,
                                        client.access_token, client.access_token_secret)
        with client.session.request(method, self._host + route, auth=auth.apply_auth(),
                                    headers={"User-Agent": client.user_agent},
                                    **kwargs) as response:
            _raise_for(response)
            if not response.content:
                return {}
            body = response.json()
            return body if isinstance(body, dict) else {}


class _Forgotten(Exception):
    """X no longer knows the media id (expired or unknown): the upload starts over."""


def cut_alt_text(text: str, limit: int = MAX_ALT_TEXT) -> str:
    """Alt text within X's limit, cut at a word where one is near, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space >= limit * 0.8:
        head = head[:space]
    return head.rstrip(" ,;:.-") + "…"


def _raise_for(response: requests.Response) -> None:
    """Raise tweepy's exception for an error answer, as tweepy's own ``request`` does."""
    status = response.status_code
    if 200 <= status < 300:
        return
    kinds: dict[int, type[HTTPException]] = {400: tweepy.BadRequest, 401: tweepy.Unauthorized,
                                             403: tweepy.Forbidden, 404: tweepy.NotFound}
    if status == 429:
        reset = response.headers.get("x-rate-limit-reset")
        raise tweepy.TooManyRequests(response, reset_time=int(reset) if reset and reset.isdigit()
                                     else None)
    if status in kinds:
        raise kinds[status](response)
    if status >= 500:
        raise tweepy.TwitterServerError(response)
    raise HTTPException(response)

"""The fake X API v2 media endpoints: chunked and one-shot uploads, STATUS, alt-text metadata.

``POST /2/media/upload`` with ``command`` INIT (``media_type``, ``total_bytes``,
``media_category``), APPEND (``media_id``, ``segment_index``, file ``media``) and FINALIZE
(``media_id``); without ``command`` and with a ``media`` file it is the one-shot upload.
``GET /2/media/upload?command=STATUS&media_id=…`` answers the processing state.
``POST /2/media/metadata`` takes ``{"id", "metadata": {"alt_text": {"text"}}}`` (≤ 1000 chars).

Refusals as X words them: an unsupported type ("media type unrecognized."), a file over the
image limit (5 MB), an unknown or expired media id. FINALIZE checks the bytes (Pillow decodes
them), not the declared type alone. Write requests take faults from ``media_faults`` when set,
else from the app's plan. A post may carry only media this fake issued to the same account,
finalized, processed and not expired (``check_for_post``).
"""

from __future__ import annotations

import io
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, UnidentifiedImageError

from tests.fakes import faults as F
from tests.fakes.httpbase import Reply, Request
from tests.fakes.x_objects import XAccount, XAPIError, invalid, problem

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_GIF_BYTES = 15 * 1024 * 1024
MAX_SEGMENTS = 1000
MAX_ALT_TEXT = 1000
UNRECOGNIZED = "media type unrecognized."
INVALID_IDS = "Your media IDs are invalid."
NOT_FOUND = "BadRequest: Not found"


@dataclass
class Upload:
    """One media id: who owns it, what came, and where it stands."""

    id: str
    owner: str
    media_type: str
    category: str
    total_bytes: int
    expires_at: float
    segments: dict[int, bytes] = field(default_factory=dict)
    state: str = "initialized"  # initialized → finalized (→ processing → succeeded | failed)
    ready_at: float = 0.0
    data: bytes = b""
    width: int = 0
    height: int = 0
    alt_text: str | None = None

    def describe(self) -> dict[str, Any]:
        """JSON-ready facts (no bytes): for ``/_fake/state``."""
        return {
            "id": self.id, "owner": self.owner, "media_type": self.media_type,
            "category": self.category, "size": len(self.data), "w": self.width,
            "h": self.height, "state": self.state, "alt_text": self.alt_text,
        }


def _bad_request(message: str) -> XAPIError:
    """The bare 400 X answers for media it cannot use."""
    return XAPIError(400, {"errors": [{"message": message}], "title": "Invalid Request",
                           "detail": "One or more parameters to your request was invalid.",
                           "type": "https://api.twitter.com/2/problems/invalid-request"})


class XMedia:
    """Media state of the fake X API; one per ``XFake``."""

    def __init__(self, *, ttl_seconds: float = 86_400.0, processing_seconds: float = 0.0) -> None:
        self.ttl_seconds = ttl_seconds
        self.processing_seconds = processing_seconds
        self.faults: F.FaultPlan | None = None
        self.uploads: dict[str, Upload] = {}
        self._next_id = 1_900_000_000_000_000_000
        self._lock = threading.RLock()

    # -- routing ----------------------------------------------------------------------------
    @staticmethod
    def handles(path: str) -> bool:
        """True for the media routes."""
        return path in ("/2/media/upload", "/2/media/metadata")

    def route(self, account: XAccount, request: Request, plan: F.FaultPlan,
              limits: F.Limits, extra: dict[str, Any]) -> Reply:
        """Answer one media request (faults apply to writes, as on ``POST /2/tweets``)."""
        path, method = request.path.rstrip("/"), request.method
        command = str(request.params.get("command", "")).upper()
        extra["command"] = command or ("METADATA" if path.endswith("metadata") else "UPLOAD")
        if method == "GET" and path == "/2/media/upload" and command == "STATUS":
            return self._status(account, request.params)
        if method != "POST":
            raise XAPIError(404, problem(404, "Not Found Error", f"no route {method} {path}"))
        key = f"media:{account.user_id}"
        until = limits.check(key, path)
        if until is not None:
            extra["violation"] = True
            return _too_many(math.ceil(until))
        fault = (self.faults or plan).pick()
        extra["fault"] = fault
        if fault == F.RATE_LIMIT:
            reset = math.ceil(time.time()) + (self.faults or plan).retry_after
            limits.block(key, reset)
            return _too_many(reset)
        if fault == F.SERVER_ERROR:
            raise XAPIError(503, problem(503, "Service Unavailable", "Service Unavailable"))
        if fault == F.DROP_BEFORE:
            return Reply(0, drop=True)
        reply = self._write(account, request, path, command)
        if fault == F.SLOW:
            reply.delay = (self.faults or plan).slow_seconds
        elif fault == F.DROP_AFTER:
            reply.drop = True
        return reply

    def _write(self, account: XAccount, request: Request, path: str, command: str) -> Reply:
        if path == "/2/media/metadata":
            return self._metadata(account, request.json)
        if command == "INIT":
            return self._init(account, request.params)
        if command == "APPEND":
            return self._append(account, request.params, request.files)
        if command == "FINALIZE":
            return self._finalize(account, request.params)
        if not command and "media" in request.files:
            return self._one_shot(account, request.params, request.files["media"])
        raise invalid("command", f"The `command` value [{command}] is not one of "
                                 "[INIT, APPEND, FINALIZE, STATUS].")

    # -- commands ---------------------------------------------------------------------------
    def _init(self, account: XAccount, params: dict[str, Any]) -> Reply:
        media_type = str(params.get("media_type", ""))
        if media_type not in IMAGE_TYPES:
            raise _bad_request(UNRECOGNIZED)
        try:
            total = int(params.get("total_bytes", ""))
        except ValueError:
            raise invalid("total_bytes", "The `total_bytes` field is required.") from None
        category = str(params.get("media_category") or "tweet_image")
        if category not in ("tweet_image", "tweet_gif"):
            raise invalid("media_category", f"Unsupported media_category [{category}].")
        _check_size(total, category)
        upload = self._new(account, media_type, category, total)
        return Reply(200, {"data": {"id": upload.id, "media_key": f"3_{upload.id}",
                                    "expires_after_secs": int(self.ttl_seconds)}})

    def _append(self, account: XAccount, params: dict[str, Any], files: dict[str, bytes]) -> Reply:
        upload = self._find(account, str(params.get("media_id", "")))
        if upload.state != "initialized":
            raise _bad_request(f"Media id {upload.id} is already finalized.")
        try:
            index = int(params.get("segment_index", ""))
        except ValueError:
            raise invalid("segment_index", "The `segment_index` field is required.") from None
        if not 0 <= index < MAX_SEGMENTS:
            raise invalid("segment_index", f"segment_index must be between 0 and {MAX_SEGMENTS - 1}")
        chunk = files.get("media")
        if chunk is None:
            raise invalid("media", "The `media` file part is required.")
        with self._lock:
            upload.segments[index] = chunk  # a repeated segment replaces the earlier copy
            size = sum(len(s) for s in upload.segments.values())
        if size > upload.total_bytes:
            raise _bad_request("Segments exceed the total_bytes given to INIT.")
        return Reply(200, {"data": {"expires_at": int(upload.expires_at)}})

    def _finalize(self, account: XAccount, params: dict[str, Any]) -> Reply:
        upload = self._find(account, str(params.get("media_id", "")))
        with self._lock:
            if upload.state == "initialized":
                data = b"".join(upload.segments[i] for i in sorted(upload.segments))
                if len(data) != upload.total_bytes:
                    raise _bad_request("Segments do not add up to provided total file size.")
                self._accept(upload, data)
        return Reply(201, {"data": self._media_json(upload)})

    def _one_shot(self, account: XAccount, params: dict[str, Any], data: bytes) -> Reply:
        category = str(params.get("media_category") or "tweet_image")
        _check_size(len(data), category)
        upload = self._new(account, str(params.get("media_type") or ""), category, len(data))
        with self._lock:
            self._accept(upload, data)
        return Reply(200, {"data": self._media_json(upload)})

    def _status(self, account: XAccount, params: dict[str, Any]) -> Reply:
        try:
            upload = self._find(account, str(params.get("media_id", "")))
        except XAPIError:
            raise _bad_request(NOT_FOUND) from None
        return Reply(200, {"data": self._media_json(upload)})

    def _metadata(self, account: XAccount, body: Any) -> Reply:
        if not isinstance(body, dict) or "id" not in body:
            raise invalid("id", "The `id` field is required.")
        upload = self._find(account, str(body["id"]))
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
        if not isinstance(alt, str):
            raise invalid("metadata.alt_text.text", "The `alt_text.text` field is required.")
        if len(alt) > MAX_ALT_TEXT:
            raise invalid("metadata.alt_text.text",
                          f"alt_text.text must be at most {MAX_ALT_TEXT} characters.")
        with self._lock:
            upload.alt_text = alt
        return Reply(200, {"data": {"id": upload.id, "associated_metadata": True}})

    # -- the post side ----------------------------------------------------------------------
    def check_for_post(self, account: XAccount, media_ids: Any) -> list[str]:
        """The media ids a post may carry, or the 400 X gives for ids it cannot use."""
        if not isinstance(media_ids, list) or not 1 <= len(media_ids) <= 4:
            raise invalid("media.media_ids", INVALID_IDS)
        now = time.time()
        with self._lock:
            for media_id in media_ids:
                upload = self.uploads.get(str(media_id))
                if (upload is None or upload.owner != account.user_id or upload.expires_at <= now
                        or self._state(upload, now) != "succeeded"):
                    raise invalid("media.media_ids", INVALID_IDS)
        return [str(m) for m in media_ids]

    # -- helpers ----------------------------------------------------------------------------
    def _new(self, account: XAccount, media_type: str, category: str, total: int) -> Upload:
        with self._lock:
            media_id = str(self._next_id)
            self._next_id += 1
            upload = Upload(media_id, account.user_id, media_type, category, total,
                            expires_at=time.time() + self.ttl_seconds)
            self.uploads[media_id] = upload
        return upload

    def _find(self, account: XAccount, media_id: str) -> Upload:
        upload = self.uploads.get(media_id)
        if upload is None or upload.owner != account.user_id:
            raise invalid("media_id", f"The media_id [{media_id}] is not known.")
        if upload.expires_at <= time.time():
            raise invalid("media_id", f"The media_id [{media_id}] has expired.")
        return upload

    def _accept(self, upload: Upload, data: bytes) -> None:
        """Check the bytes are the image they claim to be; mark the upload finalized."""
        try:
            with Image.open(io.BytesIO(data)) as image:
                found = image.format
                image.verify()
                width, height = image.size
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            upload.state = "failed"
            raise _bad_request(UNRECOGNIZED) from None
        declared = IMAGE_TYPES.get(upload.media_type)
        if found not in IMAGE_TYPES.values() or (declared is not None and declared != found):
            upload.state = "failed"
            raise _bad_request(UNRECOGNIZED)
        if upload.media_type not in IMAGE_TYPES:
            upload.media_type = next(t for t, f in IMAGE_TYPES.items() if f == found)
        _check_size(len(data), upload.category)
        upload.data, upload.width, upload.height = data, width, height
        upload.segments.clear()
        upload.state = "finalized"
        upload.ready_at = time.time() + self.processing_seconds

    def _state(self, upload: Upload, now: float) -> str:
        if upload.state != "finalized":
            return upload.state
        return "succeeded" if now >= upload.ready_at else "in_progress"

    def _media_json(self, upload: Upload) -> dict[str, Any]:
        now = time.time()
        data: dict[str, Any] = {
            "id": upload.id, "media_key": f"3_{upload.id}", "size": len(upload.data),
            "expires_after_secs": max(0, int(upload.expires_at - now)),
        }
        if upload.state == "finalized":
            data["image"] = {"image_type": upload.media_type, "w": upload.width, "h": upload.height}
        if self.processing_seconds > 0 or upload.state == "failed":
            state = self._state(upload, now)
            info: dict[str, Any] = {"state": state}
            if state == "in_progress":
                info["check_after_secs"] = max(1, math.ceil(upload.ready_at - now))
            data["processing_info"] = info
        return data

    def configure(self, values: dict[str, Any]) -> None:
        """``media_ttl_seconds``, ``media_processing_seconds``, ``media_faults`` (a plan or null)."""
        if "media_ttl_seconds" in values:
            self.ttl_seconds = float(values["media_ttl_seconds"])
        if "media_processing_seconds" in values:
            self.processing_seconds = float(values["media_processing_seconds"])
        if "media_faults" in values:
            spec = values["media_faults"]
            if spec is None:
                self.faults = None
            else:
                self.faults = self.faults or F.FaultPlan()
                self.faults.configure(spec)

    def expire(self, media_id: str) -> None:
        """Make a media id expire now (a test's shortcut past the TTL)."""
        with self._lock:
            self.uploads[media_id].expires_at = time.time() - 1

    def state(self) -> list[dict[str, Any]]:
        """Every media id issued, as JSON-ready facts."""
        with self._lock:
            return [u.describe() for u in self.uploads.values()]

    def reset(self) -> None:
        """Forget every upload."""
        with self._lock:
            self.uploads.clear()


def _check_size(size: int, category: str) -> None:
    limit = MAX_GIF_BYTES if category == "tweet_gif" else MAX_IMAGE_BYTES
    if size > limit:
        raise _bad_request(f"File size exceeds {limit} bytes.")


def _too_many(reset: int) -> Reply:
    return Reply(429, problem(429, "Too Many Requests", "Too Many Requests"),
                 headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)})

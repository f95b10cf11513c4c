"""The outbox: a dry-run target appends one JSON object per post to ``<outbox_dir>/<target>.jsonl``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bot.domain.models import PublishReceipt
from bot.domain.ports import Clock, PublishRequest, ReviseRequest


class OutboxPublisher:
    """Writes posts to files instead of a platform; goes through the same delivery states."""

    reconciles = True

    def __init__(self, *, directory: Path, clock: Clock, echo: bool = True) -> None:
        self.directory = directory
        self.clock = clock
        self.echo = echo

    def _file(self, target: str) -> Path:
        return self.directory / f"{target}.jsonl"

    async def publish(self, request: PublishRequest) -> PublishReceipt:
        """Append the post as one JSON line (fsynced) and return outbox ids."""
        self.directory.mkdir(parents=True, exist_ok=True)
        ids = tuple(f"outbox-{request.delivery_id}-{i + 1}" for i in range(len(request.post.parts)))
        record: dict[str, Any] = {
            "target": request.target,
            "platform": request.platform.value,
            "article_id": request.article_id,
            "delivery_id": request.delivery_id,
            "url": request.url,
            "chat": request.chat,
            "text": request.post.parts[0],
            "parts": list(request.post.parts),
            "image_url": request.post.image_url,
            "parse_mode": None if request.plain_text else request.post.parse_mode,
            "post_ids": list(ids),
            "written_at": self.clock.now().isoformat(),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        path = self._file(request.target)
        if path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n"):
            line = "\n" + line  # a line cut by a crash stays alone on its line
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        if self.echo:
            first = request.post.parts[0].replace("\n", " ")
            print(f"[outbox {request.target}] article {request.article_id}: {first[:120]}",
                  flush=True)
        return PublishReceipt(ids, permalink=f"file://{self._file(request.target).resolve()}")

    async def find_published(self, request: PublishRequest) -> PublishReceipt | None:
        """Look for this delivery in the target's outbox file (after a crash mid-write)."""
        path = self._file(request.target)
        if not path.exists():
            return None
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut by a crash: that write did not happen
                if record.get("delivery_id") == request.delivery_id:
                    return PublishReceipt(tuple(record["post_ids"]),
                                          permalink=f"file://{path.resolve()}")
        return None

    def _append(self, target: str, record: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._file(target)
        line = json.dumps(record, ensure_ascii=False) + "\n"
        if path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n"):
            line = "\n" + line
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def _revision(self, action: str, request: ReviseRequest, **extra: Any) -> dict[str, Any]:
        return {"action": action, "target": request.target, "delivery_id": request.delivery_id,
                "revision_id": request.revision_id, "post_ids": list(request.post_ids),
                "written_at": self.clock.now().isoformat(), **extra}

    async def edit(self, request: ReviseRequest) -> tuple[str, ...]:
        """Append an ``edit`` record with the new parts; the ids stay."""
        assert request.post is not None
        self._append(request.target, self._revision("edit", request,
                                                    parts=list(request.post.parts)))
        return request.post_ids

    async def reply(self, request: ReviseRequest) -> str:
        """Append a ``reply`` record carrying the correction."""
        assert request.post is not None
        reply_id = f"outbox-r{request.revision_id}"
        self._append(request.target, self._revision("reply", request, text=request.post.text,
                                                    reply_id=reply_id))
        return reply_id

    async def find_reply(self, request: ReviseRequest) -> str | None:
        """The reply this revision wrote, if its line is in the file."""
        for record in read_outbox(self.directory, request.target, strict=False):
            if record.get("action") == "reply" and record.get("revision_id") == request.revision_id:
                return str(record["reply_id"])
        return None

    async def delete(self, request: ReviseRequest) -> None:
        """Append a ``delete`` record (the file keeps what was written; it is a log)."""
        self._append(request.target, self._revision("delete", request))

    async def aclose(self) -> None:
        """Nothing to release."""


def read_outbox(directory: Path, target: str, *, strict: bool = True) -> list[dict[str, Any]]:
    """Every record in a target's outbox file (for status, tests and demos); posts have no
    ``action``, revisions have ``edit``, ``reply`` or ``delete``. ``strict=False`` skips a
    line cut by a crash."""
    path = directory / f"{target}.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line:
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            if strict:
                raise
    return out



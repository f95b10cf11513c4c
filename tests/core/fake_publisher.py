"""A recording publisher whose answers a test scripts: the fake for the Publisher port."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from bot.domain.errors import PublishError
from bot.domain.models import PublishReceipt
from bot.domain.ports import PublishRequest


@dataclass
class RecordingPublisher:
    """Records every request; raises the scripted errors in order, then succeeds."""

    reconciles: bool = False
    script: deque[PublishError] = field(default_factory=deque)
    sent: list[PublishRequest] = field(default_factory=list)
    delivered: dict[int, PublishReceipt] = field(default_factory=dict)
    deliver_on_error: bool = False
    next_id: int = 100

    async def publish(self, request: PublishRequest) -> PublishReceipt:
        """Send (record) the request or raise the next scripted error."""
        self.sent.append(request)
        ids = []
        for index in range(len(request.already_sent), len(request.post.parts)):
            if self.script:
                error = self.script.popleft()
                if self.deliver_on_error:
                    self.delivered[request.delivery_id] = PublishReceipt((str(self.next_id),))
                raise error
            self.next_id += 1
            ids.append(str(self.next_id))
            if request.on_part_sent:
                await request.on_part_sent(index, str(self.next_id))
        receipt = PublishReceipt((*request.already_sent, *ids), f"https://example/{ids[-1]}")
        self.delivered[request.delivery_id] = receipt
        return receipt

    async def find_published(self, request: PublishRequest) -> PublishReceipt | None:
        """What was delivered for this delivery, if anything."""
        if not self.reconciles:
            raise NotImplementedError
        return self.delivered.get(request.delivery_id)

    async def aclose(self) -> None:
        """Nothing to close."""

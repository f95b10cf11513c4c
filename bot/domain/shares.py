"""Which worker publishes to which target: an even split that moves few targets when a worker
comes or goes. Pure: the same targets and live workers give the same answer on every worker."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def _score(target: str, worker: str) -> bytes:
    return hashlib.sha256(f"{target}\x00{worker}".encode()).digest()


def fair_shares(targets: Iterable[str], workers: Iterable[str]) -> dict[str, str]:
    """Target → the worker that owns it.

    Every worker gets ``len(targets) // len(workers)`` targets or one more (the first workers
    in id order take the extra ones); each target goes to the worker that ranks it highest
    (rendezvous hashing) among those with room left, so a change of workers moves only about
    the targets it must.
    """
    names = sorted(set(targets))
    crew = sorted(set(workers))
    if not crew:
        return {}
    base, extra = divmod(len(names), len(crew))
    room = {w: base + (1 if i < extra else 0) for i, w in enumerate(crew)}
    wishes = sorted(((_score(t, w), t, w) for t in names for w in crew), reverse=True)
    owner: dict[str, str] = {}
    for _, target, worker in wishes:
        if target not in owner and room[worker] > 0:
            owner[target] = worker
            room[worker] -= 1
    return owner

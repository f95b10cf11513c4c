"""The planning horizon in words: why a delivery waits beyond it, and its place in line.

The planner stores one fixed reason on every delivery beyond its target's horizon (rewriting a
place on every row whenever the line moves would make planning proportional to the queue);
what staff read is its place in line, counted when they look (``QueueStore.place_in_line``).
"""

from __future__ import annotations

from bot.domain.models import Delivery, DeliveryState

WAITING = "waiting: "
"""How the reason of a delivery waiting for a place in the horizon begins."""


def waiting_reason(horizon: int) -> str:
    """The plan reason the planner stores on a delivery waiting beyond the planning horizon."""
    return (f"{WAITING}{horizon} posts are planned ahead of it; "
            "it gets a time as places free up")


def waits_for_place(d: Delivery) -> bool:
    """Is ``d`` pending beyond its target's horizon, waiting for a place? (No planned time,
    and the planner either said so or never looked at it: a batch is ranked against the
    horizon, and only the best of it is read.)"""
    return (d.state is DeliveryState.PENDING and d.planned_at is None
            and (d.plan_reason is None or d.plan_reason.startswith(WAITING)))


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``21st``, ``112th``."""
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def place_reason(target: str, place: int, planned: int) -> str:
    """A waiting delivery's reason as staff read it: its place among the deliveries waiting
    for ``target`` (1: the next to get a time) and how many posts hold a planned time."""
    posts = "post" if planned == 1 else "posts"
    return (f"{WAITING}{ordinal(place)} in line for {target} ({planned} {posts} planned "
            "ahead); it gets a time as places free up")

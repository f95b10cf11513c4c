"""Rows become domain objects by the dataclass's own fields: a column is described once, in
``tables.py``, and read into the field of the same name.

A field's type says how its value is read: an enum from its stored value, a tuple from a JSON
list, a bool from SQLite's integer. Columns with no field (``content_hash``, ``updated_at`` of an
article) stay in the store; fields with no column (``history``, ``article_url`` outside a join)
keep their defaults. ``tests/core/test_rows.py`` checks every table against its dataclass.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from bot.domain.models import Article, AttemptRecord, Delivery
from bot.store.tables import articles, attempts, deliveries

T = TypeVar("T")

def _reader(hint: Any) -> str:
    """An expression template (``{}`` is the stored value) reading a value of type ``hint``."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    optional = typing.get_origin(hint) in (typing.Union, types.UnionType)
    base = args[0] if optional and len(args) == 1 else hint
    origin = typing.get_origin(base) or base
    if isinstance(origin, type) and issubclass(origin, enum.Enum):
        name = f"{origin.__module__}.{origin.__qualname__}"
        return f"(None if {{0}} is None else _types[{name!r}]({{0}}))" if optional \
            else f"_types[{name!r}]({{0}})"
    if origin is tuple:
        return "(None if {0} is None else tuple({0}))" if optional else "tuple({0} or ())"
    if origin is bool:
        return "(None if {0} is None else bool({0}))" if optional else "bool({0})"
    return "{0}"


@functools.cache
def _compiled(cls: type[Any], columns: frozenset[str]) -> Callable[[Mapping[Any, Any]], Any]:
    """A function building ``cls`` from a row: generated once per class, as fast as a
    hand-written constructor call. Fields that are not columns are read when the row carries
    them (a join's extra label) and keep their defaults otherwise."""
    hints = typing.get_type_hints(cls)
    types_: dict[str, Any] = {}
    args = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        for a in (*typing.get_args(hint), hint):
            origin = typing.get_origin(a) or a
            if isinstance(origin, type) and issubclass(origin, enum.Enum):
                types_[f"{origin.__module__}.{origin.__qualname__}"] = origin
        expr = _reader(hint)
        if f.name in columns:
            args.append(f"{f.name}={expr.format(f'row[{f.name!r}]')}")
        elif f.default is not dataclasses.MISSING and f.default is None:
            args.append(f"{f.name}=(row[{f.name!r}] if {f.name!r} in row else None)")
    source = f"def build(row):\n    return _cls({', '.join(args)})\n"
    namespace: dict[str, Any] = {"_cls": cls, "_types": types_}
    exec(compile(source, f"<rows {cls.__name__}>", "exec"), namespace)
    build: Callable[[Mapping[Any, Any]], Any] = namespace["build"]
    return build


def from_row(cls: type[T], row: Mapping[Any, Any]) -> T:
    """A ``cls`` whose fields are read from the row's columns of the same names."""
    columns = _COLUMNS.get(cls) or frozenset(row.keys())
    build = _compiled(cls, columns)  # type: ignore[arg-type]
    result: T = build(row)
    return result


_COLUMNS: dict[type[Any], frozenset[str]] = {
    Article: frozenset(c.name for c in articles.columns),
    Delivery: frozenset(c.name for c in deliveries.columns),
    AttemptRecord: frozenset(c.name for c in attempts.columns),
}
_ARTICLE = _compiled(Article, _COLUMNS[Article])
_DELIVERY = _compiled(Delivery, _COLUMNS[Delivery])
_ATTEMPT = _compiled(AttemptRecord, _COLUMNS[AttemptRecord])


def field_names(cls: type[Any]) -> set[str]:
    """The names a row of ``cls`` may carry."""
    return {f.name for f in dataclasses.fields(cls)}


def article_from_row(row: Mapping[Any, Any]) -> Article:
    """An ``Article`` from an ``articles`` row."""
    result: Article = _ARTICLE(row)
    return result


def delivery_from_row(row: Mapping[Any, Any]) -> Delivery:
    """A ``Delivery`` from a ``deliveries`` row (history not loaded)."""
    result: Delivery = _DELIVERY(row)
    return result


def attempt_from_row(row: Mapping[Any, Any]) -> AttemptRecord:
    """An ``AttemptRecord`` from an ``attempts`` row."""
    result: AttemptRecord = _ATTEMPT(row)
    return result

"""The commits around every platform call, on the cheapest path the database offers.

Every post costs a claim (``pending`` → ``sending``, durable before the call) and a finish (the
outcome and the attempt's record, after it). They are most of the bot's own time per post, so
they skip SQLAlchemy's per-call layer (pool checkout, liveness ping, transaction events,
parameter handling) while keeping its SQL: each statement is a SQLAlchemy Core statement
compiled once for the engine's dialect, run on DBAPI connections held for this path alone.

* PostgreSQL: each commit is one statement in autocommit mode, one round trip; the finish's
  update and attempt insert are one statement (a data-modifying ``WITH``). Claims and progress
  use a connection with the server's ``synchronous_commit``; finishes use one with
  ``synchronous_commit = off`` (a finish the server loses in a crash leaves the row ``sending``,
  reconciled later, never resent; the WAL is one sequence, so the next durable claim carries
  every finish before it to disk).
* SQLite: an explicit ``BEGIN IMMEDIATE`` … ``COMMIT`` on a connection whose ``synchronous``
  level is set once: ``FULL`` for claims with ``durable_claims`` (a claim survives a power
  loss), ``NORMAL`` for finishes.

The connections are used by one thread at a time (a lock), from whichever thread calls; they are
opened on first use and reopened after a connection error.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from bot.store.tables import attempts, deliveries

_ATTEMPT_COLUMNS = ("delivery_id", "attempt_id", "started_at", "finished_at", "outcome",
                    "error_kind", "error")


@dataclass(frozen=True)
class Prepared:
    """A statement compiled once for one dialect, with its parameters' converters."""

    sql: str
    names: tuple[str, ...]  # positional paramstyle: in order (repeats included)
    positional: bool
    converters: Mapping[str, Callable[[Any], Any]]
    constants: Mapping[str, Any]  # literal values in the statement (``state = 'pending'``)

    @classmethod
    def of(cls, stmt: ClauseElement, engine: Engine) -> Prepared:
        """Compile ``stmt`` for ``engine``'s dialect (bind casts and paramstyle included)."""
        dialect = engine.dialect
        compiled = stmt.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        converters: dict[str, Callable[[Any], Any]] = {}
        constants: dict[str, Any] = {}
        for name, bind in compiled.binds.items():
            key = compiled.bind_names.get(bind, name)
            if not bind.required:
                constants[key] = bind.effective_value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                converters[key] = processor
        if compiled.positional:
            names = tuple(compiled.positiontup or ())
        else:
            names = tuple(compiled.bind_names.get(b, n) for n, b in compiled.binds.items())
        return cls(compiled.string, names, bool(compiled.positional), converters, constants)

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """``values`` (the statement's names; others ignored) converted for the driver, in its
        paramstyle."""
        conv = self.converters
        if self.constants:
            values = {**self.constants, **values}
        if self.positional:
            return tuple(conv[n](values[n]) if n in conv else values[n] for n in self.names)
        return {n: conv[n](values[n]) if n in conv else values[n] for n in self.names}


class _Held:
    """One DBAPI connection kept for this path, set up by ``setup`` when (re)opened."""

    def __init__(self, engine: Engine, setup: Callable[[Any], None]) -> None:
        self.engine = engine
        self.setup = setup
        self._fairy: Any = None
        self.dbapi: Any = None

    def get(self) -> Any:
        if self.dbapi is None:
            fairy = self.engine.raw_connection()  # the engine's own connect hooks (pragmas)
            dbapi = fairy.driver_connection
            fairy.detach()  # ours from now on: the pool neither resets nor reuses it
            self._fairy, self.dbapi = fairy, dbapi
            try:
                self.setup(self.dbapi)
            except Exception:
                self.close()
                raise
        return self.dbapi

    def close(self) -> None:
        fairy, self._fairy, self.dbapi = self._fairy, None, None
        if fairy is not None:
            fairy.close()

    def drop(self) -> None:
        """Forget a connection the server or the network broke: closed as it is, without the
        pool's reset (a rollback on a dead session only fails, loudly)."""
        dbapi, self._fairy, self.dbapi = self.dbapi, None, None
        if dbapi is not None:
            with contextlib.suppress(Exception):
                dbapi.close()


class SendPath:
    """Claim, progress and finish statements for deliveries, one short commit each."""

    def __init__(self, *, engine: Engine, durable_claims: bool, claim: Callable[..., Any],
                 part: ClauseElement, published: Any, release: ClauseElement,
                 mine: tuple[Any, ...]) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._lock = threading.Lock()
        # set up without a reference back to this object, so that it can be collected
        self._claims = _Held(engine, functools.partial(_configure, postgres=self.postgres,
                                                       durable=durable_claims))
        self._finishes = _Held(engine, functools.partial(_configure, postgres=self.postgres,
                                                         durable=False))
        self._claim = Prepared.of(claim(), engine)
        self._claim_leased = Prepared.of(claim(leased=True), engine)
        self._part = Prepared.of(part, engine)
        self._release = Prepared.of(release, engine)
        self._published = self._finish_statement(published)
        # PostgreSQL: a publish's record and the next claim as one statement (one round trip)
        self._then_claim = {leased: Prepared.of(self._record_then_claim(
            published, claim("c_", leased=leased)), engine) for leased in (False, True)
        } if self.postgres else {}
        self._attempt = Prepared.of(insert(attempts).values(
            {c: bindparam(c, type_=attempts.c[c].type) for c in _ATTEMPT_COLUMNS}), engine)
        self._mine = mine
        self._other: dict[frozenset[str], Prepared] = {}
        weakref.finalize(self, _close, self._claims, self._finishes)

    def _finish_statement(self, update_stmt: Any) -> Prepared:
        """The update plus the attempt's record: one statement on PostgreSQL."""
        if not self.postgres:
            return Prepared.of(update_stmt, self.engine)
        return Prepared.of(_record_attempt(update_stmt.returning(deliveries.c.id).cte("done")),
                           self.engine)

    @staticmethod
    def _record_then_claim(published: Any, claim: Any) -> Any:
        """``WITH done AS (update … RETURNING id), rec AS (INSERT attempt … FROM done),
        took AS (claim … RETURNING id) SELECT count(rec), count(took)``."""
        done = published.returning(deliveries.c.id).cte("done")
        rec = _record_attempt(done).returning(attempts.c.id).cte("rec")
        took = claim.returning(deliveries.c.id).cte("took")
        return select(select(func.count()).select_from(rec).scalar_subquery(),
                      select(func.count()).select_from(took).scalar_subquery())

    # -- statements -------------------------------------------------------------------------
    def claim(self, values: Mapping[str, Any], *, leased: bool) -> bool:
        """Run the claim; whether it took the delivery."""
        stmt = self._claim_leased if leased else self._claim
        return self._run(self._claims, stmt, values) > 0

    def release(self, values: Mapping[str, Any]) -> bool:
        """Undo a claim that was never used (a commit as cheap as a finish: one lost in a
        crash leaves the delivery ``sending``, settled like any interrupted send)."""
        return self._run(self._finishes, self._release, values) > 0

    def record_part(self, values: Mapping[str, Any]) -> None:
        """Store the ids of a thread's parts sent so far (durable, like the claim)."""
        self._run(self._claims, self._part, values)

    def finish(self, update_values: Mapping[str, Any] | None, set_values: Mapping[str, Any],
               key: Mapping[str, Any], attempt: Mapping[str, Any]) -> bool:
        """End an attempt: ``update_values`` for a publish (the prepared statement), else the
        columns in ``set_values``; plus the attempt's record, in one commit."""
        if update_values is not None:
            stmt, values = self._published, dict(update_values)
        else:
            stmt = self._other_statement(set_values)
            values = {**key, **{f"v_{n}": v for n, v in set_values.items()}}
        if self.postgres:
            values.update({f"a_{c}": attempt[c] for c in _ATTEMPT_COLUMNS[1:]})
            return self._run(self._finishes, stmt, values) > 0
        return self._sqlite_finish(stmt, values, attempt)

    def published_then_claim(self, published: Mapping[str, Any], attempt: Mapping[str, Any],
                             claim: Mapping[str, Any], *, leased: bool) -> tuple[bool, bool]:
        """Record a publish and claim the lane's next delivery in one durable commit: whether
        the record was written (the attempt still owned its delivery) and the claim took."""
        claim_stmt = self._claim_leased if leased else self._claim
        with self._using(self._claims) as conn:
            if self.postgres:
                stmt = self._then_claim[leased]
                values = {**published, **{f"a_{c}": attempt[c] for c in _ATTEMPT_COLUMNS[1:]},
                          **{f"c_{k}": v for k, v in claim.items()}}
                with conn.cursor() as cur:
                    cur.execute(stmt.sql, stmt.params(values))
                    row = cur.fetchone()
                return row[0] > 0, row[1] > 0
            with _sqlite_transaction(conn):
                n = conn.execute(self._published.sql, self._published.params(published)).rowcount
                if n:
                    conn.execute(self._attempt.sql, self._attempt.params(attempt))
                took = conn.execute(claim_stmt.sql, claim_stmt.params(claim)).rowcount
            return n > 0, took > 0

    def _other_statement(self, set_values: Mapping[str, Any]) -> Prepared:
        """The finish update for the columns a failure sets (compiled once per column set)."""
        names = frozenset(set_values)
        found = self._other.get(names)
        if found is None:
            params = {n: (deliveries.c.retries + 1 if n == "retries"
                          else bindparam(f"v_{n}", type_=deliveries.c[n].type))
                      for n in sorted(names)}
            stmt = update(deliveries).where(*self._mine).values(**params)
            found = self._other[names] = self._finish_statement(stmt)
        return found

    # -- running ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _using(self, held: _Held) -> Iterator[Any]:
        """``held``'s connection, for this thread alone; dropped (reopened on the next call)
        when the driver says the connection is gone."""
        dbapi = self.engine.dialect.dbapi
        gone = (dbapi.OperationalError, dbapi.InterfaceError) if dbapi else ()
        with self._lock:
            try:
                yield held.get()
            except gone:
                held.drop()
                raise

    def _run(self, held: _Held, stmt: Prepared, values: Mapping[str, Any]) -> int:
        with self._using(held) as conn:
            if self.postgres:
                with conn.cursor() as cur:
                    cur.execute(stmt.sql, stmt.params(values))
                    return int(cur.rowcount)
            with _sqlite_transaction(conn):
                return int(conn.execute(stmt.sql, stmt.params(values)).rowcount)

    def _sqlite_finish(self, stmt: Prepared, values: Mapping[str, Any],
                       attempt: Mapping[str, Any]) -> bool:
        with self._using(self._finishes) as conn, _sqlite_transaction(conn):
            n = conn.execute(stmt.sql, stmt.params(values)).rowcount
            if n:
                conn.execute(self._attempt.sql, self._attempt.params(attempt))
            return bool(n)

    def close(self) -> None:
        """Close the held connections (they reopen when used again)."""
        with self._lock:
            _close(self._claims, self._finishes)


def _configure(conn: Any, *, postgres: bool, durable: bool) -> None:
    """Set a held connection up: autocommit, and how durable its commits are."""
    if postgres:
        conn.autocommit = True
        if not durable:  # the claim connection keeps the server's own setting
            with conn.cursor() as cur:
                cur.execute("SET synchronous_commit TO OFF")
    else:
        conn.isolation_level = None  # explicit BEGIN/COMMIT (``_sqlite_transaction``)
        conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")


def _record_attempt(done: Any) -> Any:
    """``INSERT INTO attempts … SELECT`` the attempt's record for each row of ``done``."""
    row = select(done.c.id, *[bindparam(f"a_{c}", type_=attempts.c[c].type)
                              for c in _ATTEMPT_COLUMNS[1:]])
    return insert(attempts).from_select([attempts.c[c] for c in _ATTEMPT_COLUMNS], row)


@contextlib.contextmanager
def _sqlite_transaction(conn: Any) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on any error) on a raw SQLite connection."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _close(*held: _Held) -> None:
    for h in held:
        with contextlib.suppress(Exception):  # a broken connection: nothing left to release
            h.close()

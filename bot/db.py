"""Engine, sessions and migrations.

SQLite is the embedded default: WAL so that the bot and a CLI command can work at once,
foreign keys on, and a busy timeout instead of "database is locked" errors. SQLAlchemy,
not the sqlite3 module, begins SQLite's transactions (the recipe in SQLAlchemy's SQLite
dialect documentation, "Serializable isolation / Savepoints / Transactional DDL"):
sqlite3 would begin one only at the first write, so a SAVEPOINT taken before it (a
planner's section) would commit when released, outside the tick's transaction. A
transaction that writes (:func:`session_scope`) begins IMMEDIATE: it waits for the
write lock at its start, within the busy timeout, rather than failing when it first
writes after another connection did. Any other SQLAlchemy URL (PostgreSQL for a
province-wide deployment) is taken as it is, with ``pool_pre_ping``: a connection the
server dropped (PostgreSQL restarted) is tested and replaced when it is next taken from the
pool, so the bot carries on once the server is back (SQLAlchemy's "Dealing with
Disconnects", pessimistic handling). :data:`OUTAGE` says once that the database went
away and once that it is back, however many tries fail in between.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Column, Table, event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

log = logging.getLogger(__name__)


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached now (refused, dropped, shutting
    down, SQLite's file locked past its busy timeout), not that a statement is wrong: the
    DBAPI's OperationalError and InterfaceError (PEP 249), or a connection SQLAlchemy
    found invalidated."""
    return isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


# SQLite's "database is locked" (its busy timeout spent: another connection writes a long
# transaction); PostgreSQL's lock_not_available (55P03, lock_timeout spent) and
# query_canceled (57014, statement_timeout). The database is there, only busy.
_BUSY_WORDS = ("database is locked", "database table is locked", "lock timeout",
               "canceling statement due to")  # fmt: skip
_BUSY_CODES = frozenset({"55P03", "57014"})


def busy(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is busy (a lock waited for past its timeout),
    as opposed to away or a statement that is wrong: what to try again in a moment."""
    if not isinstance(exc, OperationalError | DBAPIError):
        return False
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    words = str(exc.orig).lower()
    return code in _BUSY_CODES or any(w in words for w in _BUSY_WORDS)


class Outage:
    """Whether the database answered at the last try, shared by everything in the process
    that uses it (the tick, the sender): one warning when it goes away, one info line when
    it is back, instead of a traceback at every try. Safe from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.since: str | None = None  # what the first failed try said, while it is away

    def failed(self, exc: BaseException, doing: str) -> bool:
        """``exc`` ended ``doing``: ``True`` if the database is away (said once, at its
        first failure), ``False`` if it is some other error, for the caller to log."""
        if not unreachable(exc):
            return False
        with self._lock:
            first, self.since = self.since is None, self.since or first_line(exc)
        if first:
            log.warning("database unreachable (%s): %s; retrying until it is back", doing,
                        self.since)  # fmt: skip
        return True

    def answered(self) -> None:
        """A try worked: if the database was away, say once that it is back."""
        if self.since is None:  # the usual case: no lock taken
            return
        with self._lock:
            was, self.since = self.since, None
        if was is not None:
            log.info("database reachable again")


def first_line(exc: BaseException) -> str:
    """The first line of what ``exc`` (or the driver's error under it) says: a log line's
    worth, without libpq's hints on the lines after it."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


#: The process's one view of the database's reachability.
OUTAGE = Outage()

T = TypeVar("T")
_WAIT_MAX = 30.0  # seconds between two tries while the database is away


async def until_answered(call: Callable[[], T], doing: str) -> T:
    """``call()`` (blocking, on the database) in a thread, tried again while the database
    is away (said once by :data:`OUTAGE`, ``doing`` naming the work), every 1, 2, 4 … 30
    seconds, however long: for what must not be dropped (an update an officer sent).
    Raises what is not an outage; cancelling the caller ends the waiting."""
    wait = 1.0
    while True:
        try:
            result = await asyncio.to_thread(call)
        except Exception as exc:
            if not OUTAGE.failed(exc, doing):
                raise
            await asyncio.sleep(wait)
            wait = min(wait * 2, _WAIT_MAX)
        else:
            OUTAGE.answered()
            return result


def make_engine(url: str, *, busy_timeout: float = 30) -> Engine:
    """The engine for ``url``; on SQLite a statement waits up to ``busy_timeout`` seconds
    for another connection's write lock before "database is locked"."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_timeout})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy begins the transactions (_sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _throwaway(dbapi_connection: Any, _record: Any) -> None:
    """A database copy that is thrown away needs no journal on disk nor a sync."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=MEMORY")
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction that writes: committed if the block ends normally, rolled back
    otherwise (on SQLite it holds the write lock from its start)."""
    writing = engine.execution_options(sqlite_begin="IMMEDIATE")  # a few µs: a view, no copy
    with Session(writing, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def scratch_session(engine: Engine) -> Iterator[Session]:
    """A session for work that is thrown away (an import's dry run), rolled back at the
    end, that holds no lock others wait for. On SQLite: a copy of the database in a
    temporary file, removed at the end (SQLite's backup API, under a read snapshot that
    blocks no writer; time and disk as the database's size, memory only SQLite's page
    cache: a copy in memory cost the whole database's size for each preview), since any
    write, even one rolled back, holds SQLite's one write lock, and a dry run of
    thousands of rows writes for a minute or more. Elsewhere (PostgreSQL): a session of
    its own, whose rows are locked only when updated, and only until its rollback."""
    if engine.dialect.name != "sqlite":
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
            finally:
                session.rollback()
        return
    folder = tempfile.TemporaryDirectory(prefix="dondoc-scratch-")
    copy = sqlite3.connect(Path(folder.name) / "copy.db", check_same_thread=False)
    try:
        with engine.connect() as source:
            driver: Any = source.connection.driver_connection
            driver.backup(copy)
        scratch = create_engine("sqlite://", creator=lambda: copy, poolclass=StaticPool)
        event.listen(scratch, "connect", _sqlite_connect)
        event.listen(scratch, "begin", _sqlite_begin)
        event.listen(scratch, "connect", _throwaway)
        with Session(scratch, expire_on_commit=False) as session:
            try:
                yield session
            finally:
                session.rollback()
        scratch.dispose()
    finally:
        copy.close()
        folder.cleanup()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def driver_value(dialect: Dialect, column: Column[Any]) -> Callable[[Any], Any]:
    """``column``'s values as SQLAlchemy hands them to the driver (its type's bind
    processor for the dialect: on SQLite a date or a time as text), so that a value made
    here is written byte for byte as the models write it, and compares equal to the
    same column read back raw (a cursor without SQLAlchemy's result processing)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return _same if process is None else _unless_none(process)


def _same(value: Any) -> Any:
    return value


def _unless_none(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else process(value)


def insert_values(
    conn: Connection, table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` of values in the driver's form (:func:`driver_value`), in the order
    of ``names``, in the connection's transaction: a ``COPY`` with psycopg (PostgreSQL;
    several times faster than even a pipelined executemany of INSERTs), else one
    executemany (SQLite)."""
    if not rows:
        return
    prep = conn.dialect.identifier_preparer
    into = f"{prep.format_table(table)} ({', '.join(prep.quote(n) for n in names)})"
    if conn.dialect.driver == "psycopg":  # psycopg 3: COPY from Python rows
        driver: Any = conn.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {into} FROM STDIN") as copy:
            for row in _dates_as_text(table, names, rows):
                copy.write_row(row)
        return
    # The values are the driver's already: past SQLAlchemy's processing, straight to it.
    marks = ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * len(names))
    conn.exec_driver_sql(f"INSERT INTO {into} VALUES ({marks})", list(rows))  # noqa: S608 - names from the table, not input


def _dates_as_text(
    table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> Iterable[Sequence[Any]]:
    """``rows`` with their dates and times as ISO text, each distinct value written once:
    psycopg formats a date or a time for COPY in a few µs, more than the rest of the row
    (the server reads the text as it would have read psycopg's)."""
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for index, name in enumerate(names):
        if _python_type(table.c[name]) not in (date, datetime):
            continue
        texts: dict[Any, Any] = {v: v.isoformat() for v in set(columns[index]) if v is not None}
        texts[None] = None
        columns[index] = list(map(texts.__getitem__, columns[index]))
    return zip(*columns, strict=True)


def _python_type(column: Column[Any]) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def local_day(dialect: Dialect, moment: Any, tz: ZoneInfo) -> sa.ColumnElement[date]:
    """The day in ``tz`` of ``moment``, a :class:`bot.models.UTCDateTime` column, in SQL:
    so that a query compares it with a date column without reading the rows. PostgreSQL
    converts with the zone's rules (``timezone(zone, timestamptz)``); SQLite, which keeps
    the UTC time as text, adds the zone's offset, which must then be fixed (Vietnam's has
    been UTC+7 since 1975): a zone with summer time is refused there."""
    if dialect.name == "postgresql":
        return sa.cast(sa.func.timezone(tz.key, moment), sa.Date)
    offsets = {datetime(2000, month, 1, tzinfo=tz).utcoffset() for month in (1, 7)}
    if len(offsets) != 1:
        raise ValueError(f"{tz.key}: an offset that changes cannot be applied on SQLite")
    minutes = int(offsets.pop().total_seconds() // 60)  # type: ignore[union-attr]
    return sa.func.date(moment, f"{minutes:+d} minutes", type_=sa.Date)


def count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """In an aggregate query, how many rows of the group meet ``condition``: 0, not NULL,
    when none does."""
    # Constants written into the SQL, not parameters.
    one: sa.ColumnElement[int] = sa.literal_column("1", sa.Integer())
    zero: sa.ColumnElement[int] = sa.literal_column("0", sa.Integer())
    return sa.func.coalesce(sa.func.sum(sa.case((condition, one), else_=zero)), zero)


#: Up to this many ids go in an ``IN`` list; past it, a query reads every row and its
#: caller keeps those it asked for (PostgreSQL takes at most 65,535 parameters).
IN_LIST_LIMIT = 1000


def among(column: Any, ids: Sequence[Any]) -> sa.ColumnElement[bool]:
    """``column IN ids`` when ``ids`` are few (:data:`IN_LIST_LIMIT`), else no condition:
    for queries grouped or keyed by ``column`` whose caller looks its ids up in the
    result, so that a thousand agencies never make a thousand parameters."""
    return column.in_(ids) if len(ids) <= IN_LIST_LIMIT else sa.true()

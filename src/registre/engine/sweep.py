"""Executing a plan: bounded batches, each audited before it acts, resumable at any point.

Each batch selects up to N primary keys of actionable rows (keyset on the key), commits an
audit entry naming the rule, the table, the count, the key range and a digest of the keys,
then runs one ``DELETE``/``UPDATE ... WHERE key IN (...) AND <still due>`` in a short
transaction and records the progress. Because the due predicate is evaluated again in the
write, a sweep killed anywhere and run again ends exactly where an uninterrupted one does.

Count caps are swept group by group (a few thousand devices at a time), so the window that
ranks the records only ever covers the groups of the current batch.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Engine

from registre._exceptions import MappingError, StoreError
from registre.engine.anonymize import KEYED, hmac_key, python_value
from registre.engine.plan import Hold, PersonHold, Plan, RecordHold, WorkItem, plan_store
from registre.engine.sql import PlanSql, Scope, compile_literal
from registre.register.model import Register
from registre.register.taxonomy import Action


@dataclass
class ItemCount:
    """What the plan finds for one item at the moment it is counted."""

    item: WorkItem
    due: int
    held: int
    blocked: int


@dataclass
class ItemResult:
    item: WorkItem
    changed: int = 0
    batches: int = 0
    longest_batch: float = 0.0
    """Seconds the longest write transaction held its locks."""


@dataclass
class StorePlan:
    """A plan bound to its live database."""

    store: str
    engine: Engine
    plan: Plan
    sql: PlanSql
    tables: dict[str, sa.Table] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def counts(self) -> list[ItemCount]:
        found = []
        try:
            with self.engine.connect() as connection:
                for item in self.plan.items:
                    due, held, blocked = connection.execute(self.sql.counts(item)).one()
                    found.append(
                        ItemCount(
                            item, int(due) - int(held) - int(blocked), int(held), int(blocked)
                        )
                    )
        except exc.DBAPIError as error:
            raise _store_error(self.store, "counting the due rows", error) from None
        return found

    def statements(self, item: WorkItem) -> list[str]:
        """The set-based statements equivalent to the item's batches, values inlined."""
        t = self.tables[item.table]
        select = sa.select(t.c[item.primary_key]).where(self.sql.actionable(item, t))
        texts = [compile_literal(select, self.engine.dialect)]
        if item.action == Action.delete or self.sql.in_sql(item):
            texts.append(compile_literal(self.sql.write(item, None), self.engine.dialect))
        return texts


def holds_from_state(holds: list[Any]) -> list[Hold]:
    """The state's active holds (``state.holds.active()``) as the planner reads them."""
    found: list[Hold] = []
    for hold in holds:
        if hold.identity:
            found.append(PersonHold(tuple(sorted(hold.identity.items()))))
        elif hold.store and hold.table and hold.key is not None:
            found.append(RecordHold(hold.store, hold.table, str(hold.key)))
    return found


def prepare(
    register: Register,
    store_id: str,
    at: datetime,
    *,
    url: str | None = None,
    holds: list[Hold] | None = None,
) -> StorePlan:
    """Connect to a store, check its mapping against the live schema, and plan the sweep."""
    from registre.stores import check_mapping, connect

    engine = connect(register, store_id, url)
    try:
        problems = check_mapping(register, store_id, engine)
        if problems:
            raise MappingError(
                f"store '{store_id}': the mapping does not match the database; nothing was written",
                problems=[str(p) for p in problems],
                hint="fix the 'stores:' section of the register or the database, then run again",
            )
        store = register.stores[store_id]
        names = set(store.tables) | ({store.tenants.table} if store.tenants else set())
        metadata = sa.MetaData()
        try:
            tables = {name: sa.Table(name, metadata, autoload_with=engine) for name in names}
            months = _tenant_months(register, store_id, engine, tables)
        except exc.DBAPIError as error:
            raise _store_error(store_id, "reading the schema", error) from None
        plan = plan_store(register, store_id, at, holds=holds or [], tenant_months=months)
    except BaseException:
        engine.dispose()
        raise
    return StorePlan(store_id, engine, plan, PlanSql(plan, tables, engine.dialect.name), tables)


def _tenant_months(
    register: Register, store_id: str, engine: Engine, tables: dict[str, sa.Table]
) -> list[int]:
    store = register.stores[store_id]
    agreed = any(rule.client_agreed for _, _, rule in register.rules())
    if not agreed or store.tenants is None or store.tenants.retention_months is None:
        return []
    column = tables[store.tenants.table].c[store.tenants.retention_months]
    with engine.connect() as connection:
        values = connection.execute(sa.select(column).distinct().where(column.is_not(None)))
        return sorted({int(v) for v in values.scalars()})


LOCK_NAME = "registre-sweep"
LOCK_WAIT_SECONDS = 5
_PG_LOCK = 0x7377_6565_70  # "sweep"; any constant other applications do not use


@contextmanager
def exclusive(sp: StorePlan) -> Iterator[None]:
    """Hold the store's sweep lock: a second sweep of the same database is refused.

    A session lock on PostgreSQL (advisory) and MySQL/MariaDB (``GET_LOCK``), released on exit
    or when the process dies, so a killed sweep never blocks the next one. SQLite allows one
    writer at a time anyway; nothing is taken there.
    """
    if sp.dialect not in ("postgresql", "mysql", "mariadb"):
        yield
        return
    if sp.dialect == "postgresql":  # advisory locks are per database already
        take = sa.select(sa.func.pg_try_advisory_lock(_PG_LOCK))
        release = sa.select(sa.func.pg_advisory_unlock(_PG_LOCK))
    else:  # GET_LOCK names are server-wide: name the database
        name = f"{LOCK_NAME}:{sp.engine.url.database}"[:64]
        take = sa.select(sa.func.get_lock(name, 0))
        release = sa.select(sa.func.release_lock(name))
    with sp.engine.connect() as connection:
        # a sweep killed a moment ago may still hold it until its server session notices
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        try:
            while not (taken := bool(connection.execute(take).scalar())):
                connection.commit()
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            connection.commit()
        except exc.DBAPIError as error:
            raise _store_error(sp.store, "taking the sweep lock", error) from None
        if not taken:
            raise StoreError(
                f"store '{sp.store}': another registre sweep is running on this database",
                hint="wait for it to finish; nothing was changed by this one",
            )
        try:
            yield
        finally:
            try:
                connection.execute(release)
                connection.commit()
            except exc.DBAPIError:
                pass  # the session is gone, and its lock with it


def require_keys(sp: StorePlan) -> None:
    """Fail before any write when an item needs ``REGISTRE_HMAC_KEY`` and it is not set."""
    for item in sp.plan.items:
        if any(method in KEYED for _, method in item.anonymize):
            hmac_key(required=True)


Audit = Callable[[str, dict[str, Any]], None]
"""Commits an audit entry (action, details) before the action it describes."""


def sweep_item(
    sp: StorePlan, item: WorkItem, *, batch_size: int, audit: Audit, progress: Callable[[int], None]
) -> ItemResult:
    """Sweep one item to the end; ``progress`` gets the rows changed by each batch.

    Statements are built once per item with bound parameters, so that SQLAlchemy compiles
    them once, whatever the number of batches.
    """
    result = ItemResult(item)
    python_rows = item.action == Action.anonymize and not sp.sql.in_sql(item)
    key = hmac_key(required=any(m in KEYED for _, m in item.anonymize)) if python_rows else b""
    stack = ExitStack()
    try:
        statements: dict[int, tuple[Any, ...]] = {}
        # one connection for the whole item: a checkout per batch costs a ping round trip
        connection = stack.enter_context(sp.engine.connect())
        for scope, params in _scopes(sp, item, batch_size, connection):
            if id(scope) not in statements:
                statements[id(scope)] = _statements(sp, item, scope, batch_size, python_rows)
            first, following, whole, write = statements[id(scope)]
            for keys in _key_batches(connection, params, first, following, whole, batch_size):
                audit(f"sweep.{item.action.value}", _batch_details(sp, item, keys))
                started = time.perf_counter()
                with connection.begin():
                    if write is None:
                        changed = _anonymize_in_python(
                            sp, item, keys, scope, params, connection, key
                        )
                    else:
                        bounds = {"keys": keys, "first_key": keys[0], "last_key": keys[-1]}
                        changed = connection.execute(write, {**params, **bounds}).rowcount
                held_for = time.perf_counter() - started
                result.batches += 1
                result.changed += changed
                result.longest_batch = max(result.longest_batch, held_for)
                progress(changed)
    except exc.DBAPIError as error:
        raise _store_error(sp.store, f"rule '{item.rule}' on table '{item.table}'", error) from None
    finally:
        stack.close()
    return result


def _statements(
    sp: StorePlan, item: WorkItem, scope: Scope | None, batch_size: int, python_rows: bool
) -> tuple[Any, ...]:
    """Key selections (first, following, whole group chunk) and the write, for one scope."""
    t = sp.tables[item.table]
    pk = t.c[item.primary_key]
    first = sp.sql.packed(sp.sql.select_keys(item, limit=batch_size, scope=scope))
    following = sp.sql.packed(
        sp.sql.select_keys(item, after=sa.bindparam("after"), limit=batch_size, scope=scope)
    )
    whole = sp.sql.packed(sp.sql.select_keys(item, scope=scope))
    write = None
    if not python_rows:
        # the key range lets the planner walk the primary key, not the whole table
        write = sp.sql.write(item, None, scope).where(
            pk >= sa.bindparam("first_key"),
            pk <= sa.bindparam("last_key"),
            sp.sql.member(pk, "keys"),
        )
    return first, following, whole, write


def _key_batches(
    connection: sa.Connection,
    params: dict[str, Any],
    first: Any,
    following: Any,
    whole: Any,
    batch_size: int,
) -> Iterator[list[Any]]:
    """Keys of actionable rows, ``batch_size`` at a time, in key order.

    A chunk of count-cap groups is read at once (it holds about one batch of rows): with
    ``ORDER BY key LIMIT n`` the planner would walk the whole primary key to find them.
    Elsewhere, keyset pagination: each batch starts after the last key of the previous one.
    """
    if "groups" in params:
        keys = _fetch_keys(connection, whole, params)
        connection.commit()  # end the read: SQLite would not let the write commit otherwise
        for start in range(0, len(keys), batch_size):
            yield keys[start : start + batch_size]
        return
    last: Any = None
    while True:
        query = first if last is None else following
        keys = _fetch_keys(connection, query, {**params, "after": last})
        connection.commit()
        if not keys:
            return
        yield keys
        if len(keys) < batch_size:
            return
        last = keys[-1]


def _fetch_keys(connection: sa.Connection, query: Any, params: dict[str, Any]) -> list[Any]:
    """Keys from a plain selection, or from the one array :meth:`PlanSql.packed` makes."""
    rows = connection.execute(query, params).all()
    if len(rows) == 1 and isinstance(rows[0][0], list | type(None)):
        return list(rows[0][0] or [])
    return [row[0] for row in rows]


def _batch_details(sp: StorePlan, item: WorkItem, keys: list[Any]) -> dict[str, Any]:
    digest = hashlib.sha256("\n".join(str(k) for k in keys).encode()).hexdigest()
    return {
        "store": sp.store,
        "activity": item.activity,
        "rule": item.rule,
        "table": item.table,
        "action": item.action.value,
        "fields": list(item.fields),
        "count": len(keys),
        "first_key": str(keys[0]),
        "last_key": str(keys[-1]),
        "keys_sha256": digest,
        "at": sp.plan.at.isoformat(),
    }


def _scopes(
    sp: StorePlan, item: WorkItem, batch_size: int, connection: sa.Connection
) -> Iterator[tuple[Scope | None, dict[str, Any]]]:
    """The whole table, or for a count cap its groups a few at a time (NULL group first)."""
    cap = item.count_cap
    if cap is None:
        yield None, {}
        return
    per = cap.per
    yield (lambda t: t.c[per].is_(None)), {}
    in_groups: Scope = lambda t: sp.sql.member(t.c[per], "groups")  # noqa: E731
    after: Any = None
    limit = max(1, batch_size // (cap.count * 2))
    while True:
        groups = connection.execute(sp.sql.partitions(item, after=after, limit=limit)).all()
        connection.commit()
        if not groups:
            return
        values = [group[0] for group in groups]
        yield in_groups, {"groups": values}
        after = values[-1]
        average = max(1.0, sum(int(group[1]) for group in groups) / len(groups))
        limit = min(5000, max(1, int(batch_size / average)))


def _anonymize_in_python(
    sp: StorePlan,
    item: WorkItem,
    keys: list[Any],
    scope: Scope | None,
    params: dict[str, Any],
    connection: sa.Connection,
    key: bytes,
) -> int:
    t = sp.tables[item.table]
    pk = t.c[item.primary_key]
    query = sa.select(pk, *(t.c[c] for c, _ in item.anonymize)).where(
        pk.in_(keys), sp.sql.actionable(item, t, scope)
    )
    if sp.dialect != "sqlite":
        query = query.with_for_update()
    rows = connection.execute(query, params).all()
    if not rows:
        return 0
    updates = []
    for row in rows:
        values = {"k_": row[0]}
        for index, (column, method) in enumerate(item.anonymize, start=1):
            length = getattr(t.c[column].type, "length", None)
            values[f"v_{column}"] = python_value(method, row[index], key=key, length=length)
        updates.append(values)
    assignments: dict[str, Any] = {c: sa.bindparam(f"v_{c}") for c, _ in item.anonymize}
    if item.marker is not None:
        assignments[item.marker] = sp.sql.marker_value(item)
    statement = sa.update(t).where(pk == sa.bindparam("k_")).values(assignments)
    connection.execute(statement, updates)
    return len(rows)


def _store_error(store: str, doing: str, error: exc.DBAPIError) -> StoreError:
    reason = (str(error.orig).strip() or type(error.orig).__name__).splitlines()[0]
    hint = "committed batches stay committed; fix the cause and run the sweep again to resume"
    if isinstance(error, exc.IntegrityError):
        hint = (
            "a table the register does not map still references these rows: map it, so "
            "that the sweep knows its rows depend on them; " + hint
        )
    return StoreError(f"store '{store}': {doing} failed: {reason}", hint=hint)

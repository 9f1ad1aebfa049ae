"""A plan bound to its live database: connecting, checking the mapping, counting what is due.

:func:`prepare` reflects the store's tables, checks them against the register's mapping and
plans the sweep (:func:`registre.engine.plan.plan_store`); :meth:`StorePlan.counts` tells, per
item, what the sweep will find. The holds and restrictions in force come from the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Engine

from registre._exceptions import MappingError, StoreError
from registre.engine.forecast import Forecast
from registre.engine.plan import plan_store
from registre.engine.sql import PlanSql, compile_literal
from registre.engine.work_items import Hold, PersonHold, Plan, RecordHold, WorkItem
from registre.register.model import Register
from registre.register.taxonomy import Action
from registre.stores.database_name import database_name

COUNT_WORK_MEM = "256MB"
"""PostgreSQL's ``work_mem`` for the transaction that counts a plan (:meth:`StorePlan.counts`)."""


@dataclass
class ItemCount:
    """What the plan finds for one item at the moment it is counted."""

    item: WorkItem
    due: int
    held: int
    blocked: int
    restricted: int = 0
    """Of the held rows, those of people who restricted processing (Art. 18)."""


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

    @property
    def target(self) -> str:
        """The database this store reaches, without credentials: what a sweep run is about.

        The backend, host, port and database name (SQLite: the file's absolute path), so that
        two URLs of one database with other users or passwords name it alike; two spellings of
        a host (``localhost`` and ``127.0.0.1``) do not.
        """
        return database_name(self.engine.url)

    def counts(self) -> list[ItemCount]:
        """Per item, what the sweep will find when it reaches it (see :mod:`.forecast`)."""
        forecast = Forecast(self.sql)
        found = []
        try:
            with self.engine.connect() as connection:
                if self.dialect == "postgresql":
                    # a count cap's ranking is matched by key (``id IN (ranked ...)``): with
                    # the default 4 MB, PostgreSQL cannot hash millions of keys and compares
                    # each row with a list instead (over ten minutes at 9.6 M rows, against
                    # 24 s); for this transaction only
                    connection.execute(sa.text(f"SET LOCAL work_mem = '{COUNT_WORK_MEM}'"))
                    # JIT compiling the counts took 438 ms of a 440 ms count on a small
                    # database; counting is one pass, where compiling never pays back
                    connection.execute(sa.text("SET LOCAL jit = off"))
                for item in self.plan.items:
                    query = forecast.counts(item)
                    due, held, blocked, restricted = connection.execute(query).one()
                    found.append(
                        ItemCount(
                            item,
                            int(due) - int(held) - int(blocked),
                            int(held),
                            int(blocked),
                            int(restricted),
                        )
                    )
        except exc.DBAPIError as error:
            raise store_error(self.store, "counting the due rows", error) from None
        return found

    def statements(self, item: WorkItem) -> list[str]:
        """The set-based statements equivalent to the item's batches, values inlined."""
        t = self.tables[item.table]
        select = sa.select(*(t.c[c] for c in item.primary_key)).where(self.sql.actionable(item, t))
        texts = [compile_literal(select, self.engine.dialect)]
        actionable = self.sql.actionable(item, t)
        for hop in item.unlinks:
            parents = sa.select(t.c[hop.target_column]).where(actionable)
            texts.append(compile_literal(self.sql.unlink(item, hop, parents), self.engine.dialect))
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


def restrictions_from_state(state: Any) -> list[Hold]:
    """The restrictions of processing (Art. 18) in force, one person hold each.

    One row per identity value of a request, in force until lifted, checked against the audit
    trail first (:meth:`registre.state.protections.Protections.restrictions_in_force`: a row
    removed by hand is a StateError). Each value is matched as requests match it
    (:mod:`registre.engine.identities`: phone numbers in any written form).
    """
    people = state.protections.restrictions_in_force()
    return [
        PersonHold(tuple(sorted(pairs)), reason="restriction")
        for _, pairs in sorted(people.items())
    ]


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
            raise store_error(store_id, "reading the schema", error) from None
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


def store_error(store: str, doing: str, error: exc.DBAPIError) -> StoreError:
    reason = (str(error.orig).strip() or type(error.orig).__name__).splitlines()[0]
    hint = "committed batches stay committed; fix the cause and run the sweep again to resume"
    if isinstance(error, exc.IntegrityError):
        hint = (
            "a table the register does not map still references these rows: map it, so "
            "that the sweep knows its rows depend on them; " + hint
        )
    return StoreError(f"store '{store}': {doing} failed: {reason}", hint=hint)

"""What a legal obligation still requires of a person's rows at the instant of their erasure.

Art. 17(3)(b) lets us keep what a legal obligation requires, and only for as long as it
requires it. For each of the person's rows in a table bound to rules of a legal obligation
(:func:`registre.requests.table_activities.legal_duty_rules`), every such rule is evaluated at the
request's instant with the sweep's own predicates (:class:`registre.engine.sql.PlanSql`), so
that an erasure and a sweep never disagree on what is due:

* a row past every deletion rule of the obligation is no longer kept: it is erased like any
  other row of the person;
* an anonymization rule past its clock no longer keeps its columns: they are anonymized now,
  with the register's methods;
* a kept row is kept until the latest of the days its deletion rules keep it to, a rule's day
  being its earliest started clock (the day before the row is due); unknown while one of those
  rules has no started clock (the account is not deleted yet).

Reads only, on the search's connections.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from registre.durations import local_date
from registre.engine import status_values
from registre.engine.plan import plan_store
from registre.engine.record_keys import Columns, key_in, key_of
from registre.engine.sql import PlanSql
from registre.engine.work_items import ClockCheck, Path, Plan, WorkItem
from registre.register.mapping import TableMapping
from registre.register.model import Register
from registre.register.taxonomy import Action
from registre.requests import table_activities
from registre.requests.find import BATCH, Finder, Found, Key, Reading, TableRows
from registre.requests.graph import StoreGraph
from registre.requests.table_activities import RuleRef


@dataclass(frozen=True)
class RowDuty:
    """What the obligation still requires of one kept row."""

    keeping: tuple[RuleRef, ...]
    """The obligation's rules not yet past for the row: their data is kept."""
    anonymize: tuple[tuple[str, str], ...]
    """Columns of the rules past their anonymization clock, with the register's methods."""
    until: date | None
    """The last day the row is kept; None when not known yet."""


Duties = dict[tuple[str, str], dict[Key, RowDuty | None]]
"""Per table under a legal obligation, per row: what is still required; None when nothing."""


def evaluate(
    register: Register, finder: Finder, found: Found, at: datetime, reading: Reading
) -> Duties:
    """The duties of every row of the person under a legal obligation, at ``at``."""
    tz = ZoneInfo(register.policy.timezone)
    plans: dict[str, PlanSql] = {}
    out: Duties = {}
    for rows in found:
        graph = finder.graphs_by_id[rows.store]
        mapping = graph.mapping(rows.table)
        duty = table_activities.legal_duty_rules(register, mapping)
        if not rows.rows or not duty or table_activities.processor_only(register, mapping):
            continue
        connection = reading.connection(rows.store)
        if rows.store not in plans:
            plans[rows.store] = _plan_sql(register, finder, graph, at, connection)
        out[(rows.store, rows.table)] = _table_duties(
            plans[rows.store], connection, rows, duty, mapping, tz
        )
    return out


def _plan_sql(
    register: Register, finder: Finder, graph: StoreGraph, at: datetime, connection: Connection
) -> PlanSql:
    """The sweep's plan of the store at ``at`` (no holds: the erasure weighs those itself)."""
    tables = dict(finder.tables(graph))
    tenants = graph.store.tenants
    if tenants is not None and tenants.table not in tables:
        tables[tenants.table] = sa.Table(tenants.table, sa.MetaData(), autoload_with=connection)
    months: list[int] = []
    agreed = any(rule.client_agreed for _, _, rule in register.rules())
    if agreed and tenants is not None and tenants.retention_months is not None:
        column = tables[tenants.table].c[tenants.retention_months]
        values = connection.execute(sa.select(column).distinct().where(column.is_not(None)))
        months = sorted({int(v) for v in values.scalars()})
    plan: Plan = plan_store(register, graph.store_id, at, tenant_months=months)
    return PlanSql(plan, tables, connection.dialect.name)


def _table_duties(
    sql: PlanSql,
    connection: Connection,
    rows: TableRows,
    duty: list[RuleRef],
    mapping: TableMapping,
    tz: ZoneInfo,
) -> dict[Key, RowDuty | None]:
    t = sql.tables[rows.table]
    pk = [t.c[column] for column in mapping.key_columns()]
    keys = sorted(rows.rows, key=repr)
    items = {item.rule: item for item in sql.plan.items if item.table == rows.table}
    due: dict[str, set[Key]] = {}
    days: dict[str, dict[Key, date]] = {}
    for ref in duty:
        item = items.get(ref.rule_id)
        if item is None:
            # a promise no clock measures ('statement'): never past
            due[ref.rule_id], days[ref.rule_id] = set(), {}
            continue
        # the clocks alone: whether the row was anonymized already does not matter here
        clocks = replace(item, action=Action.delete, deleted_first=())
        due[ref.rule_id] = _keys_where(connection, pk, keys, sql.base(clocks, t))
        if ref.rule.action == Action.delete:
            days[ref.rule_id] = _last_days(sql, connection, t, pk, keys, item, tz)
    out: dict[Key, RowDuty | None] = {}
    deletions = [ref for ref in duty if ref.rule.action == Action.delete]
    for key in rows.rows:
        if deletions and all(key in due[ref.rule_id] for ref in deletions):
            out[key] = None
            continue
        keeping = tuple(ref for ref in duty if key not in due[ref.rule_id])
        methods: dict[str, str] = {}
        for ref in duty:
            if ref.rule.action == Action.anonymize and key in due[ref.rule_id]:
                methods.update(mapping.rules[ref.rule_id].anonymize)
        out[key] = RowDuty(keeping, tuple(sorted(methods.items())), _until(keeping, days, key))
    return out


def _until(keeping: tuple[RuleRef, ...], days: dict[str, dict[Key, date]], key: Key) -> date | None:
    """The latest last day among the deletion rules that keep the row; None if one is unknown."""
    found = []
    for ref in keeping:
        if ref.rule.action != Action.delete:
            continue
        day = days[ref.rule_id].get(key)
        if day is None:
            return None
        found.append(day)
    return max(found) if found else None


def _keys_where(
    connection: Connection, pk: Columns, keys: list[Key], condition: ColumnElement[bool]
) -> set[Key]:
    out: set[Key] = set()
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        query = sa.select(*pk).where(key_in(pk, chunk), condition)
        out.update(key_of(row, len(pk)) for row in connection.execute(query))
    return out


def _last_days(
    sql: PlanSql,
    connection: Connection,
    t: sa.Table,
    pk: Columns,
    keys: list[Key],
    item: WorkItem,
    tz: ZoneInfo,
) -> dict[Key, date]:
    """Per row, the last day the rule keeps it: its earliest clock whose event happened.

    A rule agreed per client is dated with the register's period. A deletion in stages adds
    the stages up to the live one; a minimum period (``at_least``) keeps the row at least to
    its own last day, and leaves the day unknown while its event has not happened.
    """
    out: dict[Key, date] = {}
    for clock in item.clocks:
        for key, last in _clock_days(sql, connection, t, pk, keys, clock, tz).items():
            if key not in out or last < out[key]:
                out[key] = last
    for minimum in item.minimum:
        floors = _clock_days(sql, connection, t, pk, keys, minimum, tz)
        out = {key: max(last, floors[key]) for key, last in out.items() if key in floors}
    if item.kept_while is not None:  # an open-ended hold: no last day while it holds
        held = _values(sql, connection, t, pk, keys, item.kept_while)
        out = {key: last for key, last in out.items() if held.get(key) in (None, False, 0)}
    return out


def _clock_days(
    sql: PlanSql,
    connection: Connection,
    t: sa.Table,
    pk: Columns,
    keys: list[Key],
    clock: ClockCheck,
    tz: ZoneInfo,
) -> dict[Key, date]:
    """Per row whose event happened, the last day this clock keeps it.

    A derived event is the latest of its timestamps; a status-dependent one has not happened
    while the status is another.
    """
    values = [_values(sql, connection, t, pk, keys, p) for p in (clock.path, *clock.also)]
    status = _values(sql, connection, t, pk, keys, clock.when.path) if clock.when else None
    out: dict[Key, date] = {}
    for key in keys:
        if (
            status is not None
            and clock.when is not None
            and not status_values.matches(status.get(key), clock.when.values)
        ):
            continue
        days = [d for v in values if (d := _day(v.get(key), tz)) is not None]
        if not days:
            continue
        last = max(days)
        for period in (clock.period, *clock.stages):
            last = period.add_to(last)
        out[key] = last
    return out


def _day(event: Any, tz: ZoneInfo) -> date | None:
    day = local_date(event, tz) if isinstance(event, datetime) else event
    return day if isinstance(day, date) else None


def _values(
    sql: PlanSql, connection: Connection, t: sa.Table, pk: Columns, keys: list[Key], path: Path
) -> dict[Key, Any]:
    """The value at the end of ``path`` for each row (through its references, outer joins)."""
    source: sa.FromClause = t
    current: sa.FromClause = t
    for number, hop in enumerate(path.hops):
        target = sql.tables[hop.target_table].alias(f"hop_{number}")
        source = source.outerjoin(target, current.c[hop.column] == target.c[hop.target_column])
        current = target
    column = current.c[path.column]
    out: dict[Key, Any] = {}
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        query = sa.select(*pk, column).select_from(source).where(key_in(pk, chunk))
        out.update({key_of(row, len(pk)): row[-1] for row in connection.execute(query)})
    return out

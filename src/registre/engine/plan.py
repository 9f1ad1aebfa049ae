"""Which rows each retention rule makes due at an instant: the plan of a sweep, without I/O.

A plan is built from the register, one store's mapping, an instant and the active legal holds.
It says, for every (rule, table) pair the mapping binds, which clocks to compare with which
cutoffs, and what to do with the due rows. :mod:`registre.engine.sql` turns it into SQL.

Semantics, in the words a DPO would check them against:

- A clock "P after EVENT" is due when the event's timestamp (a column of the table, or one
  reached through its references such as ``account.deleted_at``) is set and earlier than
  :func:`registre.durations.cutoff` of the instant. Several clocks: the earliest wins (OR).
- ``contract_ended`` with no column of its own is read on the tenants table, through the
  table's ``tenant`` column. A ``client_agreed`` rule uses each client's
  ``retention_months`` in place of every clock's period, the register's period when unset.
- A status-dependent event (the mapping's ``when``) has happened only for rows whose column
  holds one of the listed values; a derived event (``latest_of``) is the latest of several
  timestamps, NULLs left out, so "6 months after last_activity" is six months without any.
- A deletion in ``stages`` is due when every stage up to ``live`` has ended: the clock, then
  each stage's delay in turn, in calendar arithmetic; ``backups`` is stated, not swept.
- ``kept_while``: a row whose mapped column is set (true, or not NULL and not 0) is not due,
  whatever the clocks say: an open-ended hold ("until the investigation ends").
- ``at_least`` minimum periods: a row is due only once each has passed (and its event has
  happened), whatever the clocks and the count cap say (AND).
- ``keep_last`` N per ``per`` ordered by ``order_by``: rows beyond the newest N of their group
  are due (ties broken by the primary key, higher is newer), or-ed with the age clocks.
- ``delete`` deletes the row. A row that another mapped table still references is *blocked*,
  not deleted: tables are swept children first, so dependants due in the same sweep go first,
  and dependants the register keeps keep their parent too. Nothing cascades. Through a
  reference marked ``on_delete: unlink`` the dependants are kept and unlinked instead: their
  column is set to NULL in the transaction that deletes the parent, unless a dependant is
  held, which blocks the parent.
- ``anonymize`` rewrites only the mapped columns. A row is anonymized already when the
  binding's ``anonymized_at`` column is set or, without one, when every mapped column is NULL
  or already in its anonymized form (see :mod:`registre.engine.anonymize`). A row that a
  delete rule of the same table deletes is not anonymized first.
- Held rows (record holds on the row, person holds matched on identity columns, and rows whose
  referenced parent is held) are never touched; they are counted as held back. A restriction
  of processing (Art. 18, recorded by a request) holds a person's rows the same way: erasure
  is exactly what Art. 18(1)(b) and (c) let the person stop; such rows are counted apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from registre._exceptions import MappingError
from registre.durations import EARLIEST, Duration, as_utc, cutoff, local_date, start_of_day
from registre.engine.work_items import (
    ClockCheck,
    Condition,
    CountCap,
    Hold,
    HoldScope,
    Hop,
    Path,
    PersonHold,
    Plan,
    RecordHold,
    TenantPeriods,
    WorkItem,
)
from registre.register.mapping import DataStore
from registre.register.model import Register
from registre.register.taxonomy import Action

NOT_RECOGNISABLE = frozenset({"hash", "fake_name"})
"""Methods whose output cannot be told from real data: they need an ``anonymized_at`` column."""


def plan_store(
    register: Register,
    store_id: str,
    at: datetime,
    *,
    holds: Iterable[Hold] = (),
    tenant_months: Iterable[int] = (),
) -> Plan:
    """The plan of a sweep of one store at ``at``; raise MappingError listing every problem.

    ``tenant_months`` are the distinct ``retention_months`` values of the tenants table: the
    caller reads them, so that planning stays free of I/O. A client with a value missing from
    it is treated as not due, never as due early; so is a negative value (a typo in the
    client's row), which is left out.
    """
    store = register.stores[store_id]
    tz = ZoneInfo(register.policy.timezone)
    at = as_utc(at)
    months = tuple(sorted({m for m in tenant_months if m >= 0}))
    problems: list[str] = []
    items: list[WorkItem] = []
    for table_name in _children_first(store):
        table = store.tables[table_name]
        table_items: list[WorkItem] = []
        for rule_id, binding in table.rules.items():
            try:
                activity_id, rule = register.rule(rule_id)
            except KeyError:
                problems.append(
                    f"table '{table_name}' applies the rule '{rule_id}', which no activity declares"
                )
                continue
            if not rule.measurable:
                continue  # a 'statement' promise: nothing a database can enforce
            where = f"rule '{rule_id}' on table '{table_name}'"
            clocks = []
            stages = tuple(rule.swept_after())
            for clock in rule.after:
                path = _event_path(store, table_name, clock.event)
                if path is None:
                    problems.append(
                        f"{where}: the table gives no timestamp for the event "
                        f"'{clock.event}'; map it under 'events:'"
                    )
                    continue
                derived = _derived(store, table_name, clock.event, where, problems)
                if derived is None:
                    continue
                tenant = None
                if rule.client_agreed:
                    months_path = _tenant_column(store, table_name, "retention_months")
                    if months_path is None:
                        problems.append(
                            f"{where}: the rule is agreed per client, but the table "
                            "has no 'tenant' or the tenants have no "
                            "'retention_months' column"
                        )
                        continue
                    tenant = TenantPeriods(
                        months_path,
                        tuple((m, cutoff(at, Duration(m, "months"), tz)) for m in months),
                    )
                clocks.append(
                    ClockCheck(
                        clock.event,
                        clock.period,
                        path,
                        staged_cutoff(at, (clock.period, *stages), tz),
                        tenant,
                        *derived,
                        stages=stages,
                    )
                )
            minimum = []
            for clock in rule.at_least:
                path = _event_path(store, table_name, clock.event)
                derived = _derived(store, table_name, clock.event, where, problems)
                if path is None:
                    problems.append(
                        f"{where}: the table gives no timestamp for the event "
                        f"'{clock.event}' of the minimum period '{clock}'; map it under "
                        "'events:' (an unmapped minimum would never let the rows go)"
                    )
                    continue
                if derived is None:
                    continue
                minimum.append(
                    ClockCheck(
                        clock.event,
                        clock.period,
                        path,
                        cutoff(at, clock.period, tz),
                        None,
                        *derived,
                    )
                )
            kept_while = None
            if rule.kept_while is not None:
                if binding.kept_while is None:
                    problems.append(
                        f"{where}: the rule keeps rows while "
                        f"“{rule.kept_while.en or rule.kept_while.fr}”; give the column that "
                        "says so under the binding's 'kept_while'"
                    )
                    continue
                kept_while = _resolve(store, table_name, binding.kept_while)
                if kept_while is None:
                    problems.append(
                        f"{where}: 'kept_while' reads '{binding.kept_while}', which no "
                        "reference of the table reaches"
                    )
                    continue
            cap = None
            if rule.keep_last is not None:
                if binding.per is None or binding.order_by is None:
                    problems.append(
                        f"{where}: 'keep_last' needs 'per' and 'order_by' in the mapping"
                    )
                    continue
                if "." in binding.per:
                    problems.append(f"{where}: 'per' must be a column of the table itself")
                    continue
                cap = CountCap(rule.keep_last.count, binding.per, binding.order_by)
            if rule.action == Action.anonymize:
                if not binding.anonymize:
                    problems.append(
                        f"{where}: an 'anonymize' rule needs the method of each "
                        "column under 'anonymize:'"
                    )
                    continue
                opaque = sorted(c for c, m in binding.anonymize.items() if m in NOT_RECOGNISABLE)
                if opaque and binding.anonymized_at is None:
                    problems.append(
                        f"{where}: {', '.join(opaque)} cannot be recognised once "
                        "anonymized; declare 'anonymized_at: <timestamp column>'"
                    )
                    continue
                untouchable = sorted(
                    column
                    for column, method in binding.anonymize.items()
                    if column in _key_columns(store, table_name)
                    or (column in _reference_columns(store, table_name) and method != "null")
                )
                if untouchable:
                    problems.append(
                        f"{where}: {', '.join(untouchable)} is a key or a reference; "
                        "a key cannot be anonymized and a reference only unlinked "
                        "('null')"
                    )
                    continue
            # a delete rule's methods are those an erasure writes into a row it must keep
            table_items.append(
                WorkItem(
                    activity=activity_id,
                    rule=rule_id,
                    table=table_name,
                    primary_key=table.key_columns(),
                    action=rule.action,
                    clocks=tuple(clocks),
                    count_cap=cap,
                    minimum=tuple(minimum),
                    kept_while=kept_while,
                    anonymize=tuple(sorted(binding.anonymize.items()))
                    if rule.action == Action.anonymize
                    else (),
                    marker=binding.anonymized_at,
                    dependants=_dependants(store, table_name, "block")
                    if rule.action == Action.delete
                    else (),
                    unlinks=_dependants(store, table_name, "unlink")
                    if rule.action == Action.delete
                    else (),
                )
            )
        deletes = tuple(i for i in table_items if i.action == Action.delete)
        items.extend(deletes)
        items.extend(
            replace(i, deleted_first=deletes) for i in table_items if i.action == Action.anonymize
        )
    if problems:
        raise MappingError(
            f"store '{store_id}': the mapping cannot be enforced",
            problems=problems,
            hint="fix the 'stores:' section of the register; nothing was written",
        )
    return Plan(
        store_id,
        at,
        register.policy.timezone,
        tuple(items),
        _hold_scopes(store_id, store, list(holds)),
    )


def staged_cutoff(at: datetime, periods: tuple[Duration, ...], tz: ZoneInfo) -> datetime:
    """The cutoff of a clock followed by stage delays: due when the last stage has ended.

    An event on day ``d`` is due when ``d + P1 + P2 + ...`` is before today, each period
    added in turn in calendar arithmetic; so the latest such ``d`` is found by undoing them in
    reverse, never early. Zero periods add nothing.
    """
    spans = [p for p in periods if not p.is_zero]
    if len(spans) <= 1:
        return cutoff(at, spans[0] if spans else periods[0], tz)
    today = local_date(at, tz)
    try:
        day = today - timedelta(days=1)
        for period in reversed(spans):
            day = period.latest_start(day)
        return start_of_day(day + timedelta(days=1), tz)
    except (ValueError, OverflowError):  # before the calendar's first day: nothing is due
        return EARLIEST


def _derived(
    store: DataStore, table_name: str, event: str, where: str, problems: list[str]
) -> tuple[Condition | None, tuple[Path, ...]] | None:
    """The status condition and further timestamps of a mapped event; None on a problem."""
    table = store.tables[table_name]
    when = None
    condition = table.when.get(event)
    if condition is not None:
        path = _resolve(store, table_name, condition.column)
        if path is None:
            problems.append(
                f"{where}: 'when' of the event '{event}' reads '{condition.column}', which no "
                "reference of the table reaches"
            )
            return None
        when = Condition(path, tuple(condition.in_))
    also = []
    for column in table.latest_of.get(event, []):
        path = _resolve(store, table_name, column)
        if path is None:
            problems.append(
                f"{where}: 'latest_of' of the event '{event}' reads '{column}', which no "
                "reference of the table reaches"
            )
            return None
        also.append(path)
    return when, tuple(also)


def _reference_hop(store: DataStore, table_name: str, ref_name: str) -> Hop | None:
    ref = store.tables[table_name].references.get(ref_name)
    if ref is None or ref.table not in store.tables:
        return None
    target = ref.target or store.tables[ref.table].key_columns()[0]
    return Hop(table_name, ref.column, ref.table, target)


def _resolve(store: DataStore, table_name: str, dotted: str) -> Path | None:
    *refs, column = dotted.split(".")
    path = Path((), table_name, column)
    current = table_name
    for ref_name in refs:
        hop = _reference_hop(store, current, ref_name)
        if hop is None:
            return None
        path = path.extend(hop, column)
        current = hop.target_table
    return path


def _tenant_column(store: DataStore, table_name: str, attribute: str) -> Path | None:
    """The tenants table's ``attribute`` column, reached from ``table_name``."""
    tenants = store.tenants
    column = getattr(tenants, attribute, None) if tenants else None
    if tenants is None or column is None:
        return None
    if table_name == tenants.table:
        return Path((), table_name, column)
    tenant = store.tables[table_name].tenant
    if tenant is None:
        return None
    key_path = _resolve(store, table_name, tenant)
    if key_path is None:
        return None
    hop = Hop(key_path.table, key_path.column, tenants.table, tenants.key)
    return Path((*key_path.hops, hop), tenants.table, column)


def _event_path(store: DataStore, table_name: str, event: str) -> Path | None:
    mapped = store.tables[table_name].events.get(event)
    if mapped is not None:
        return _resolve(store, table_name, mapped)
    if event == "contract_ended":
        return _tenant_column(store, table_name, "contract_ended")
    return None


def _reference_columns(store: DataStore, table_name: str) -> set[str]:
    return {ref.column for ref in store.tables[table_name].references.values()}


def _key_columns(store: DataStore, table_name: str) -> set[str]:
    """The primary key and the columns other tables reference: anonymizing them breaks links."""
    keys = set(store.tables[table_name].key_columns())
    for other in store.tables.values():
        keys |= {
            ref.target
            for ref in other.references.values()
            if ref.table == table_name and ref.target
        }
    return keys


def _dependants(store: DataStore, table_name: str, on_delete: str) -> tuple[Hop, ...]:
    found = []
    for child_name, child in sorted(store.tables.items()):
        for ref_name in sorted(child.references):
            if child.references[ref_name].on_delete != on_delete:
                continue
            hop = _reference_hop(store, child_name, ref_name)
            if hop is not None and hop.target_table == table_name:
                found.append(hop)
    return tuple(found)


def _children_first(store: DataStore) -> list[str]:
    """Mapped tables ordered so that a table comes before every table it references."""
    parents: dict[str, set[str]] = {
        name: {r.table for r in t.references.values() if r.table in store.tables} - {name}
        for name, t in store.tables.items()
    }
    children: dict[str, set[str]] = {name: set() for name in store.tables}
    for name, refs in parents.items():
        for parent in refs:
            children[parent].add(name)
    order: list[str] = []
    placed: set[str] = set()
    pending = sorted(store.tables)
    while pending:
        ready = [n for n in pending if children[n] <= placed] or pending[:1]  # a cycle: break it
        for name in ready:
            order.append(name)
            placed.add(name)
        pending = [n for n in pending if n not in placed]
    return order


def _hold_scopes(store_id: str, store: DataStore, holds: list[Hold]) -> dict[str, HoldScope]:
    scopes = {}
    for name, table in store.tables.items():
        keys = sorted(
            {
                h.key
                for h in holds
                if isinstance(h, RecordHold) and h.store == store_id and h.table == name
            }
        )
        identity, restricted = (
            sorted(
                {
                    (kind, column, value)
                    for h in holds
                    if isinstance(h, PersonHold) and h.reason == reason
                    for kind, value in h.identity
                    for mapped, column in table.identity_columns()
                    if mapped == kind
                }
            )
            for reason in ("legal_hold", "restriction")
        )
        parents = tuple(
            hop
            for ref in sorted(table.references)
            if (hop := _reference_hop(store, name, ref)) is not None
        )
        scopes[name] = HoldScope(
            table.key_columns(), tuple(keys), tuple(identity), parents, tuple(restricted)
        )
    return scopes

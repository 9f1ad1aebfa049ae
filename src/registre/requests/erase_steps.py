"""Executing a stored erasure plan step by step, resumably, each step audited first.

The plan (see :mod:`registre.requests.erase`) is stored in the state database before anything
is changed, then each step is written to the audit trail, executed in its own transaction and
marked done. Killed midway, the next run resumes the stored plan; a step run twice gives the
same result (keyed anonymizations are drawn from the request and the row, not from the
current value).

With the steps, the plan records the rows found for the person (``found``) and the rows held
for a controller (``forward``), as steps that run nothing: a resumed erasure answers from
them, since what it finds once the first rows are gone is no longer what there was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registre._exceptions import ErasureStepError
from registre.engine import anonymize
from registre.engine.record_keys import key_in, key_of, key_text, keys_from_json, keys_to_json
from registre.requests.erase import STEP_SIZE, ErasurePlan, Outcome, Step
from registre.requests.find import Finder, Found, Key, TableRows
from registre.requests.store import erasure_step
from registre.state.db import read_connection, utcnow, write_transaction
from registre.stores.database_name import database_name

if TYPE_CHECKING:
    from registre.requests.graph import StoreGraph
    from registre.state import EngineState

WRITES = ("delete", "anonymize")
"""Actions of the steps that change the data; the others record what was found."""
RECORDS = ("found", "forward")


def store_plan(
    state: EngineState,
    request_id: str,
    plan: ErasurePlan,
    details: dict[str, Any],
    before: Callable[[Connection], None] | None = None,
    *,
    found: Found | None = None,
    forwarded: Found | None = None,
    step_size: int = STEP_SIZE,
    plan_number: int = 0,
) -> None:
    """Persist the plan and audit it, in one transaction; a stored plan is never replaced.

    ``before`` writes the caller's own audit entries first, in the same transaction.
    ``found`` and ``forwarded``: the person's rows we control and those we hold for a
    controller, recorded with the plan (see :func:`stored_found`). ``plan_number``: 0 for the
    request's own erasure, then one per client instruction.
    """
    with write_transaction(state.engine) as connection:
        if has_plan_in(connection, request_id, plan_number):
            return
        # a request's plans share one sequence: a step is named by its request and seq
        first = connection.execute(
            sa.select(sa.func.coalesce(sa.func.max(erasure_step.c.seq) + 1, 0)).where(
                erasure_step.c.request_id == request_id
            )
        ).scalar_one()
        if before is not None:
            before(connection)
        state.audit.append_in(
            connection, "request.erasure.planned", details=details, request_id=request_id
        )
        for seq, step in enumerate(plan.steps, start=first):
            connection.execute(
                erasure_step.insert().values(
                    request_id=request_id,
                    seq=seq,
                    plan=plan_number,
                    store=step.store,
                    table_name=step.table,
                    action=step.action,
                    keys=keys_to_json(step.keys),
                    columns=json.dumps(step.columns, sort_keys=True),
                )
            )
        seq = first + len(plan.steps)
        now = utcnow()
        for action, rows_found in (("found", found), ("forward", forwarded)):
            for rows in rows_found or []:
                keys = sorted(rows.rows, key=repr)
                for start in range(0, len(keys), step_size):
                    connection.execute(
                        erasure_step.insert().values(
                            request_id=request_id,
                            seq=seq,
                            plan=plan_number,
                            store=rows.store,
                            table_name=rows.table,
                            action=action,
                            keys=keys_to_json(keys[start : start + step_size]),
                            columns="{}",
                            done_at=now,  # a record: nothing to run
                        )
                    )
                    seq += 1


def stored_found(
    state: EngineState,
    finder: Finder,
    request_id: str,
    identity: dict[str, str],
    plan_number: int = 0,
) -> tuple[Found, Found]:
    """The rows found for the person and those held for a controller, as the plan recorded.

    Only their keys: enough to count them and to forward them.
    """
    out = {action: Found(identity) for action in RECORDS}
    with read_connection(state.engine) as connection:
        records = connection.execute(
            sa.select(erasure_step)
            .where(
                erasure_step.c.request_id == request_id,
                erasure_step.c.plan == plan_number,
                erasure_step.c.action.in_(RECORDS),
            )
            .order_by(erasure_step.c.seq)
        ).all()
    for record in records:
        tables = out[record.action].tables
        if (record.store, record.table_name) not in tables:
            names = finder.graphs_by_id[record.store].mapping(record.table_name).key_columns()
            tables[(record.store, record.table_name)] = TableRows(
                record.store, record.table_name, list(names), width=len(names)
            )
        rows = tables[(record.store, record.table_name)]
        graph = finder.graphs_by_id[record.store]
        pk = _key_columns(finder, graph, record.table_name)
        for key in keys_from_json(pk, record.keys):
            rows.keep(key if isinstance(key, tuple) else (key,))
    return out["found"], out["forward"]


def stored_plan(
    state: EngineState, request_id: str, outcomes: list[dict[str, Any]], plan_number: int = 0
) -> ErasurePlan:
    """The steps of a stored plan still to run, with its outcomes: what a resumed run does."""
    with read_connection(state.engine) as connection:
        rows = connection.execute(
            sa.select(erasure_step)
            .where(
                erasure_step.c.request_id == request_id,
                erasure_step.c.plan == plan_number,
                erasure_step.c.done_at.is_(None),
                erasure_step.c.action.in_(WRITES),
            )
            .order_by(erasure_step.c.seq)
        ).all()
    plan = ErasurePlan()
    for row in rows:
        keys = json.loads(row.keys)
        plan.steps.append(
            Step(row.store, row.table_name, row.action, keys, json.loads(row.columns))
        )
    for item in outcomes:
        until = item.get("until")
        plan.outcomes.append(
            Outcome(
                item["store"],
                item["table"],
                item["action"],
                item["count"],
                item.get("reason", ""),
                list(item.get("columns", [])),
                [tuple(r.split("/", 1)) for r in item.get("rules", [])],
                list(item.get("holds", [])),
                date.fromisoformat(until) if until else None,
            )
        )
    return plan


def has_plan(state: EngineState, request_id: str, plan_number: int = 0) -> bool:
    with read_connection(state.engine) as connection:
        return has_plan_in(connection, request_id, plan_number)


def has_plan_in(connection: Connection, request_id: str, plan_number: int = 0) -> bool:
    """Whether plan ``plan_number`` is stored for the request (on the caller's connection)."""
    query = sa.select(erasure_step.c.seq).where(
        erasure_step.c.request_id == request_id, erasure_step.c.plan == plan_number
    )
    return connection.execute(query.limit(1)).first() is not None


def run_plan(state: EngineState, finder: Finder, request_id: str) -> int | None:
    """Execute the stored plan's pending steps in order, each audited and committed first.

    Marking a step done shares its transaction with the next step's audit entry. The last step
    run is left for the caller to mark with :func:`mark_done` in the transaction that closes
    the request; its ``seq`` is returned (None when no step was pending). Killed before that,
    the step runs again on resuming, which gives the same result.
    """
    with read_connection(state.engine) as connection:
        pending = connection.execute(
            sa.select(erasure_step)
            .where(
                erasure_step.c.request_id == request_id,
                erasure_step.c.done_at.is_(None),
                erasure_step.c.action.in_(WRITES),
            )
            .order_by(erasure_step.c.seq)
        ).all()
    keyed = any(set(json.loads(r.columns).values()) & anonymize.KEYED for r in pending)
    key = anonymize.hmac_key(required=keyed)
    previous: int | None = None
    for row in pending:
        graph = finder.graphs_by_id[row.store]
        table = finder.tables(graph)[row.table_name]
        pk = _key_columns(finder, graph, row.table_name)
        keys = keys_from_json(pk, row.keys)
        columns = json.loads(row.columns)
        with write_transaction(state.engine) as connection:
            if previous is not None:
                mark_done(connection, request_id, previous)
            state.audit.append_in(
                connection,
                f"request.erasure.{row.action}",
                details={
                    "step": row.seq,
                    "store": row.store,
                    "database": database_name(finder.engine(row.store).url),
                    "table": row.table_name,
                    "rows": len(keys),
                    "columns": sorted(columns),
                    "keys_sha256": hashlib.sha256(row.keys.encode()).hexdigest(),
                },
                request_id=request_id,
            )
        try:
            with finder.engine(row.store).begin() as connection:
                if row.action == "delete":
                    connection.execute(table.delete().where(key_in(pk, keys)))
                else:
                    _anonymize(connection, table, pk, keys, columns, request_id, key)
        except sa.exc.SQLAlchemyError as error:
            database = database_name(finder.engine(row.store).url)
            raise step_failed(state, request_id, row, previous, database, error) from None
        previous = row.seq
    return previous


def step_failed(
    state: EngineState,
    request_id: str,
    row: sa.Row[Any],
    previous: int | None,
    database: str,
    error: Exception,
) -> ErasureStepError:
    """Record in the audit trail where the erasure stopped, and say what to do.

    The failed step's transaction was rolled back: its rows are as they were, and the steps
    before it are done. The request stays in progress; ``request execute`` again resumes at
    this step.
    """
    reason = _reason(error)
    with write_transaction(state.engine) as connection:
        if previous is not None:
            mark_done(connection, request_id, previous)
        steps = sa.select(sa.func.count()).where(
            erasure_step.c.request_id == request_id, erasure_step.c.action.in_(WRITES)
        )
        done = connection.execute(steps.where(erasure_step.c.done_at.is_not(None))).scalar_one()
        left = connection.execute(steps.where(erasure_step.c.done_at.is_(None))).scalar_one()
        state.audit.append_in(
            connection,
            "request.erasure.failed",
            details={
                "step": row.seq,
                "store": row.store,
                "database": database,
                "table": row.table_name,
                "action": row.action,
                "error": reason,
                "steps_done": done,
                "steps_left": left,
            },
            request_id=request_id,
        )
    verb = "deleting rows from" if row.action == "delete" else "anonymizing rows of"
    return ErasureStepError(
        f"request {request_id}: the erasure stopped at step {row.seq}, {verb} table "
        f"'{row.table_name}' (store '{row.store}'): {reason}; the steps before it are done, "
        "this one and the rest are not (the audit trail says which)",
        hint=f"{_remedy(error)}, then run `registre request execute {request_id}` again: it "
        "resumes at this step",
        request_id=request_id,
        step=row.seq,
        table=row.table_name,
    )


def _reason(error: Exception) -> str:
    """The database's own first line, without the statement and its parameters."""
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__


def _remedy(error: Exception) -> str:
    text = _reason(error).lower()
    if "permission" in text or "denied" in text or "readonly" in text or "read-only" in text:
        return "give the store's user the privilege it lacks (or open the database read-write)"
    if "lock" in text or "timeout" in text or "deadlock" in text:
        return "wait until the application releases its locks"
    lost = ("connect", "gone away", "lost", "server closed", "terminating", "broken pipe")
    if any(word in text for word in lost):
        return "check that the database is reachable"
    if isinstance(error, sa.exc.IntegrityError) or "constraint" in text or "unique" in text:
        return "fix what the database refuses (the constraint named above)"
    return "fix what the database refuses"


def mark_done(connection: Connection, request_id: str, seq: int) -> None:
    """Mark one step of a stored plan as done, in the caller's state transaction."""
    connection.execute(
        erasure_step.update()
        .where(erasure_step.c.request_id == request_id, erasure_step.c.seq == seq)
        .values(done_at=utcnow())
    )


def _anonymize(
    connection: Connection,
    table: sa.Table,
    pk: list[sa.Column[Any]],
    keys: list[Key],
    columns: dict[str, str],
    request_id: str,
    hmac_key: bytes,
) -> None:
    dialect = connection.dialect.name
    in_sql: dict[str, Any] = {}
    in_python: dict[str, str] = {}
    for column, method in columns.items():
        expression = anonymize.sql_value(method, table.c[column], dialect)
        if expression is None:
            in_python[column] = method
        else:
            in_sql[column] = expression
    if in_sql:
        connection.execute(table.update().where(key_in(pk, keys)).values(**in_sql))
    if in_python:
        width = len(pk)
        current = connection.execute(
            sa.select(*pk, *[table.c[c] for c in in_python]).where(key_in(pk, keys))
        ).all()
        for row in current:
            row_key = key_of(row, width)
            values = {}
            for index, (column, method) in enumerate(in_python.items(), start=width):
                seed = row[index]
                if seed is not None and method in anonymize.KEYED:
                    # drawn from the request and the row: a step run again writes the same
                    seed = f"{request_id}:{table.name}:{key_text(row_key)}"
                length = getattr(table.c[column].type, "length", None)
                values[column] = anonymize.python_value(
                    method, seed, key=hmac_key, length=length, row_key=row_key
                )
            connection.execute(table.update().where(key_in(pk, [row_key])).values(**values))


def _key_columns(finder: Finder, graph: StoreGraph, table: str) -> list[sa.Column[Any]]:
    """The columns of a table's key, in order."""
    live = finder.tables(graph)[table]
    return [live.c[column] for column in graph.mapping(table).key_columns()]

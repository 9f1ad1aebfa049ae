"""Before a request's first write: the live schema checked as a sweep checks it, and every write
of an erasure plan checked against what the database will accept.

A sweep refuses to run when the mapping does not match the database (a mapped column dropped,
a personal column added, a clock turned to text); a request that writes runs the same check and
refuses with the same message, so that an erasure never says "done" while a column it does not
know of still holds the person's phone number.

An erasure plan is then checked write by write, against the live schema: a method writing one
value into a UNIQUE column fails at the second person, ``null`` into a NOT NULL column at the
first, and a missing privilege at whichever step comes first. Refused here, nothing is written
and the request stays where it was; found only while writing, the erasure stops at a step it
resumes from (see :mod:`registre.requests.erase_steps`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import Engine

from registre._exceptions import MappingError
from registre.engine.anonymize import CONSTANT
from registre.register.model import Register
from registre.requests import table_activities
from registre.requests.erase import ErasurePlan, Step
from registre.stores.live_schema import LiveTable, MappingProblem, reflect_schema
from registre.stores.privileges import Write, denied
from registre.stores.reflect import check_mapping
from registre.stores.rule_check import UNIQUE_METHODS

MISMATCH = "store '{store}': the mapping does not match the database; nothing was written"
MISMATCH_HINT = "fix the 'stores:' section of the register or the database, then run again"
"""The sweep's own words (:func:`registre.engine.store_plan.prepare`), for the same mismatches."""

Refuse = Callable[[str, str | None, str, str], None]


def check_schema(register: Register, engines: Mapping[str, Engine]) -> None:
    """Refuse, as a sweep would, when a store's mapping does not match its live schema."""
    for store_id, engine in engines.items():
        problems = check_mapping(register, store_id, engine)
        if problems:
            raise MappingError(
                MISMATCH.format(store=store_id),
                problems=[str(p) for p in problems],
                hint=MISMATCH_HINT,
            )


def check_erasure(
    request_id: str, plan: ErasurePlan, register: Register, engines: Mapping[str, Engine]
) -> None:
    """Refuse an erasure plan one of whose writes the database would reject."""
    problems: list[MappingProblem] = []
    for store_id, engine in engines.items():
        steps = [s for s in plan.steps if s.store == store_id]
        if steps:
            problems += _refusals(register, store_id, engine, plan, steps)
    if problems:
        raise MappingError(
            f"request {request_id}: the database would refuse the erasure; nothing was written",
            problems=[str(p) for p in problems],
            hint="give the columns a method the database accepts under the rule's "
            f"'anonymize:' in the mapping, or fix the database; then `registre request execute "
            f"{request_id}` again",
        )


def _refusals(
    register: Register, store_id: str, engine: Engine, plan: ErasurePlan, steps: list[Step]
) -> list[MappingProblem]:
    schema = reflect_schema(engine, {s.table for s in steps})
    rules = {(o.store, o.table): [r for _, r in o.rules] for o in plan.outcomes}
    out: dict[tuple[str, str | None, str], MappingProblem] = {}
    writes: list[Write] = []

    def refuse(table: str, column: str | None, message: str, hint: str) -> None:
        rule = ", ".join(dict.fromkeys(rules.get((store_id, table), []))) or None
        where = ("stores", store_id, "tables", table)
        out.setdefault(
            (table, column, message),
            MappingProblem(store_id, table, column, rule, message, hint, where),
        )

    for step in steps:
        live = schema.tables.get(step.table)
        if step.action == "delete":
            writes.append(Write(step.table, "DELETE"))
            continue
        writes += [Write(step.table, "UPDATE", column) for column in step.columns]
        if live is None:
            continue
        for column, method in step.columns.items():
            _check_method(refuse, step.table, column, method, live)
    for outcome in plan.outcomes:
        live = schema.tables.get(outcome.table)
        if outcome.store != store_id or outcome.reason != "referenced" or live is None:
            continue
        mapping = register.stores[store_id].tables[outcome.table]
        personal = [c for c in table_activities.personal_columns(mapping) if c in live.columns]
        for column in personal:
            if column not in outcome.columns:
                refuse(
                    outcome.table,
                    column,
                    "the erasure keeps these rows (a row that stays references them) and has no "
                    f"way to empty this column ({live.columns[column].type} NOT NULL): the "
                    "person's data would stay",
                    f"give it a method under the 'anonymize:' of a rule bound to table "
                    f"'{outcome.table}' (such as '{column}: redact', or 'year' for a date)",
                )
    for write in denied(engine, writes):
        verb = "delete rows from" if write.privilege == "DELETE" else "update"
        if engine.dialect.name == "sqlite":
            hint = "open the database read-write (a writable file, no 'mode=ro' in its URL)"
        else:
            on = f"({write.column}) ON {write.table}" if write.column else f"ON {write.table}"
            hint = f"GRANT {write.privilege} {on} TO <the store's user>"
        refuse(
            write.table,
            write.column,
            f"the erasure would {verb} "
            + ("this column" if write.column else "this table")
            + f", and the database does not let registre ({write.privilege} privilege)",
            hint,
        )
    return list(out.values())


def _check_method(refuse: Refuse, table: str, column: str, method: str, live: LiveTable) -> None:
    own = live.columns.get(column)
    if own is None:
        return
    if column in live.primary_key:
        refuse(
            table,
            column,
            "the erasure would anonymize a primary-key column",
            "remove it from 'anonymize:' in the mapping",
        )
    elif method == "null" and not own.nullable:
        refuse(
            table,
            column,
            "the erasure would write NULL into a NOT NULL column",
            f"give the column a method that writes a value under the rule's 'anonymize:' "
            f"('{column}: " + ("redact_unique" if live.is_unique(column) else "redact") + "')",
        )
    elif method in CONSTANT and live.is_unique(column):
        refuse(
            table,
            column,
            f"the erasure would write '{method}' into a UNIQUE column: the same value in "
            "another person's row makes the database refuse it",
            f"give the column a method that keeps values unique under the rule's 'anonymize:' "
            f"in the mapping: {UNIQUE_METHODS}",
        )

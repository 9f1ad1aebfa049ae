"""Plain deletes on PostgreSQL: spans of the table's pages instead of its keys.

On PostgreSQL 14 and later, a plain ``delete`` rule (see :mod:`registre.engine.range_deletes`)
is swept by ranges of the pages the table is stored in: each batch is ``DELETE ... WHERE ctid >=
'(after,0)' AND ctid < '(to,0)' AND <still due>``, which PostgreSQL answers with a TID range
scan, reading the pages in the order they are stored, as one hand-written ``DELETE`` reads the
whole table. Spans of the primary key go through its index instead: on the benchmark's web
history (1.13 M of 1.4 M rows due), the same deletes cost about 30 % more by key ranges than in
one statement, and 5 to 10 % more by page ranges (benchmarks/RESULTS.md). Any primary key
will do, not only an integer one.

Everything else is as for key spans: the entry committed before each write names the pages,
the statement and its parameters, which with the instant determine the rows the write may
touch; the count follows in ``sweep.deleted``; the write evaluates the due predicate again, so
a sweep killed anywhere and run again ends where an uninterrupted one does.

The range is physical. A row added while the sweep runs is swept if it lands in a page not yet
swept; the last span always reaches the end of the table as it is then. A row that the
application rewrites into a page already swept (an ``UPDATE`` that does not fit its page)
waits for the next sweep, as a row written after a sweep does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from registre.engine.batching import TARGET_SECONDS, Audit, ItemResult, Pace
from registre.engine.range_deletes import GROWTH, SpanStatements, span_details, write_span
from registre.engine.store_plan import StorePlan
from registre.engine.work_items import WorkItem


class _Tid(sa.types.UserDefinedType[str]):
    """PostgreSQL's ``tid``: (page, line) of a row version."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "tid"


def pages_eligible(sp: StorePlan) -> bool:
    """Whether plain deletes on this store go by page ranges (PostgreSQL 14 and later)."""
    version = sp.engine.dialect.server_version_info or (0,)
    return sp.dialect == "postgresql" and tuple(version) >= (14,)


def _bounds() -> list[sa.ColumnElement[bool]]:
    # unqualified: inside an unlink's subquery it names the swept table's rows too
    ctid = sa.literal_column("ctid", type_=_Tid())
    return [
        ctid >= sa.cast(sa.bindparam("after", type_=sa.String()), _Tid()),
        ctid < sa.cast(sa.bindparam("to", type_=sa.String()), _Tid()),
    ]


def _tid(page: int) -> str:
    return f"({page},0)"


def sweep_pages(
    sp: StorePlan,
    item: WorkItem,
    connection: sa.Connection,
    pace: Pace,
    result: ItemResult,
    audit: Audit,
    record: Audit,
    progress: Callable[[int], None],
) -> None:
    """Sweep one plain delete by page ranges; see the module docstring."""
    s = SpanStatements(sp, item, _bounds())
    nothing_due = connection.execute(s.any_due).first() is None
    connection.commit()
    if nothing_due:  # no span to announce: the trail would name every page of the table
        return
    name = sp.engine.dialect.identifier_preparer.format_table(sp.tables[item.table])
    top, per_page = _size(connection, name)
    span = max(1.0, pace.size / per_page)  # in pages
    after = 0
    while True:
        if after >= top:  # the last span reached the end: the table may have grown since
            top, _ = _size(connection, name)
            if after >= top:
                return
        to = min(after + max(1, int(span)), top)
        params = {"after": _tid(after), "to": _tid(to)}
        audit(
            f"sweep.{item.action.value}",
            span_details(sp, item, s, params["after"], params["to"], column="ctid"),
        )
        count, held_for = write_span(s, connection, params, pace, result)
        details = span_details(
            sp, item, s, params["after"], params["to"], statement=False, column="ctid"
        )
        record("sweep.deleted", {**details, "count": count})
        progress(count)
        pages = to - after
        # the next span: at most GROWTH times this one, about pace.size rows at this one's
        # density, and no longer to read than the time a batch may take
        limits = [span * GROWTH, pages * TARGET_SECONDS / max(held_for, 1e-3)]
        if count:
            limits.append(pace.size * pages / count)
        span = max(1.0, min(limits))
        after = to


def _size(connection: sa.Connection, name: str) -> tuple[int, float]:
    """The table's pages now, and the planner's estimate of rows per page (at least 1)."""
    row = connection.execute(
        sa.text(
            "SELECT pg_relation_size(CAST(:name AS regclass)) "
            "/ current_setting('block_size')::int, c.reltuples, c.relpages "
            "FROM pg_class c WHERE c.oid = CAST(:name AS regclass)"
        ),
        {"name": name},
    ).one()
    connection.commit()
    pages, tuples, estimated_pages = int(row[0]), float(row[1]), int(row[2])
    return pages, max(1.0, tuples / estimated_pages) if estimated_pages > 0 and tuples > 0 else 1.0

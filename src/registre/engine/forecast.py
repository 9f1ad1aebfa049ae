"""What a sweep will do, read from the database before it: the counts a plan shows.

A sweep runs its items in order (tables children first; on a table, deletes before
anonymizations) and each item acts on the rows actionable *when it runs*. Earlier items change
that: a dependant deleted earlier no longer blocks its parent, at any depth; a row deleted by
one rule is not there for the next rule of its table; a row anonymized by one rule may already
be anonymized for the next; a reference set to NULL by an anonymization no longer blocks.

:class:`Forecast` states, for item ``k``, "the sweep acts on this row" as a predicate over the
rows as they are before the sweep: the row is due, not held, present (no earlier delete of its
table acted on it), not yet anonymized (counting earlier anonymizations of its table), and for a
delete not blocked by a dependant still present and still linked when ``k`` runs. It is defined
recursively over the earlier items, so its counts equal what the sweep then changes, rule by
rule, when nothing else writes in between.

Not modelled: a clock read on a column that an earlier anonymization of the same table
rewrites, two rules rewriting one column with different methods, and reference cycles between
tables (a cycle is broken at one table, as the sweep breaks it).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from registre.engine.anonymize import recognizer
from registre.engine.sql import Condition, PlanSql
from registre.engine.work_items import Hop, WorkItem
from registre.register.taxonomy import Action


class Forecast:
    """The plan's predicates over the database before the sweep, item by item."""

    def __init__(self, sql: PlanSql) -> None:
        self.sql = sql
        self.items = sql.plan.items
        self._position = {item.key: n for n, item in enumerate(self.items)}

    def counts(self, item: WorkItem) -> sa.Select[Any]:
        """One row: (due, held, blocked, restricted) for the item, from a single scan.

        All four count rows due under the rule and still there, not yet anonymized, when the
        item runs: ``held`` those under a hold, ``blocked`` the others that a dependant kept by
        the sweep still references, ``restricted`` the held ones that a restriction of
        processing holds. The rows the item changes are the first minus the next two.
        """
        k = self._position[item.key]
        t = self.sql.tables[item.table]
        held = self.sql.held(item.table, t)
        blocked = sa.and_(sa.not_(held), self.blocked(k, t))
        restricted = self.sql.held(item.table, t, restricted_only=True)
        return (
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(sa.case((held, 1), else_=0)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((blocked, 1), else_=0)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((restricted, 1), else_=0)), 0),
            )
            .select_from(t)
            .where(self.due(k, t))
        )

    def acted(self, k: int, t: sa.FromClause) -> Condition:
        """Item ``k`` changes the row ``t`` of its table."""
        item = self.items[k]
        acts = [self.due(k, t), sa.not_(self.sql.held(item.table, t))]
        if item.action == Action.delete:
            acts.append(sa.not_(self.blocked(k, t)))
        return sa.and_(*acts)

    def due(self, k: int, t: sa.FromClause) -> Condition:
        """Due under item ``k`` when it runs: present, and not anonymized already."""
        item = self.items[k]
        deleted_before = any(self._deletes(k, item.table))
        conditions = [
            self.sql.due(
                item,
                t,
                # a count cap ranks the rows still there
                present=(lambda src: self.present(k, item.table, src)) if deleted_before else None,
            ),
            self.present(k, item.table, t),
        ]
        if item.action == Action.anonymize:
            conditions.append(sa.not_(self.anonymized(k, t)))
        return sa.and_(*conditions)

    def present(self, k: int, table: str, t: sa.FromClause) -> Condition:
        """No delete item before ``k`` removes the row ``t`` of ``table``."""
        removed = [self.acted(j, t) for j in self._deletes(k, table)]
        return sa.not_(sa.or_(*removed)) if removed else sa.true()

    def _deletes(self, k: int, table: str) -> list[int]:
        """The delete items of ``table`` that run before item ``k``."""
        return [
            j
            for j in range(k)
            if self.items[j].table == table and self.items[j].action == Action.delete
        ]

    def linked(self, k: int, hop: Hop, child: sa.FromClause) -> Condition:
        """No anonymization before ``k`` sets the dependant's reference ``hop`` to NULL."""
        nulled = [
            self.acted(j, child)
            for j in range(k)
            if self.items[j].table == hop.table
            and self.items[j].action == Action.anonymize
            and (hop.column, "null") in self.items[j].anonymize
        ]
        return sa.not_(sa.or_(*nulled)) if nulled else sa.true()

    def blocked(self, k: int, t: sa.FromClause) -> Condition:
        """A dependant that the sweep keeps until item ``k`` runs still references the row."""
        return self.sql.blocked(
            self.items[k],
            t,
            kept=lambda hop, child: sa.and_(
                self.present(k, hop.table, child), self.linked(k, hop, child)
            ),
        )

    def anonymized(self, k: int, t: sa.FromClause) -> Condition:
        """Anonymized already when anonymization ``k`` runs, by an earlier one or before."""
        item = self.items[k]
        earlier = [
            self.items[j]
            for j in range(k)
            if self.items[j].table == item.table and self.items[j].action == Action.anonymize
        ]
        if item.marker is not None:
            marked = [
                self.acted(self._position[e.key], t) for e in earlier if e.marker == item.marker
            ]
            return sa.or_(self.sql.anonymized(item, t), *marked)
        columns = []
        for column, method in item.anonymize:
            done = recognizer(method, t.c[column])
            assert done is not None  # plan_store requires a marker otherwise
            rewritten = [
                self.acted(self._position[e.key], t)
                for e in earlier
                if (column, method) in e.anonymize
            ]
            columns.append(sa.or_(done, *rewritten))
        return sa.and_(*columns)

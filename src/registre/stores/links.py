"""The foreign-key half of the mapping check: links the database declares and the mapping misses.

A sweep deletes a row only when no kept row of a mapped table references it, and it learns
which tables reference which from the mapping's ``references``. A foreign key the mapping does
not declare is invisible to it: the database then refuses the delete half way (PostgreSQL,
MariaDB), cascades it without an audit entry (``ON DELETE CASCADE``), or leaves the dependant
rows pointing at nothing (SQLite, which does not enforce foreign keys by default).

Decision: such a key is a problem that refuses the sweep, not a reference silently added at
sweep time. The register is read by more than the sweep (data-subject requests follow the same
references to find a person's rows, holds protect dependants through them, the Art. 30 record
is written from it) and none of those reflect the database; a reference added only for the
sweep would make them disagree. The hint gives the line to add, so the register says it once
for every reader.
"""

from __future__ import annotations

from collections.abc import Iterator

from registre.register.mapping import Reference, TableMapping
from registre.stores.live_schema import Checks, LiveForeignKey, MappingProblem

CONSEQUENCE = (
    "a sweep deleting '{parent}' rows does not see these rows, so the database refuses the "
    "delete, cascades it unaudited, or (SQLite) leaves them pointing at nothing"
)


class LinkChecks(Checks):
    """Checks of the database's foreign keys against the mapping; mixed into the checker."""

    def _linked_columns(self, name: str) -> set[str]:
        """Columns of ``name`` in a foreign key to a mapped table: reported here, not unmapped."""
        return {
            column
            for fk in self.schema.foreign_keys_of(name)
            if fk.referred_table in self.store.tables
            for column in fk.columns
        }

    def _foreign_keys(self, name: str, mapping: TableMapping) -> Iterator[MappingProblem]:
        live = self.schema.tables[name]
        for fk in self.schema.foreign_keys_of(name):
            if fk.referred_table not in self.store.tables:
                continue  # the sweep never deletes rows of a table the mapping does not name
            if len(fk.columns) != 1:
                yield self.problem(
                    name,
                    None,
                    f"the database links {fk} by a foreign key on several columns, which a "
                    "mapping reference cannot express yet (a reference names one column); "
                    + CONSEQUENCE.format(parent=fk.referred_table),
                    f"link the tables by a single column that names one row of "
                    f"'{fk.referred_table}' (an id, or a UNIQUE NOT NULL column) and declare it "
                    "under 'references:'",
                    at=("references",),
                )
                continue
            column = fk.columns[0]
            declared = sorted(
                (ref_name, ref)
                for ref_name, ref in mapping.references.items()
                if ref.column == column
            )
            if any(self._matches(ref, fk) for _, ref in declared):
                continue
            short = self._short_form(column, fk)
            if declared:
                ref_name, ref = declared[0]
                yield self.problem(
                    name,
                    column,
                    f"reference '{ref_name}' says {column} -> {ref.table}.{self._target(ref)}, "
                    f"but the database's foreign key is {fk}",
                    f"write '{ref_name}: {short}'",
                    at=("references", ref_name),
                )
                continue
            suggested = _reference_name(column, set(mapping.references))
            hint = f"declare it under 'references:', such as '{suggested}: {short}'"
            own = live.columns.get(column)
            if own is not None and own.nullable:
                hint += (
                    f", or '{suggested}: {{column: {column}, table: {fk.referred_table}, "
                    f"on_delete: unlink}}' to keep these rows and set {column} to NULL"
                )
            yield self.problem(
                name,
                column,
                f"the database has a foreign key {fk} that the mapping does not declare; "
                + CONSEQUENCE.format(parent=fk.referred_table),
                hint,
                at=("references",),
            )

    def _unmapped_dependants(self) -> Iterator[MappingProblem]:
        """Tables the mapping does not name whose foreign keys point at tables it does."""
        known = set(self.store.tables) | (
            {self.store.tenants.table} if self.store.tenants else set()
        )
        found: dict[str, list[LiveForeignKey]] = {}
        for fk in self.schema.foreign_keys:
            if fk.table not in known and fk.referred_table in self.store.tables:
                found.setdefault(fk.table, []).append(fk)
        for table, keys in sorted(found.items()):
            parents = sorted({fk.referred_table for fk in keys})
            yield MappingProblem(
                self.store_id,
                table,
                None,
                None,
                f"the table is not mapped, but its foreign "
                f"key{'s' if len(keys) > 1 else ''} {'; '.join(str(fk) for fk in keys)} "
                f"point{'' if len(keys) > 1 else 's'} at mapped tables: "
                + CONSEQUENCE.format(parent="', '".join(parents)),
                self._mapping_hint(table, keys),
                ("stores", self.store_id, "tables"),
            )

    def _mapping_hint(self, table: str, keys: list[LiveForeignKey]) -> str:
        names: set[str] = set()
        references = []
        for fk in keys:
            if len(fk.columns) == 1:
                name = _reference_name(fk.columns[0], names)
                names.add(name)
                references.append(f"{name}: {self._short_form(fk.columns[0], fk)}")
        live = self.schema.tables.get(table)
        linked = {column for fk in keys for column in fk.columns}
        others = (
            [c for c in live.columns if c not in linked and c not in live.primary_key]
            if live is not None
            else []
        )
        parts = [f"references: {{{', '.join(references)}}}"] if references else []
        if others:
            parts.append("columns: {" + ", ".join(f"{c}: <data category>" for c in others) + "}")
        parts.append("rules: [<rule id>]")
        return (
            f"map it under 'tables:', such as '{table}: {{{', '.join(parts)}}}'; columns that "
            "hold no personal data go under 'not_personal:'"
        )

    def _target(self, ref: Reference) -> str:
        mapped = self.store.tables.get(ref.table)
        return ref.target or (mapped.key_columns()[0] if mapped else "id")

    def _matches(self, ref: Reference, fk: LiveForeignKey) -> bool:
        return ref.table == fk.referred_table and self._target(ref) == fk.referred_columns[0]

    def _short_form(self, column: str, fk: LiveForeignKey) -> str:
        target = fk.referred_columns[0]
        if (target,) == self.store.tables[fk.referred_table].key_columns():
            return f"{column} -> {fk.referred_table}"
        return f"{column} -> {fk.referred_table}.{target}"


def _reference_name(column: str, taken: set[str]) -> str:
    """A name for the reference held in ``column``: ``device_id`` gives ``device``."""
    name = column[:-3] if column.endswith("_id") and len(column) > 3 else column
    return name if name not in taken else column

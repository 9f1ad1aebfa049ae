"""The mapping as a graph of tables and references, and which references lead to a person's data.

Pure: built from the register alone, no database. The search follows *ownership*, never a
bridge (docs/enforcement.md draws it):

* A person's own records are found only by their identity (a table with ``identity`` columns is a
  *person table*: a row there belongs to whoever its identity says).
* **Down**: from a row the person *owns* (found by identity, or owned through a reference to an
  owned row), a *child* row (one that references it) is owned too, unless the child's table is
  about other categories of people (``subject``), the child is a person table of another
  category or is reached from a row other than the person's own record, or the reference is a
  person table referring to itself (a manager and the people they manage are different people).
  Nothing is owned through a catalogue (``catalogue: true``: products, countries), and a row
  that names the client (``tenants``) and no category of people is the client's, not its
  contact's.
* **The client's record of an organization** (an account that its holders' own records
  reference, :meth:`StoreGraph.is_organization`) is not a person's: found by identity (its
  accounting address) it leads nowhere; reached up from the person's own record as the account
  they hold, it leads down to the account's records about the same category of people (its
  payment methods and invoices, reached ``via`` "account"), never to people.
* **Up**: from an owned row, a *parent* row it references (the address an order ships to, the
  product it contains) is *referenced* data: exported when it is about the person, as context
  for a catalogue. It is never a bridge: the search goes up from it (a product's category) but
  never back down to the other rows that reference it (the other buyers of the product). A
  person table or the client table is reached upwards only from the person's own record and only
  when declared about the same category of people (the account an account holder holds).
* A row naming only other people as owners (a reference to a person-table row that is not the
  person's, clients excepted) is somebody else's, however it was reached: the card another
  customer paid one of the person's orders with is not theirs. A row naming the person and
  somebody else, or that other people's rows reference, is *shared*: so are the rows hanging
  from it that name no owner (the notes of a shared meeting).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from registre.register.mapping import DataStore, TableMapping
from registre.register.model import Register


@dataclass(frozen=True)
class Edge:
    """A reference ``child.column -> parent.target``, within one store."""

    child: str
    column: str
    parent: str
    target: str
    unlink: bool = False
    """``on_delete: unlink``: deleting the parent keeps the child, its column set to NULL."""


@dataclass
class StoreGraph:
    """The tables of one store and the references between them."""

    store_id: str
    store: DataStore
    edges: list[Edge] = field(default_factory=list)
    # the finder asks for a table's references once per row it finds; edges never change
    # after build_graphs
    _memo: dict[tuple[str, str], list[Edge]] = field(default_factory=dict, repr=False)

    def mapping(self, table: str) -> TableMapping:
        return self.store.tables[table]

    @property
    def tenant_table(self) -> str | None:
        return self.store.tenants.table if self.store.tenants else None

    def is_person_table(self, table: str) -> bool:
        return table in self.store.tables and bool(self.store.tables[table].identity)

    def children(self, parent: str) -> list[Edge]:
        found = self._memo.get(("children", parent))
        if found is None:
            found = self._memo["children", parent] = [e for e in self.edges if e.parent == parent]
        return found

    def parents(self, child: str) -> list[Edge]:
        found = self._memo.get(("parents", child))
        if found is None:
            found = self._memo["parents", child] = [e for e in self.edges if e.child == child]
        return found

    def subjects(self, table: str) -> tuple[str, ...]:
        """The categories of people the rows of ``table`` are about (none: not narrowed)."""
        mapping = self.store.tables.get(table)
        return tuple(mapping.subject_ids()) if mapping else ()

    def fits(self, table: str, context: str | None) -> bool:
        """Whether rows of ``table`` may be about people of ``context``."""
        subjects = self.subjects(table)
        return not subjects or context is None or context in subjects

    def about(self, table: str, context: str | None) -> bool:
        """Whether ``table`` is declared about the people of ``context`` (never when either is
        unknown)."""
        return context is not None and context in self.subjects(table)

    def context(self, table: str, context: str | None) -> str | None:
        """The category of people a row of ``table`` reached in ``context`` is about: its
        table's one subject; for a table about several kinds of people (customers' and
        employees' addresses), the context it was reached in, so that none is dropped."""
        subjects = self.subjects(table)
        if len(subjects) == 1:
            return subjects[0]
        if not subjects or context in subjects:
            return context
        return None

    def is_catalogue(self, table: str) -> bool:
        """A table of things, not people (products, countries): context, never a bridge."""
        mapping = self.store.tables.get(table)
        return bool(mapping and mapping.catalogue)

    def leads_down(self, table: str, via: str) -> bool:
        """Whether a row of ``table`` reached ``via`` leads down to the rows referencing it.

        Owned rows do, referenced ones never (they are not a bridge), nor does a catalogue. The
        client's record (an organization) leads down only when it is the account the person
        holds, reached up from their own record: then to the account's records about the
        same category of people (its invoices), never to people (see :meth:`may_descend`).
        """
        if self.is_catalogue(table):
            return False
        if self.is_organization(table):
            return via == "parent"
        return via != "parent"

    def is_organization(self, table: str) -> bool:
        """Whether ``table`` is the client's record of an organization: the people who hold it
        have records of their own that reference it (an account and its account holders), as
        opposed to a professional whose own record is the client's."""
        if table != self.tenant_table:
            return False
        subjects = set(self.subjects(table))
        return any(
            self.is_person_table(edge.child) and subjects & set(self.subjects(edge.child))
            for edge in self.children(table)
            if edge.child != table
        )

    def may_descend(self, edge: Edge, context: str | None) -> bool:
        """Whether a child row referencing a row of the person (in ``context``) is theirs."""
        if not self.fits(edge.child, context):
            return False
        if self.is_catalogue(edge.parent):
            return False  # naming a product makes no row anyone's
        if edge.parent == self.tenant_table and not self.subjects(edge.child):
            return False  # belonging to a client does not make a row its contact's
        if self.is_organization(edge.parent):
            # under the account a person holds: its records about such people (its invoices),
            # not the people in it (other holders, the users of its devices)
            return not self.is_person_table(edge.child) and self.about(edge.child, context)
        if self.is_person_table(edge.child):
            return edge.child != edge.parent and self.about(edge.child, context)
        return True

    def may_ascend(self, edge: Edge, context: str | None) -> bool:
        """Whether the parent row that a row of the person references is theirs."""
        if edge.parent not in self.store.tables:
            return False
        if self.is_person_table(edge.parent) or edge.parent == self.tenant_table:
            # another person's record, or the client's, unless declared about the same people
            # (the account an account holder holds)
            return edge.child != edge.parent and self.about(edge.parent, context)
        return self.fits(edge.parent, context)

    def is_end(self, table: str) -> bool:
        """Whether ``table`` ends the references: not a person table nor the clients', no row
        references it, and its rows reference one column only (a device's points).

        The finder may keep the person's rows of such a table as a condition (``Bulk``).
        """
        return (
            table in self.store.tables
            and not self.is_person_table(table)
            and table != self.tenant_table
            and not self.children(table)
            and len({edge.column for edge in self.parents(table)}) == 1
        )

    def owner_edges(self, table: str) -> list[Edge]:
        """References that name whose row this is: to a person table other than the clients'."""
        found = self._memo.get(("owners", table))
        if found is None:
            found = self._memo["owners", table] = [
                edge
                for edge in self.parents(table)
                if self.is_person_table(edge.parent) and edge.parent != self.tenant_table
            ]
        return found

    def needed_columns(self, table: str) -> list[str]:
        """The columns the finder reads: key (first, all its columns), references both ways,
        identity, tenant."""
        mapping = self.mapping(table)
        columns = [*mapping.key_columns()]
        columns += [edge.column for edge in self.parents(table)]
        columns += [edge.target for edge in self.children(table)]
        columns += [column for _, column in mapping.identity_columns()]
        return list(dict.fromkeys(columns))


def build_graphs(register: Register) -> list[StoreGraph]:
    """One graph per store of the register, in register order."""
    graphs = []
    for store_id, store in register.stores.items():
        graph = StoreGraph(store_id, store)
        for table, mapping in store.tables.items():
            for reference in mapping.references.values():
                if reference.table not in store.tables:
                    continue  # an unmapped table holds no personal data we know of
                target = reference.target or store.tables[reference.table].key_columns()[0]
                unlink = reference.on_delete == "unlink"
                graph.edges.append(Edge(table, reference.column, reference.table, target, unlink))
        graphs.append(graph)
    return graphs

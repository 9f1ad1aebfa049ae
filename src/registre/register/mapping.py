"""How the register maps onto the organization's databases (the ``stores`` section).

A store is a database reached by a SQLAlchemy URL read from the environment: secrets never sit
in the register. For each table the mapping says whose data it holds, how a person is found
(identity columns), how it links to other tables, which columns hold which data categories,
where each trigger event's timestamp lives, and which retention rules apply to it.

How a sweep reads it (the full rules are in :mod:`registre.engine.plan`):

- ``events`` paths such as ``account.deleted_at`` follow ``references``; ``contract_ended``
  without a column of its own is read on ``tenants`` through the table's ``tenant``.
- A ``delete`` rule deletes rows; a row another mapped table still references is blocked,
  never cascaded, unless the reference says ``on_delete: unlink``: then the referencing rows
  are kept and their column set to NULL in the batch that deletes the row (a row under a
  legal hold is never unlinked: it blocks its parent instead). ``unlink`` needs a nullable
  column. The short form ``manager_id -> managers`` blocks; write ``{column: manager_id,
  table: managers, on_delete: unlink}`` to unlink.
- An ``anonymize`` rule rewrites only the columns under ``anonymize``; a row is done when
  ``anonymized_at`` is set or, without it, when every column is NULL or already in its
  anonymized form (``hash`` and ``fake_name`` cannot be recognised: they need
  ``anonymized_at``). A key cannot be anonymized, and a reference only unlinked (``null``).
- ``keep_last`` needs ``per`` (a column of the table) and ``order_by``; ties are broken by the
  primary key, the higher being the newer, and rows with no ``order_by`` value are the oldest.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

Column = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)]
ColumnPath = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]
"""A column of this table (``deleted_at``) or reached through references (``account.deleted_at``).
"""

AnonymizeMethod = Literal[
    "null",
    "redact",
    "redact_unique",
    "hash",
    "month",
    "year",
    "coarse_location",
    "fake_name",
    "fake_email",
    "fake_phone",
]


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True
    )


class Reference(_Strict):
    """A link from a column of this table to another table's key."""

    column: Column
    """The column of this table holding the reference."""
    table: str
    """The referenced table."""
    target: Column | None = None
    """The referenced column; the referenced table's primary key when omitted."""
    on_delete: Literal["block", "unlink"] = "block"
    """When a sweep deletes the referenced row: 'block' keeps it while this row exists; 'unlink'
    sets this nullable column to NULL and keeps this row.
    """


def _references_short_form(value: Any) -> Any:
    # "account: account_id -> accounts" is the short form of {column, table}.
    if isinstance(value, dict):
        out = {}
        for name, ref in value.items():
            if isinstance(ref, str) and "->" in ref:
                column, table = (part.strip() for part in ref.split("->", 1))
                target = None
                if "." in table:
                    table, target = table.split(".", 1)
                ref = {"column": column, "table": table, "target": target}
            out[name] = ref
        return out
    return value


def _identity_columns(value: Any) -> Any:
    # "email: email" is the short form of "email: [email]"
    if isinstance(value, dict):
        return {kind: [c] if isinstance(c, str) else c for kind, c in value.items()}
    return value


class RuleBinding(_Strict):
    """How one retention rule applies to this table."""

    anonymize: dict[Column, AnonymizeMethod] = Field(default_factory=dict)
    """The method for each column: what an 'anonymize' rule writes, and what an erasure writes
    into a row it must keep (a row another row still references); the rest of the row is kept.
    On a UNIQUE column use a method that keeps values unique (redact_unique, hash, fake_email).
    """
    per: ColumnPath | None = None
    """For a 'keep_last' rule: the column whose value the count is kept for (a device id)."""
    order_by: Column | None = None
    """For a 'keep_last' rule: the column that orders records, newest last."""
    kept_while: ColumnPath | None = None
    """For a rule with 'kept_while': the column that holds a row while it is set (true, or any
    value but NULL and 0), such as under_investigation or case.investigation_opened_at."""
    anonymized_at: Column | None = None
    """For an 'anonymize' rule: a timestamp column the sweep sets, so anonymized rows are not due
    again; required with the hash and fake_* methods.
    """


class ColumnCondition(_Strict):
    """A column's value that an event needs: {column: status, in: [closed, archived]}."""

    column: ColumnPath
    """The column (or a column reached through references, such as case.status)."""
    in_: Annotated[list[str | int | bool], Field(min_length=1, alias="in")]
    """The values for which the event has happened, such as [closed]."""


class TableMapping(_Strict):
    subject: str | list[str] | None = None
    """Which category of person the rows are about (a subject id), or several for a table
    holding several kinds of people (customers' and employees' addresses): a row is then about
    the kind of person it was reached from, and none is left out of a search.
    """
    primary_key: Column | Annotated[list[Column], Field(min_length=1, max_length=16)] = "id"
    """The key column, or its columns in order when it has several: [order_id, item_no]."""
    identity: Annotated[
        dict[str, Annotated[list[Column], Field(min_length=1)]],
        BeforeValidator(_identity_columns, json_schema_input_type=dict[str, Column | list[Column]]),
    ] = Field(default_factory=dict)
    """How a person is recognised, one column or several per kind: {email: [email, alt_email],
    phone: phone_number, customer_id: id}. Emails match ignoring case and surrounding spaces,
    phone numbers in any written form of the same number, other kinds exactly.
    """
    references: Annotated[dict[str, Reference], BeforeValidator(_references_short_form)] = Field(
        default_factory=dict
    )
    """Links to other tables: {name: 'column -> table'} or {name: {column, table, target}}."""
    columns: dict[Column, str] = Field(default_factory=dict)
    """Columns holding personal data, each with its data category id."""
    not_personal: list[Column] = Field(default_factory=list)
    """Columns known to hold no personal data (ids, flags, counters)."""
    events: dict[str, ColumnPath] = Field(default_factory=dict)
    """Where each trigger event's timestamp is: {account_deleted: account.deleted_at}."""
    when: dict[str, ColumnCondition] = Field(default_factory=dict)
    """Events that happen only for some values of a column, by event id: {file_closed: {column:
    status, in: [closed]}}: a row whose status is not one of them has no such event, whatever
    its timestamp, so its clock has not started."""
    latest_of: dict[str, Annotated[list[ColumnPath], Field(min_length=1)]] = Field(
        default_factory=dict
    )
    """Events that are the latest of several timestamps, by event id, such as an inactivity
    clock: {last_activity: [created_at, last_order.created_at]}: the event is the latest of its
    column under 'events' and these, NULLs left out ('6 months after last_activity' is then six
    consecutive months without any of them)."""
    tenant: ColumnPath | None = None
    """The column naming the client company or professional a row belongs to."""
    language: Column | None = None
    """The column holding the language each person chose (fr, en, fr-FR...): what registre
    writes to them on its own initiative (a breach's Art. 34 letters) is in that language when
    the register's policy offers it, else in the policy's first language."""
    rules: dict[str, RuleBinding] = Field(default_factory=dict)
    """Retention rules applied to this table, by rule id (or a list of ids)."""
    catalogue: bool = False
    """A table of things, not people (products, countries, plans): a person's rows that point
    to it show it as context, and it never leads from one person's rows to another's. A
    request never changes it.
    """

    def key_columns(self) -> tuple[str, ...]:
        """The primary key's columns, one for a key of one column."""
        key = self.primary_key
        return (key,) if isinstance(key, str) else tuple(key)

    def identity_columns(self) -> list[tuple[str, str]]:
        """Every (identity kind, column) pair, a kind once per column that holds it."""
        # model_copy(update=...) skips validation: the short form may still be there
        pairs = _identity_columns(self.identity).items()
        return [(kind, column) for kind, columns in pairs for column in columns]

    @model_validator(mode="before")
    @classmethod
    def _rules_short_form(cls, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("rules"), list):
            for item in value["rules"]:
                if isinstance(item, dict | list):  # it cannot be a key: say so, not crash
                    raise ValueError(
                        "'rules' is a list of rule ids, and one of its items is a "
                        f"{'mapping' if isinstance(item, dict) else 'list'}; write "
                        "rules: [rule-id, ...], or rules: {rule-id: {anonymize: ...}} "
                        "for a rule that needs settings"
                    )
            value = {**value, "rules": {rule_id: {} for rule_id in value["rules"]}}
        return value

    def subject_ids(self) -> list[str]:
        """The categories of people the rows are about, as a list (empty: not said)."""
        if self.subject is None:
            return []
        return [self.subject] if isinstance(self.subject, str) else list(self.subject)

    @model_validator(mode="after")
    def _derived_events_mapped(self) -> TableMapping:
        for kind, derived in (("when", self.when), ("latest_of", self.latest_of)):
            unmapped = sorted(set(derived) - set(self.events))
            if unmapped:
                raise ValueError(
                    f"'{kind}' names {', '.join(map(repr, unmapped))}, which 'events' does not "
                    "map: give its timestamp column under 'events' too"
                )
        return self

    @model_validator(mode="after")
    def _catalogue_holds_no_people(self) -> TableMapping:
        if self.catalogue and (self.identity or self.subject):
            raise ValueError(
                "a catalogue holds things, not people: remove 'identity' and 'subject', "
                "or 'catalogue: true' if its rows are about people"
            )
        return self


class Tenants(_Strict):
    """The client companies or professionals of a multi-client service."""

    table: str
    """The table of clients."""
    key: Column = "id"
    """Its primary key column."""
    contract_ended: Column | None = None
    """When the client's contract ended; drives 'contract_ended' clocks of client data. An
    erasure asked by a person who holds the client's account keeps the account's records (its
    payment methods) while the contract runs: while this column and the client table's own
    event columns (an account's deleted_at) are empty or later than the request.
    """
    retention_months: Column | None = None
    """The retention period agreed with this client, in months ('client_agreed' rules)."""
    contact_column: Column | None = None
    """The column holding where each client is told of a personal data breach (its DPO's or
    security contact's email, such as dpo_email): a breach's notice to that client is mailed
    there (Art. 33(2))."""


class DataStore(_Strict):
    url_env: str = Field(pattern=r"^[A-Z_][A-Z0-9_]*$")
    """The environment variable holding the SQLAlchemy URL, such as DATABASE_URL."""
    tables: dict[str, TableMapping] = Field(default_factory=dict)
    """The mapped tables, by table name."""
    tenants: Tenants | None = None
    """The table of client companies or professionals, for multi-client services."""

"""What the register says about a mapped table: its activities, categories, and duties to keep.

A table belongs to the processing activities whose retention rules it is bound to (``rules``
in the mapping); a table bound to no rule belongs to every activity processing one of its
columns' data categories. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from registre.register.mapping import TableMapping
from registre.register.model import ProcessingActivity, Register, RetentionRule
from registre.register.taxonomy import LegalBasis, Role, Source

PORTABLE_BASES = frozenset({LegalBasis.consent, LegalBasis.contract})


@dataclass(frozen=True)
class RuleRef:
    activity_id: str
    rule_id: str
    rule: RetentionRule


def table_rules(register: Register, mapping: TableMapping) -> list[RuleRef]:
    refs = []
    for rule_id in mapping.rules:
        try:
            activity_id, rule = register.rule(rule_id)
        except KeyError:
            continue
        refs.append(RuleRef(activity_id, rule_id, rule))
    return refs


def table_activities(register: Register, mapping: TableMapping) -> list[str]:
    """The activities a table's rows are processed for, in register order."""
    bound = {ref.activity_id for ref in table_rules(register, mapping)}
    if not bound:
        categories = set(mapping.columns.values())
        bound = {
            activity_id
            for activity_id, activity in register.activities.items()
            if categories & set(activity.data)
        }
    return [activity_id for activity_id in register.activities if activity_id in bound]


def column_activities(register: Register, mapping: TableMapping, column: str) -> list[str]:
    """The table's activities that process this column's category (all of them if none)."""
    activities = table_activities(register, mapping)
    category = mapping.columns.get(column)
    narrowed = [a for a in activities if category in register.activities[a].data]
    return narrowed or activities


PROVIDED = frozenset({Source.data_subject, Source.automatic})
"""Sources of data the person "provided" in the sense of Art. 20(1): what they gave knowingly,
and what is observed from their use of the service or device (location, browsing history):
the EDPB's portability guidelines (WP242 rev.01, section III.1) count both. Data from the
client, a third party or public sources is not the person's to port."""


def is_portable(activity: ProcessingActivity) -> bool:
    """Art. 20(1): data the person provided, processed on consent or a contract."""
    provided = any(source.kind in PROVIDED for source in activity.sources)
    return provided and bool(PORTABLE_BASES & set(activity.legal_basis))


def portable_columns(register: Register, mapping: TableMapping) -> list[str]:
    return [
        column
        for column in mapping.columns
        if any(
            is_portable(register.activities[a])
            for a in column_activities(register, mapping, column)
        )
    ]


def legal_duty_rules(register: Register, mapping: TableMapping) -> list[RuleRef]:
    """Rules that keep data to comply with a legal obligation (Art. 17(3)(b)).

    Every rule of an activity carried out under a legal obligation alone; in an activity with
    other bases too (a contract *and* a legal obligation), only the rules that name their data:
    a rule naming none covers the whole activity, which the obligation does not need.
    """
    out = []
    for ref in table_rules(register, mapping):
        bases = set(register.activities[ref.activity_id].legal_basis)
        if LegalBasis.legal_obligation in bases and (len(bases) == 1 or ref.rule.data):
            out.append(ref)
    return out


def kept_columns(register: Register, mapping: TableMapping, duty: list[RuleRef]) -> set[str]:
    """The personal columns a legal duty needs: those whose category its rules cover."""
    categories: set[str] = set()
    for ref in duty:
        categories |= set(register.rule_categories(ref.activity_id, ref.rule))
    return {column for column, category in mapping.columns.items() if category in categories}


def processor_activities(register: Register, mapping: TableMapping) -> list[str]:
    """The table's activities that we carry out as a processor, for a controller."""
    return [
        a
        for a in table_activities(register, mapping)
        if register.activities[a].role == Role.processor
    ]


def held_for_controller(register: Register, mapping: TableMapping, column: str) -> bool:
    """Whether a processor activity processes the column: then its controller decides on it."""
    return any(
        register.activities[a].role == Role.processor
        for a in column_activities(register, mapping, column)
    )


def personal_columns(mapping: TableMapping) -> list[str]:
    """The mapped columns about a person: data and identity, not the key nor references."""
    references = {ref.column for ref in mapping.references.values()}
    names = list(mapping.columns) + [column for _, column in mapping.identity_columns()]
    return [c for c in dict.fromkeys(names) if c != mapping.primary_key and c not in references]


def partly_processor(register: Register, mapping: TableMapping) -> bool:
    """A table we control but hold some columns of for a controller (a console's managers).

    Only a table bound to rules of both kinds of activity: a data category that a processor
    activity lists among others is not enough to take a table out of our hands.
    """
    return (
        bool(mapping.rules)
        and not processor_only(register, mapping)
        and any(held_for_controller(register, mapping, c) for c in personal_columns(mapping))
    )


def processor_only(register: Register, mapping: TableMapping) -> bool:
    """True when every activity of the table is one we carry out as a processor."""
    activities = table_activities(register, mapping)
    return bool(activities) and all(
        register.activities[a].role == Role.processor for a in activities
    )

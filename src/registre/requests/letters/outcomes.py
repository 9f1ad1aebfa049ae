"""What an erasure or a rectification did, in words, for the person or for their controller.

Each table's outcome is one line: the categories of data, how many records, and for what is
kept, why and until when. Shared by the letters to people (:mod:`.person`) and to
controllers (:mod:`.controller`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from registre.documents.naming import Namer
from registre.documents.retention import describe_rule
from registre.documents.typography import sentence, upper_first
from registre.documents.wording import date as date_words
from registre.register.model import Lang, Register
from registre.requests import table_activities
from registre.requests.erase import Outcome
from registre.requests.find import Finder
from registre.requests.letters.layout import (
    Section,
    records,
)


def erasure_sections(
    register: Register, finder: Finder, lang: Lang, result: dict[str, Any], third: bool = False
) -> list[Section]:
    """What an erasure did: the data erased, anonymized and kept (with why and until when).

    ``third``: written about the person, to their controller.
    """
    n = Namer(register, lang)
    outcomes = [_outcome(o) for o in result.get("outcomes", [])]
    until = {(o["store"], o["table"]): _day(o.get("until")) for o in result.get("outcomes", [])}
    sections = []
    for action, fr, en in (
        ("deleted", "Données effacées", "Data erased"),
        ("anonymized", "Données anonymisées", "Data anonymised"),
        ("kept", "Données conservées", "Data kept"),
    ):
        items = outcome_items(register, finder, lang, outcomes, action, until, third)
        if items:
            sections.append(Section(n.say(fr, en), items=items))
    return sections


def rectification_section(register: Register, lang: Lang, result: dict[str, Any]) -> Section:
    """What a rectification corrected."""
    n = Namer(register, lang)
    changed = sorted({u["column"] for u in result.get("updated", [])})
    return Section(
        n.say("Données rectifiées", "Data rectified"),
        paragraphs=[
            n.say(
                "Nous avons corrigé les informations suivantes partout où nous les détenons :",
                "We corrected the following information everywhere we hold it:",
            )
        ],
        items=[_field_name(register, column, lang) for column in changed]
        or [
            n.say(
                "aucune information à corriger n’a été trouvée.",
                "no information to correct was found.",
            )
        ],
    )


def outcome_items(
    register: Register,
    finder: Finder,
    lang: Lang,
    outcomes: list[Outcome],
    action: str,
    until: dict[tuple[str, str], date | None] | None = None,
    third: bool = False,
) -> list[str]:
    """One line per table of outcomes with ``action``, in words (categories, count, why).

    ``third``: written about the person, to their controller, rather than to them.
    """
    n = Namer(register, lang)
    items = []
    for outcome in outcomes:
        if outcome.action != action:
            continue
        mapping = finder.graphs_by_id[outcome.store].mapping(outcome.table)
        columns = list(mapping.columns)
        if action == "anonymized" and outcome.columns:
            # a row partly anonymized (the rest held for a controller): what was
            columns = [c for c in columns if c in outcome.columns] or columns
        elif action == "forwarded":
            held = [
                c for c in columns if table_activities.held_for_controller(register, mapping, c)
            ]
            columns = held or columns
        categories = list(dict.fromkeys(mapping.columns[c] for c in columns))
        what = n.categories(categories, described=True) if categories else n.say("Données", "Data")
        line = f"{upper_first(what)}{n.say(' : ', ': ')}{records(outcome.count, lang)}"
        if action == "kept":
            line += n.say(" ; ", "; ") + _why(register, finder, lang, outcome, until or {}, third)
        items.append(sentence(line))
    return items


def _why(
    register: Register,
    finder: Finder,
    lang: Lang,
    outcome: Outcome,
    until: dict[tuple[str, str], date | None],
    third: bool = False,
) -> str:
    """Why rows were kept; ``third``: about the person, to their controller."""
    n = Namer(register, lang)
    mapping = finder.graphs_by_id[outcome.store].mapping(outcome.table)
    kept_fields = [mapping.columns[c] for c in mapping.columns if c not in outcome.columns]
    if outcome.reason == "hold":
        return n.say(
            "conservées en l’état en raison d’une procédure ou d’une réclamation en cours "
            "(gel juridique), jusqu’à sa clôture",
            "kept as they are because of pending proceedings or an open claim (legal hold), "
            "until it is closed",
        )
    if outcome.reason == "unlinked":
        return n.say(
            f"conservées, mais sans plus aucun lien avec {'cette personne' if third else 'vous'}",
            f"kept, but no longer linked to {'this person' if third else 'you'}",
        )
    if outcome.reason == "organization":
        return n.say(
            "conservées car elles appartiennent au compte de l’organisation cliente, et non "
            f"{'à cette personne' if third else 'à vous'}",
            "kept because they belong to the client organization's account, not to "
            f"{'this person' if third else 'you'}",
        )
    if outcome.reason == "contract":
        return n.say(
            "conservées car elles appartiennent au compte de l’organisation cliente, dont le "
            "contrat est en cours et qui en a encore besoin ; elles seront traitées comme les "
            "autres quand ce contrat aura pris fin",
            "kept because they belong to the client organization's account, whose contract is "
            "running and still needs them; they will be dealt with like the rest once that "
            "contract has ended",
        )
    if outcome.reason == "shared":
        return n.say(
            "conservées car elles concernent aussi d’autres personnes ; les informations qui "
            f"{'l’' if third else 'vous '}identifient y ont été effacées",
            "kept because they also concern other people; the details identifying "
            f"{'them' if third else 'you'} were erased from them",
        )
    reasons = []
    for activity_id, rule_id in outcome.rules:
        rule = register.activities[activity_id].retention[rule_id]
        text = describe_rule(register, rule, lang).rstrip(".")
        reference = f" ({n.text(rule.reference)})" if rule.reference else ""
        reasons.append(text + reference)
    day = outcome.until or until.get((outcome.store, outcome.table))
    when = (
        n.say(f" jusqu’au {date_words(day, lang)}", f" until {date_words(day, lang)}")
        if day
        else ""
    )
    why = n.say(
        f"conservées{when} pour respecter une obligation légale : " + " ; ".join(reasons),
        f"kept{when} to comply with a legal obligation: " + "; ".join(reasons),
    )
    kept = list(dict.fromkeys(kept_fields))
    if set(kept) == set(mapping.columns.values()):
        return why  # the line already names them all
    return why + n.say(
        f" ; seules sont conservées ces informations : {n.categories(kept)} ; le reste a été "
        "anonymisé",
        f"; only this information is kept: {n.categories(kept)}; the rest was anonymised",
    )


def _outcome(data: dict[str, Any]) -> Outcome:
    rules = [tuple(r.split("/", 1)) for r in data.get("rules", [])]
    return Outcome(
        data["store"],
        data["table"],
        data["action"],
        data["count"],
        data.get("reason", ""),
        list(data.get("columns", [])),
        [(a, r) for a, r in rules],
        until=_day(data.get("until")),
    )


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _field_name(register: Register, column: str, lang: Lang) -> str:
    n = Namer(register, lang)
    if "email" in column:
        return n.say("adresse e-mail", "email address")
    if "phone" in column:
        return n.say("numéro de téléphone", "phone number")
    for store in register.stores.values():
        for mapping in store.tables.values():
            if column in mapping.columns:
                return n.category(mapping.columns[column])
    return n.say("autre information", "other information")

"""Retention rules in plain words: « supprimées 6 mois après la suppression du compte ».

A rule reads as a clause that follows the name of a data category and a colon, so that a
policy, a register export and an access-request letter can all write::

    Données de compte : supprimées 6 mois après la suppression du compte.

The clause agrees with « données » (feminine plural) in French. Several clocks read as the
earliest of them; a count cap keeps only the newest records; a period each client may agree
reads with its default; a promise that cannot be measured is given as written.
"""

from __future__ import annotations

from registre.documents.typography import a, de, sentence, typeset
from registre.documents.wording import duration, or_list, pick
from registre.register.model import Clock, CountCap, Lang, Register, RetentionRule
from registre.register.taxonomy import Action


def describe_retention(register: Register, activity_id: str, rule_id: str, lang: Lang) -> str:
    """How long the data a rule covers is kept, as a clause ending with a full stop.

    The clause starts in lower case, to follow a category name and a colon; raises
    ``KeyError`` when the activity or the rule does not exist.
    """
    rule = register.activities[activity_id].retention[rule_id]
    return describe_rule(register, rule, lang)


def describe_rule(register: Register, rule: RetentionRule, lang: Lang) -> str:
    """The clause for a rule object (see :func:`describe_retention`)."""
    parts: list[str] = []
    if rule.keep_last is not None:
        parts.append(_count_cap(register, rule, rule.keep_last, lang))
    elif rule.client_agreed:
        parts.append(_client_agreed(register, rule, lang))
    elif rule.after:
        parts.append(
            sentence(f"{_participle(rule.action, lang)} {_due(register, rule.after, lang)}")
        )
    if rule.statement is not None:
        parts.append(sentence(rule.statement.get(lang)))
    return typeset(" ".join(parts), lang)


def event_name(register: Register, event_id: str, lang: Lang) -> str:
    """The event in words, with its article: 'la suppression du compte'."""
    return register.event(event_id).name.get(lang)


def _participle(action: Action, lang: Lang) -> str:
    """The participle, agreeing with « données » (feminine plural)."""
    if action is Action.anonymize:
        return pick(lang, "anonymisées", "anonymised")
    return pick(lang, "supprimées", "deleted")


def _clock(register: Register, clock: Clock, lang: Lang) -> str:
    """'6 mois après la suppression du compte', 'immédiatement lors de la collecte'."""
    event = event_name(register, clock.event, lang)
    if clock.period.is_zero:
        return pick(lang, f"immédiatement lors {de(event)}", f"immediately upon {event}")
    return pick(
        lang,
        f"{duration(clock.period, lang)} après {event}",
        f"{duration(clock.period, lang)} after {event}",
    )


def _kept_until(register: Register, clock: Clock, lang: Lang) -> str:
    """The same clock seen from the keeping side: 'au plus 2 mois après la collecte'."""
    event = event_name(register, clock.event, lang)
    if clock.period.is_zero:
        return pick(lang, f"jusqu’{a(event)}", f"until {event}")
    return pick(
        lang,
        f"au plus {duration(clock.period, lang)} après {event}",
        f"for at most {duration(clock.period, lang)} after {event}",
    )


def _earliest(phrases: list[str], lang: Lang) -> str:
    text = or_list(phrases, lang)
    if len(phrases) > 1:
        text += pick(lang, ", à la première de ces échéances", ", whichever comes first")
    return text


def _due(register: Register, clocks: list[Clock], lang: Lang) -> str:
    return _earliest([_clock(register, c, lang) for c in clocks], lang)


def _client_agreed(register: Register, rule: RetentionRule, lang: Lang) -> str:
    default = _due(register, rule.after, lang)
    return sentence(
        pick(
            lang,
            f"{_participle(rule.action, lang)} à l’issue de la durée convenue avec chaque client ; "
            f"à défaut, {default}",
            f"{_participle(rule.action, lang)} at the end of the period agreed with each client; "
            f"failing that, {default}",
        )
    )


def _count_cap(register: Register, rule: RetentionRule, cap: CountCap, lang: Lang) -> str:
    per = cap.per.get(lang)
    if cap.items is not None and cap.count > 1:
        last = "dernières" if cap.feminine else "derniers"
        kept = pick(
            lang,
            f"nous ne conservons que les {cap.count} {last} {cap.items.get(lang)} {per}",
            f"we keep only the latest {cap.count} {cap.items.get(lang)} {per}",
        )
    elif cap.count == 1:
        kept = pick(
            lang,
            f"seul le dernier enregistrement {per} est conservé",
            f"only the last record {per} is kept",
        )
    else:
        kept = pick(
            lang,
            f"seuls les {cap.count} derniers enregistrements {per} sont conservés",
            f"only the last {cap.count} records {per} are kept",
        )
    if rule.after:
        limits = _earliest([_kept_until(register, c, lang) for c in rule.after], lang)
        kept = f"{kept}, {limits}"
    # « au-delà » covers both limits, the count and the clocks: what falls outside either goes.
    done = pick(
        lang,
        f"au-delà, les données sont {_participle(rule.action, lang)}",
        f"beyond that, the data is {_participle(rule.action, lang)}",
    )
    return sentence(pick(lang, f"{kept} ; {done}", f"{kept}; {done}"))

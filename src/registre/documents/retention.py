"""Retention rules in plain words: « effacement 6 mois après la suppression du compte ».

A rule reads as a clause that follows the name of a data category and a colon, so that a
policy, a register export and an access-request letter can all write::

    Données de compte : effacement 6 mois après la suppression du compte.
    Account data: deleted 6 months after the deletion of the account.

French names the action (« effacement », « anonymisation ») instead of using a participle:
a participle would have to agree with the category's name (« Moyen de paiement : supprimé »,
« Journaux : supprimés »), which the register does not give. « Effacement » rather than
« suppression », which so many events already say (« suppression dès la suppression du
compte »). Several clocks read as the
earliest of them; a count cap keeps only the newest records; a period each client may agree
reads with its default; a promise that cannot be measured is given as written. Several rules
on the same data read as one clause: the first that falls due applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from registre.documents.typography import a, de, que, sentence, typeset, upper_first
from registre.documents.wording import and_list, duration, or_list, pick
from registre.register.model import Clock, CountCap, Lang, Register, RetentionRule
from registre.register.taxonomy import Action


@dataclass(frozen=True)
class RetentionLine:
    """Data categories of one activity and every rule that covers them, in register order."""

    categories: tuple[str, ...]
    rules: tuple[RetentionRule, ...]


def describe_retention(register: Register, activity_id: str, rule_id: str, lang: Lang) -> str:
    """How long the data a rule covers is kept, as a clause ending with a full stop.

    The clause starts in lower case, to follow a category name and a colon; raises
    ``KeyError`` when the activity or the rule does not exist.
    """
    rule = register.activities[activity_id].retention[rule_id]
    return describe_rule(register, rule, lang)


def describe_rule(register: Register, rule: RetentionRule, lang: Lang) -> str:
    """The clause for a rule object (see :func:`describe_retention`)."""
    return describe_rules(register, [rule], lang)


def describe_rules(register: Register, rules: list[RetentionRule], lang: Lang) -> str:
    """The clause for several rules that cover the same data, whichever falls due first.

    Rules with only clocks and the same action share one list of clocks; rules with other
    actions follow « ; à défaut, » (the data is already gone when an earlier one applies).
    Count caps, per-client periods and statements keep their own sentences.
    """
    clocks: dict[Action, list[Clock]] = {}
    others: list[str] = []
    for rule in rules:
        if (
            rule.after
            and rule.keep_last is None
            and not (rule.client_agreed or rule.at_least or rule.stages or rule.kept_while)
        ):
            due = clocks.setdefault(rule.action, [])
            due += [c for c in rule.after if c not in due]
            if rule.statement is not None:
                others.append(sentence(rule.statement.get(lang)))
        else:
            others.append(_other(register, rule, lang))
    plain = [
        f"{_action(action, lang)} {_due(register, due, lang)}" for action, due in clocks.items()
    ]
    parts = [sentence(pick(lang, " ; à défaut, ", "; failing that, ").join(plain))] if plain else []
    parts += [part for part in others if part]
    # Only the first sentence follows the colon; the others start their own.
    text = " ".join([parts[0], *(upper_first(p) for p in parts[1:])]) if parts else ""
    return typeset(text, lang)


def retention_lines(register: Register, activity_id: str) -> list[RetentionLine]:
    """The activity's rules grouped by data category, so that no category is listed twice.

    Categories covered by the same rules share a line; a line comes where its first category
    first appears. With one rule per category, there is one line per rule, as written.
    """
    activity = register.activities[activity_id]
    covering: dict[str, list[RetentionRule]] = {}
    for rule in activity.retention.values():
        for category in register.rule_categories(activity_id, rule):
            rules = covering.setdefault(category, [])
            if not any(r is rule for r in rules):
                rules.append(rule)
    grouped: dict[tuple[int, ...], tuple[list[str], list[RetentionRule]]] = {}
    for category, rules in covering.items():
        key = tuple(id(r) for r in rules)
        grouped.setdefault(key, ([], rules))[0].append(category)
    return [RetentionLine(tuple(cats), tuple(rules)) for cats, rules in grouped.values()]


def event_name(register: Register, event_id: str, lang: Lang) -> str:
    """The event in words, with its article: 'la suppression du compte'."""
    return register.event(event_id).name.get(lang)


def _action(action: Action, lang: Lang) -> str:
    """« effacement » / 'deleted': a noun in French, so that nothing has to agree."""
    if action is Action.anonymize:
        return pick(lang, "anonymisation", "anonymized")
    return pick(lang, "effacement", "deleted")


def _participle(action: Action, lang: Lang) -> str:
    """The participle, for « les données sont … » (feminine plural)."""
    if action is Action.anonymize:
        return pick(lang, "anonymisées", "anonymized")
    return pick(lang, "supprimées", "deleted")


def _clock(register: Register, clock: Clock, lang: Lang) -> str:
    """'6 mois après la suppression du compte', 'dès la collecte'."""
    event = event_name(register, clock.event, lang)
    if clock.period.is_zero:
        return pick(lang, f"dès {event}", f"immediately upon {event}")
    hedge = pick(lang, "jusqu’à ", "up to ") if clock.up_to else ""
    return pick(
        lang,
        f"{hedge}{duration(clock.period, lang)} après {event}",
        f"{hedge}{duration(clock.period, lang)} after {event}",
    )


def _from(register: Register, clock: Clock, lang: Lang) -> str:
    """Where a deletion in stages starts: 'à partir de la suppression du compte'."""
    event = event_name(register, clock.event, lang)
    if clock.period.is_zero:
        return pick(lang, f"à partir {de(event)}", f"from {event}")
    return pick(
        lang,
        f"à partir de {duration(clock.period, lang)} après {event}",
        f"starting {duration(clock.period, lang)} after {event}",
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


def _other(register: Register, rule: RetentionRule, lang: Lang) -> str:
    """A rule that is not only clocks, as its own sentences."""
    parts: list[str] = []
    if rule.indefinite:
        parts.append(
            sentence(pick(lang, "conservation sans limitation de durée", "kept indefinitely"))
        )
    elif rule.keep_last is not None:
        parts.append(_count_cap(register, rule, rule.keep_last, lang))
    elif rule.client_agreed:
        parts.append(_client_agreed(register, rule, lang))
    elif rule.stages:
        parts.append(_stages(register, rule, lang))
    elif rule.after:
        parts.append(sentence(f"{_action(rule.action, lang)} {_due(register, rule.after, lang)}"))
    if rule.at_least:
        least = and_list([_clock(register, c, lang) for c in rule.at_least], lang)
        parts.append(
            sentence(
                pick(
                    lang,
                    f"les données sont conservées au moins {least}",
                    f"the data is kept for at least {least}",
                )
            )
        )
    if rule.kept_while is not None:
        hold = rule.kept_while.get(lang)
        parts.append(
            sentence(
                pick(
                    lang,
                    f"les données sont toutefois conservées tant {que(hold)}",
                    f"the data is however kept while {hold}",
                )
            )
        )
    if rule.statement is not None:
        parts.append(sentence(rule.statement.get(lang)))
    return " ".join(upper_first(p) if n else p for n, p in enumerate(parts))


def _stages(register: Register, rule: RetentionRule, lang: Lang) -> str:
    """A deletion in stages: 'deleted in stages from …: the trash is emptied after 30 days, …'."""
    start = _earliest([_from(register, c, lang) for c in rule.after], lang)
    steps: list[str] = []
    for n, stage in enumerate(rule.stages):
        span = duration(stage.after, lang)
        later = (
            pick(lang, "aussitôt", "at once")
            if stage.after.is_zero
            else pick(lang, f"{span} plus tard", f"{span} later")
        )
        within = (
            pick(lang, "aussitôt", "at once")
            if stage.after.is_zero
            else pick(lang, f"au bout de {span}", f"after {span}")
        )
        if stage.stage == "trash":
            steps.append(pick(lang, f"corbeille vidée {within}", f"the trash is emptied {within}"))
        elif stage.stage == "live":
            steps.append(
                pick(
                    lang,
                    f"effacement de nos systèmes en production {within if n == 0 else later}",
                    f"the data leaves our live systems {within if n == 0 else later}",
                )
            )
        else:
            steps.append(
                pick(lang, f"puis de nos sauvegardes {later}", f"then our backups {later}")
            )
    head = pick(
        lang,
        f"{_action(rule.action, lang)} par étapes {start}",
        f"{_action(rule.action, lang)} in stages {start}",
    )
    return sentence(f"{head}{pick(lang, ' : ', ': ')}{', '.join(steps)}")


def _client_agreed(register: Register, rule: RetentionRule, lang: Lang) -> str:
    default = _due(register, rule.after, lang)
    return sentence(
        pick(
            lang,
            f"{_action(rule.action, lang)} à l’issue de la durée convenue avec chaque client ; "
            f"à défaut, {default}",
            f"{_action(rule.action, lang)} at the end of the period agreed with each client; "
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

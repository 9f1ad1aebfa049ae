"""Where each retention clock stands for a person's data, for the access letter (Art. 15(1)(d)).

The policy says how long data is kept from an event (« 3 ans après la dernière activité »);
the person asking for access also learns where they stand: which of those events happened to
their data and when, and until when it is kept. For each retention rule of an activity that
covers the person's rows, read at the letter's date with the sweep's own plan
(:func:`registre.engine.plan.plan_store`): each clock's event (a derived event as the latest of
its timestamps, a status-dependent one only while the status holds), on how many of the
person's records it happened and between which days, and the last day a record is kept, as an
erasure letter dates it (stages up to the live systems added, a minimum period as a floor,
unknown while an open-ended hold holds the record).

Reads only; no id reaches the letter (:func:`status_lines` words it with the register's names).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registre._exceptions import MappingError
from registre.documents.naming import Namer
from registre.documents.retention import event_name
from registre.documents.typography import sentence, upper_first
from registre.documents.wording import date as date_words
from registre.durations import local_date
from registre.engine import status_values
from registre.engine.plan import plan_store
from registre.engine.work_items import ClockCheck, Path, WorkItem
from registre.register.model import Lang, Register
from registre.register.taxonomy import Action
from registre.requests.find import Finder, Found, Reading
from registre.requests.letters.layout import records


@dataclass
class EventStatus:
    """One clock's event over the person's records of a rule."""

    event: str
    happened: int = 0
    """Records for which the event happened (on or before the letter's date)."""
    first: date | None = None
    last: date | None = None


@dataclass
class RuleStatus:
    """One retention rule of one activity over the person's records."""

    activity: str
    rule: str
    action: Action
    records: int = 0
    events: dict[str, EventStatus] = field(default_factory=dict)
    kept_from: date | None = None
    """The earliest last day a record is kept (among those whose day is known)."""
    kept_to: date | None = None
    dated: int = 0
    """Records whose last day is known."""
    overdue: int = 0
    """Records whose last day is past: the next sweep deletes or anonymizes them."""
    held: int = 0
    """Records an open-ended hold (``kept_while``) keeps for now."""
    agreed: bool = False
    """A period each client agrees (``client_agreed``): not dated here, the client's may differ."""


Statuses = dict[str, list[RuleStatus]]
"""Activity id -> the status of each of its rules that covers the person's records."""


def evaluate(
    register: Register, finder: Finder, found: Found, day: date, reading: Reading
) -> Statuses:
    """The status of every clock of the rules over ``found``'s rows, on ``day``."""
    tz = ZoneInfo(register.policy.timezone)
    at = datetime.combine(day, time(12), tz)
    by_rule: dict[tuple[str, str], RuleStatus] = {}
    items_of: dict[str, list[WorkItem]] = {}
    for rows in found:
        if not rows.count:
            continue
        if rows.store not in items_of:
            try:
                items_of[rows.store] = list(plan_store(register, rows.store, at).items)
            except MappingError:
                # a mapping no sweep can run either (check --connect says why): the letter
                # still goes out, with how long data is kept but not where it stands
                items_of[rows.store] = []
        graph = finder.graphs_by_id[rows.store]
        tables = dict(finder.tables(graph))
        connection = reading.connection(rows.store)
        for item in items_of[rows.store]:
            if item.table != rows.table or not (item.clocks or item.minimum):
                continue
            rule = register.activities[item.activity].retention[item.rule]
            status = by_rule.setdefault(
                (item.activity, item.rule), RuleStatus(item.activity, item.rule, rule.action)
            )
            status.agreed = rule.client_agreed
            for condition in finder.conditions(rows):
                _read(status, item, tables, connection, condition, day, tz)
    out: Statuses = {}
    for status in by_rule.values():
        out.setdefault(status.activity, []).append(status)
    return out


def _paths(item: WorkItem) -> list[Path]:
    paths: list[Path] = []
    for clock in (*item.clocks, *item.minimum):
        paths += [clock.path, *clock.also]
        if clock.when is not None:
            paths.append(clock.when.path)
    if item.kept_while is not None:
        paths.append(item.kept_while)
    return list(dict.fromkeys(paths))


def _read(
    status: RuleStatus,
    item: WorkItem,
    tables: dict[str, sa.Table],
    connection: Connection,
    condition: Any,
    day: date,
    tz: ZoneInfo,
) -> None:
    """Add the rows selected by ``condition`` to ``status``."""
    t = tables[item.table]
    paths = _paths(item)
    source: sa.FromClause = t
    columns = []
    aliases = 0
    for path in paths:
        current: sa.FromClause = t
        for hop in path.hops:
            target = tables[hop.target_table].alias(f"hop_{aliases}")
            aliases += 1
            source = source.outerjoin(target, current.c[hop.column] == target.c[hop.target_column])
            current = target
        columns.append(current.c[path.column])
    index = {path: number for number, path in enumerate(paths)}
    query = sa.select(*columns).select_from(source).where(condition)
    for row in connection.execute(query):
        status.records += 1
        last_days: list[date] = []
        for clock in item.clocks:
            happened = _happened(clock, row, index, day, tz)
            event = status.events.setdefault(clock.event, EventStatus(clock.event))
            if happened is None:
                continue
            event.happened += 1
            event.first = min(event.first or happened, happened)
            event.last = max(event.last or happened, happened)
            last_days.append(_kept_to(clock, happened))
        kept = min(last_days) if last_days else None
        for minimum in item.minimum:
            floor = _happened(minimum, row, index, day, tz)
            kept = None if kept is None or floor is None else max(kept, _kept_to(minimum, floor))
        if item.kept_while is not None and row[index[item.kept_while]] not in (None, False, 0):
            status.held += 1  # held while the hold lasts: no last day
            continue
        if kept is not None and kept < day:
            status.overdue += 1
        elif kept is not None:
            status.dated += 1
            status.kept_from = min(status.kept_from or kept, kept)
            status.kept_to = max(status.kept_to or kept, kept)


def _happened(
    clock: ClockCheck, row: Any, index: dict[Path, int], day: date, tz: ZoneInfo
) -> date | None:
    """The day the clock's event happened to the row, if it did by ``day``."""
    if clock.when is not None and not status_values.matches(
        row[index[clock.when.path]], clock.when.values
    ):
        return None
    days = [d for p in (clock.path, *clock.also) if (d := _day(row[index[p]], tz)) is not None]
    if not days or max(days) > day:
        return None
    return max(days)


def _kept_to(clock: ClockCheck, happened: date) -> date:
    last = happened
    for period in (clock.period, *clock.stages):
        last = period.add_to(last)
    return last


def _day(value: Any, tz: ZoneInfo) -> date | None:
    day = local_date(value, tz) if isinstance(value, datetime) else value
    return day if isinstance(day, date) else None


def status_lines(
    register: Register,
    lang: Lang,
    statuses: list[RuleStatus],
    categories: Collection[str] = (),
) -> list[str]:
    """One sentence per rule: which events happened to the person's records, and when; until
    when the records are kept, or that the period has not started yet.

    With several lines, each starts with the categories of ``categories`` (those found) its
    rule covers, as the retention lines do.
    """
    n = Namer(register, lang)
    lines: list[tuple[RuleStatus, str]] = []
    for status in statuses:
        if not status.records or not status.events:
            continue
        told = [_event(register, lang, status, e) for e in status.events.values()]
        line = n.say(" ; ", "; ").join(told[:1] + [_lower(t) for t in told[1:]])
        line += n.say(" : ", ": ") + _kept(lang, status)
        lines.append((status, line))
    if len(lines) < 2:
        return [sentence(upper_first(line)) for _, line in lines]
    out = []
    for status, line in lines:
        rule = register.activities[status.activity].retention[status.rule]
        covered = [c for c in register.rule_categories(status.activity, rule) if c in categories]
        head = f"{n.categories(covered)}{n.colon()}" if covered and rule.data else ""
        out.append(sentence(upper_first(head + (_lower(line) if head else line))))
    return out


def _lower(text: str) -> str:
    """A clause after « ; »: an event's name lowered only when it starts with an article."""
    first = text.split(" ", 1)[0].lower()
    if first in ("le", "la", "les", "the") or first[:2] in ("l’", "l'"):
        return text[:1].lower() + text[1:]
    return text


def _event(register: Register, lang: Lang, status: RuleStatus, event: EventStatus) -> str:
    name = upper_first(event_name(register, event.event, lang))
    if not event.happened or event.first is None or event.last is None:
        return name + (" n’a pas encore eu lieu" if lang == "fr" else " has not happened yet")
    if event.first == event.last:
        when = (
            f"le {date_words(event.first, lang)}"
            if lang == "fr"
            else f"on {date_words(event.first, lang)}"
        )
    else:
        when = (
            f"entre le {date_words(event.first, lang)} et le {date_words(event.last, lang)}"
            if lang == "fr"
            else f"between {date_words(event.first, lang)} and {date_words(event.last, lang)}"
        )
    text = f"{name} a eu lieu {when}" if lang == "fr" else f"{name} took place {when}"
    if event.happened < status.records:
        of = records(status.records, lang)
        text += (
            f" pour {event.happened} de vos {of}"
            if lang == "fr"
            else f" for {event.happened} of your {of}"
        )
    elif status.records > 1:
        text += f" ({records(status.records, lang)})"
    return text


def _kept(lang: Lang, status: RuleStatus) -> str:
    done = _overdue(lang, status)
    if done and not status.dated:
        return done
    if status.agreed:
        return (
            "vos données sont conservées pendant la durée convenue avec chaque client"
            if lang == "fr"
            else "your data is kept for the period agreed with each client"
        )
    if status.held and not status.dated:
        return (
            "vos données sont conservées tant que dure la situation décrite ci-dessus"
            if lang == "fr"
            else "your data is kept while the situation described above lasts"
        )
    if not status.dated or status.kept_from is None or status.kept_to is None:
        return (
            "la durée de conservation n’a pas encore commencé à courir"
            if lang == "fr"
            else "the retention period has not started yet"
        )
    if status.action is Action.anonymize:
        kept_fr, kept_en = (
            "conservées sous une forme qui vous identifie",
            "kept in a form that identifies you",
        )
    else:
        kept_fr, kept_en = "conservées", "kept"
    first, last = date_words(status.kept_from, lang), date_words(status.kept_to, lang)
    if status.kept_from == status.kept_to:
        text = f"{kept_fr} jusqu’au {first}" if lang == "fr" else f"{kept_en} until {first}"
    else:
        text = (
            f"{kept_fr} jusqu’au {first} pour les plus anciennes, jusqu’au {last} pour les plus "
            "récentes"
            if lang == "fr"
            else f"{kept_en} until {first} for the oldest, until {last} for the most recent"
        )
    if done:
        text += n_say(lang, " ; ", "; ") + done
    if status.dated + status.held + status.overdue < status.records:
        rest = status.records - status.dated - status.held - status.overdue
        text += (
            f" ; pour {'l’autre' if rest == 1 else f'les {rest} autres'}, la durée de "
            "conservation n’a pas encore commencé à courir"
            if lang == "fr"
            else f"; for the other{'' if rest == 1 else f' {rest}'}, the retention period has "
            "not started yet"
        )
    return ("vos données sont " + text) if lang == "fr" else ("your data is " + text)


def n_say(lang: Lang, fr: str, en: str) -> str:
    return fr if lang == "fr" else en


def _overdue(lang: Lang, status: RuleStatus) -> str:
    """Records past their last day: the next sweep deals with them (it runs on a schedule)."""
    if not status.overdue:
        return ""
    done_fr = "anonymisées" if status.action is Action.anonymize else "effacées"
    done_en = "anonymised" if status.action is Action.anonymize else "deleted"
    if status.overdue == status.records:
        return n_say(
            lang,
            f"vos données ont atteint la fin de leur durée de conservation : elles seront "
            f"{done_fr} lors de notre prochaine purge",
            f"your data has reached the end of its retention period: it will be {done_en} at "
            "our next scheduled purge",
        )
    of = records(status.overdue, lang)
    one = status.overdue == 1
    they_fr = ("il sera " if one else "ils seront ") + done_fr[:-2] + ("" if one else "s")
    return n_say(
        lang,
        f"pour {of}, la durée de conservation est écoulée : {they_fr} lors de notre prochaine "
        "purge",
        f"for {of}, the retention period is over: {'it' if one else 'they'} will be {done_en} "
        "at our next scheduled purge",
    )

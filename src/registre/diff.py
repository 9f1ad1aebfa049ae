"""What changed between two versions of a register, and whether people must be told.

:func:`diff_registers` compares two valid registers and returns :class:`Change` items in register
order. A change ``affects_rights`` when it widens what is done with people's data (a new
purpose, activity, data category, recipient or transfer, a longer retention, a weaker safeguard,
a changed legal basis, a right taken away): those call for telling the people concerned before
they take effect (seed 001 promises an email). The others are editorial. When a change cannot
be proved narrower (a retention rule whose clocks start at other events), it counts as widening:
a DPO reviews a false alarm in a minute, a missed notice is a breach of the promise.

Each change carries its description in French and English, written with the register's own
names, never its ids. The ``stores`` section (the mapping to databases) is not compared: it does
not change what people are told.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from registre.durations import Duration
from registre.register.model import (
    Clock,
    Lang,
    ProcessingActivity,
    Register,
    RetentionRule,
    Text,
    Transfer,
)
from registre.register.taxonomy import EEA, Safeguard

Loc = tuple[str | int, ...]


class ChangeKind(StrEnum):
    """What kind of change; the ones marked (R) affect people's rights."""

    activity_added = "activity_added"  # (R)
    activity_removed = "activity_removed"
    purpose_changed = "purpose_changed"  # (R)
    legal_basis_changed = "legal_basis_changed"  # (R)
    role_changed = "role_changed"  # (R)
    subjects_added = "subjects_added"  # (R)
    subjects_removed = "subjects_removed"
    data_added = "data_added"  # (R)
    data_removed = "data_removed"
    retention_longer = "retention_longer"  # (R)
    retention_shorter = "retention_shorter"
    retention_reworded = "retention_reworded"
    recipient_added = "recipient_added"  # (R)
    recipient_removed = "recipient_removed"
    sharing_added = "sharing_added"  # (R)
    sharing_removed = "sharing_removed"
    transfer_added = "transfer_added"  # (R)
    transfer_weakened = "transfer_weakened"  # (R)
    transfer_changed = "transfer_changed"
    automated_decision_added = "automated_decision_added"  # (R)
    right_removed = "right_removed"  # (R)
    right_added = "right_added"
    deadline_longer = "deadline_longer"  # (R)
    deadline_shorter = "deadline_shorter"
    cookie_added = "cookie_added"  # (R) when it needs consent
    cookie_removed = "cookie_removed"
    cookie_changed = "cookie_changed"  # (R) when longer-lived or no longer asking consent
    breach_commitment_weakened = "breach_commitment_weakened"  # (R)
    controller_changed = "controller_changed"  # (R)
    contact_changed = "contact_changed"
    text_changed = "text_changed"


@dataclass(frozen=True)
class Change:
    """One difference between two versions, described for a DPO in each language."""

    kind: ChangeKind
    affects_rights: bool
    location: Loc
    """Path in the new register (in the old one for what was removed)."""
    fr: str
    en: str

    def describe(self, lang: Lang) -> str:
        return self.fr if lang == "fr" else self.en


# -- words ----------------------------------------------------------------------------------------

NBSP, NNBSP = "\u00a0", "\u202f"

BASES = {
    "consent": ("consentement", "consent"),
    "contract": ("exécution d’un contrat", "performance of a contract"),
    "legal_obligation": ("obligation légale", "legal obligation"),
    "vital_interests": ("intérêts vitaux", "vital interests"),
    "public_task": ("mission d’intérêt public", "public task"),
    "legitimate_interests": ("intérêt légitime", "legitimate interests"),
}
RIGHTS = {
    "access": ("droit d’accès", "right of access"),
    "rectification": ("droit de rectification", "right to rectification"),
    "erasure": ("droit à l’effacement", "right to erasure"),
    "restriction": ("droit à la limitation du traitement", "right to restriction of processing"),
    "portability": ("droit à la portabilité", "right to data portability"),
    "objection": ("droit d’opposition", "right to object"),
    "withdraw_consent": ("droit de retirer son consentement", "right to withdraw consent"),
    "automated_decision": (
        "droit de ne pas faire l’objet d’une décision automatisée",
        "right not to be subject to an automated decision",
    ),
    "post_mortem": (
        "droit de définir des directives post mortem",
        "right to give instructions for after death",
    ),
}
SAFEGUARDS = {
    "adequacy": ("décision d’adéquation", "adequacy decision"),
    "scc": ("clauses contractuelles types", "standard contractual clauses"),
    "bcr": ("règles d’entreprise contraignantes", "binding corporate rules"),
    "dpf": ("EU-US Data Privacy Framework", "EU-US Data Privacy Framework"),
    "derogation": ("dérogation de l’article 49", "Art. 49 derogation"),
    "privacy_shield": ("Privacy Shield (invalidé)", "Privacy Shield (invalidated)"),
    "none": ("aucune garantie", "no safeguard"),
}
# Higher is stronger; a drop in rank is a weaker safeguard.
STRENGTH = {
    "adequacy": 4,
    "dpf": 4,
    "bcr": 3,
    "scc": 3,
    "derogation": 2,
    "privacy_shield": 1,
    "none": 0,
}
ROLES = {
    "controller": ("responsable du traitement", "controller"),
    "processor": ("sous-traitant", "processor"),
    "joint_controller": ("responsable conjoint", "joint controller"),
}
UNITS = {
    "days": ("jour", "jours"),
    "weeks": ("semaine", "semaines"),
    "months": ("mois", "mois"),
    "years": ("an", "ans"),
}


def quote(value: str, lang: Lang) -> str:
    return f"«{NBSP}{value}{NBSP}»" if lang == "fr" else f"“{value}”"


def say(value: Text | None, lang: Lang) -> str:
    """A register text in ``lang``, in the other language when it is missing there."""
    if value is None:
        return ""
    other: Lang = "en" if lang == "fr" else "fr"
    # registers are typed with straight apostrophes; the reports use the typographic one
    return str(getattr(value, lang) or getattr(value, other) or "").replace("'", "’")


def duration(value: Duration, lang: Lang) -> str:
    if lang == "en":
        return str(value)
    if value.is_zero:
        return "immédiatement"
    singular, plural = UNITS[value.unit]
    return f"{value.amount}{NBSP}{singular if value.amount == 1 else plural}"


def _join(items: list[str], lang: Lang) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + (" et " if lang == "fr" else " and ") + items[-1]


def country(code: str, lang: Lang) -> str:
    from babel import Locale

    return str(Locale(lang).territories.get(code, code))


class _Words:
    """Names of a register's things in a language."""

    def __init__(self, register: Register, lang: Lang) -> None:
        self.register, self.lang = register, lang

    def activity(self, activity_id: str) -> str:
        return quote(say(self.register.activities[activity_id].name, self.lang), self.lang)

    def categories(self, ids: list[str]) -> str:
        names = [say(self.register.data_category(c).name, self.lang) for c in ids]
        return _join([quote(n, self.lang) for n in names], self.lang)

    def subjects(self, ids: list[str]) -> str:
        names = [say(self.register.subjects[s].name, self.lang) for s in ids]
        return _join([quote(n, self.lang) for n in names], self.lang)

    def recipient(self, recipient_id: str) -> str:
        register = self.register
        if recipient_id in register.processors:
            return register.processors[recipient_id].name
        return say(register.recipients[recipient_id].name, self.lang)

    def clock(self, clock: Clock) -> str:
        event = say(self.register.event(clock.event).name, self.lang)
        after = "après" if self.lang == "fr" else "after"
        return f"{duration(clock.period, self.lang)} {after} {event}"

    def rule(self, rule: RetentionRule) -> str:
        fr = self.lang == "fr"
        parts = [self.clock(c) for c in rule.after]
        if not parts and rule.keep_last is None:
            return quote(say(rule.statement, self.lang), self.lang)
        if len(parts) <= 1:
            limit = "".join(parts)
        else:
            limit = (
                " ou ".join(parts) + ", au premier terme échu"
                if fr
                else ", or ".join(parts) + ", whichever comes first"
            )
        if rule.keep_last is not None:
            count, per = rule.keep_last.count, say(rule.keep_last.per, self.lang)
            cap = (
                f"seuls les {count} derniers sont gardés {per}"
                if fr
                else f"only the last {count} are kept {per}"
            )
            limit = f"{limit}, {cap}" if limit else cap
        if rule.action == "anonymize":
            limit += ", puis anonymisées" if fr else ", then anonymized"
        return limit

    def rules(self, rules: list[RetentionRule]) -> str:
        if not rules:
            return "aucune durée" if self.lang == "fr" else "no period"
        separator = f"{NNBSP}; " if self.lang == "fr" else "; "
        return separator.join(self.rule(r) for r in rules)


# -- comparison -----------------------------------------------------------------------------------


class _Differ:
    def __init__(self, old: Register, new: Register) -> None:
        self.old, self.new = old, new
        self.changes: list[Change] = []

    def add(self, kind: ChangeKind, rights: bool, loc: Loc, fr: str, en: str) -> None:
        self.changes.append(Change(kind, rights, loc, fr, en))

    def words(self, register: Register) -> tuple[_Words, _Words]:
        return _Words(register, "fr"), _Words(register, "en")

    def run(self) -> list[Change]:
        self.organization()
        self.activities()
        self.flows("processors")
        self.flows("recipients")
        self.rights()
        self.cookies()
        self.breaches()
        self.texts()
        return self.changes

    def organization(self) -> None:
        old, new = self.old.organization, self.new.organization
        if (old.name, old.legal_form, old.registration) != (
            new.name,
            new.legal_form,
            new.registration,
        ):
            self.add(
                ChangeKind.controller_changed,
                True,
                ("organization", "name"),
                f"Le responsable du traitement devient {new.name} (auparavant {old.name}).",
                f"The controller becomes {new.name} (formerly {old.name}).",
            )
        if (old.contact, old.dpo, old.address) != (new.contact, new.dpo, new.address):
            self.add(
                ChangeKind.contact_changed,
                False,
                ("organization", "contact"),
                "Les coordonnées pour exercer vos droits ou joindre le délégué à la "
                "protection des données changent.",
                "The contact details to exercise rights or reach the data protection "
                "officer change.",
            )
        outside_before = {h.country for h in old.hosting if h.country not in EEA}
        for index, hosting in enumerate(new.hosting):
            if hosting.country not in EEA and hosting.country not in outside_before:
                fr_c, en_c = country(hosting.country, "fr"), country(hosting.country, "en")
                self.add(
                    ChangeKind.transfer_added,
                    True,
                    ("organization", "hosting", index),
                    f"Les données sont désormais hébergées hors de l’Espace économique "
                    f"européen{NBSP}: {fr_c}.",
                    f"Data is now hosted outside the European Economic Area: {en_c}.",
                )

    def activities(self) -> None:
        fr, en = self.words(self.new)
        for activity_id, activity in self.new.activities.items():
            at = ("activities", activity_id)
            before = self.old.activities.get(activity_id)
            if before is None:
                self.add(
                    ChangeKind.activity_added,
                    True,
                    at,
                    f"Nouveau traitement {fr.activity(activity_id)}{NBSP}: "
                    f"{say(activity.purpose, 'fr')}",
                    f"New processing activity {en.activity(activity_id)}: "
                    f"{say(activity.purpose, 'en')}",
                )
                continue
            self.activity(activity_id, before, activity)
        ofr, oen = self.words(self.old)
        for activity_id in self.old.activities:
            if activity_id not in self.new.activities:
                self.add(
                    ChangeKind.activity_removed,
                    False,
                    ("activities", activity_id),
                    f"Le traitement {ofr.activity(activity_id)} est supprimé.",
                    f"The processing activity {oen.activity(activity_id)} is discontinued.",
                )

    def activity(self, activity_id: str, old: ProcessingActivity, new: ProcessingActivity) -> None:
        at = ("activities", activity_id)
        fr, en = self.words(self.new)
        ofr, oen = self.words(self.old)
        name_fr, name_en = fr.activity(activity_id), en.activity(activity_id)
        if old.name != new.name:
            self.add(
                ChangeKind.text_changed,
                False,
                (*at, "name"),
                f"Le traitement {ofr.activity(activity_id)} s’appelle désormais {name_fr}.",
                f"The processing activity {oen.activity(activity_id)} is renamed {name_en}.",
            )
        if old.purpose != new.purpose:
            self.add(
                ChangeKind.purpose_changed,
                True,
                (*at, "purpose"),
                f"La finalité du traitement {name_fr} devient{NBSP}: {say(new.purpose, 'fr')}",
                f"The purpose of {name_en} becomes: {say(new.purpose, 'en')}",
            )
        if set(old.legal_basis) != set(new.legal_basis) or (
            old.special_condition != new.special_condition
        ):
            bases_fr = _join([BASES[b][0] for b in new.legal_basis], "fr")
            bases_en = _join([BASES[b][1] for b in new.legal_basis], "en")
            was_fr = _join([BASES[b][0] for b in old.legal_basis], "fr")
            was_en = _join([BASES[b][1] for b in old.legal_basis], "en")
            self.add(
                ChangeKind.legal_basis_changed,
                True,
                (*at, "legal_basis"),
                f"Le traitement {name_fr} repose désormais sur{NBSP}: {bases_fr} "
                f"(auparavant{NBSP}: {was_fr}).",
                f"{name_en} now rests on {bases_en} (formerly {was_en}).",
            )
        if old.role != new.role:
            self.add(
                ChangeKind.role_changed,
                True,
                (*at, "role"),
                f"Pour le traitement {name_fr}, nous agissons désormais comme "
                f"{ROLES[new.role][0]} (auparavant {ROLES[old.role][0]}).",
                f"For {name_en} we now act as {ROLES[new.role][1]} "
                f"(formerly {ROLES[old.role][1]}).",
            )
        added = [s for s in new.subjects if s not in old.subjects]
        if added:
            self.add(
                ChangeKind.subjects_added,
                True,
                (*at, "subjects"),
                f"Le traitement {name_fr} concerne aussi{NBSP}: {fr.subjects(added)}.",
                f"{name_en} now also concerns {en.subjects(added)}.",
            )
        removed = [s for s in old.subjects if s not in new.subjects]
        if removed:
            self.add(
                ChangeKind.subjects_removed,
                False,
                (*at, "subjects"),
                f"Le traitement {name_fr} ne concerne plus{NBSP}: {ofr.subjects(removed)}.",
                f"{name_en} no longer concerns {oen.subjects(removed)}.",
            )
        added = [c for c in new.data if c not in old.data]
        if added:
            self.add(
                ChangeKind.data_added,
                True,
                (*at, "data"),
                f"Le traitement {name_fr} collecte aussi{NBSP}: {fr.categories(added)}.",
                f"{name_en} now also collects {en.categories(added)}.",
            )
        removed = [c for c in old.data if c not in new.data]
        if removed:
            self.add(
                ChangeKind.data_removed,
                False,
                (*at, "data"),
                f"Le traitement {name_fr} ne collecte plus{NBSP}: {ofr.categories(removed)}.",
                f"{name_en} no longer collects {oen.categories(removed)}.",
            )
        self.retention(activity_id, old, new)
        known = set(self.old.processors) | set(self.old.recipients)
        for recipient_id in new.recipients:
            # a recipient new to the register is reported once, with its activities
            if recipient_id not in old.recipients and recipient_id in known:
                self.add(
                    ChangeKind.sharing_added,
                    True,
                    (*at, "recipients"),
                    f"Les données du traitement {name_fr} sont aussi communiquées à "
                    f"{fr.recipient(recipient_id)}.",
                    f"Data of {name_en} is now also shared with {en.recipient(recipient_id)}.",
                )
        for recipient_id in old.recipients:
            if recipient_id not in new.recipients:
                self.add(
                    ChangeKind.sharing_removed,
                    False,
                    (*at, "recipients"),
                    f"Les données du traitement {name_fr} ne sont plus communiquées à "
                    f"{ofr.recipient(recipient_id)}.",
                    f"Data of {name_en} is no longer shared with {oen.recipient(recipient_id)}.",
                )
        if old.automated_decision is None and new.automated_decision is not None:
            decision = new.automated_decision.description
            self.add(
                ChangeKind.automated_decision_added,
                True,
                (*at, "automated_decision"),
                f"Le traitement {name_fr} prend désormais des décisions automatisées"
                f"{NBSP}: {say(decision, 'fr')}",
                f"{name_en} now makes automated decisions: {say(decision, 'en')}",
            )

    def retention(self, activity_id: str, old: ProcessingActivity, new: ProcessingActivity) -> None:
        fr, en = self.words(self.new)
        ofr, oen = self.words(self.old)
        groups: dict[tuple[str, str], list[str]] = {}
        for category in new.data:
            if category not in old.data:
                continue
            before = _covering(old, category)
            after = _covering(new, category)
            if before == after:
                continue
            groups.setdefault((ofr.rules(before), fr.rules(after)), []).append(category)
        for categories in groups.values():
            before = _covering(old, categories[0])
            after = _covering(new, categories[0])
            if not after or not before:
                longer = not after  # a limit removed, or a limit where there was none
            else:
                longer = not all(any(_within(a, b) for b in before) for a in after)
            same = bool(before) and all(any(_within(b, a) for a in after) for b in before)
            if longer:
                kind = ChangeKind.retention_longer
            elif same:
                kind = ChangeKind.retention_reworded
            else:
                kind = ChangeKind.retention_shorter
            at = ("activities", activity_id, "retention")
            self.add(
                kind,
                longer,
                at,
                f"Durée de conservation de {fr.categories(categories)} "
                f"({fr.activity(activity_id)}){NBSP}: {fr.rules(after)} "
                f"(auparavant{NBSP}: {ofr.rules(before)}).",
                f"Retention of {en.categories(categories)} ({en.activity(activity_id)}): "
                f"{en.rules(after)} (formerly {oen.rules(before)}).",
            )

    def flows(self, section: str) -> None:
        old_items = getattr(self.old, section)
        new_items = getattr(self.new, section)
        fr, en = self.words(self.new)
        ofr, oen = self.words(self.old)
        for item_id, item in new_items.items():
            at = (section, item_id)
            name_fr, name_en = fr.recipient(item_id), en.recipient(item_id)
            outside = item.country is not None and item.country not in EEA
            before = old_items.get(item_id)
            if before is None:
                users = [a for a, act in self.new.activities.items() if item_id in act.recipients]
                used_fr = _join([fr.activity(a) for a in users], "fr") or "aucun traitement"
                used_en = _join([en.activity(a) for a in users], "en") or "no activity"
                if section == "processors":
                    fr_text = (
                        f"Nouveau sous-traitant{NBSP}: {name_fr} "
                        f"({say(item.service, 'fr')}), pour {used_fr}."
                    )
                    en_text = (
                        f"New processor: {name_en} ({say(item.service, 'en')}), for {used_en}."
                    )
                else:
                    fr_text = f"Nouveau destinataire{NBSP}: {name_fr}, pour {used_fr}."
                    en_text = f"New recipient: {name_en}, for {used_en}."
                self.add(ChangeKind.recipient_added, True, at, fr_text, en_text)
                if outside:
                    self._transfer_added(at, item.country, item.transfer, name_fr, name_en)
                continue
            was_outside = before.country is not None and before.country not in EEA
            if outside and (not was_outside or item.country != before.country):
                self._transfer_added(at, item.country, item.transfer, name_fr, name_en)
            elif outside:
                self._transfer_compared(at, before.transfer, item.transfer, name_fr, name_en)
        for item_id in old_items:
            if item_id not in new_items:
                self.add(
                    ChangeKind.recipient_removed,
                    False,
                    (section, item_id),
                    f"{ofr.recipient(item_id)} ne reçoit plus de données.",
                    f"{oen.recipient(item_id)} no longer receives data.",
                )

    def _transfer_added(
        self, at: Loc, code: str, transfer: Transfer | None, name_fr: str, name_en: str
    ) -> None:
        safeguard = transfer.safeguard if transfer is not None else Safeguard.none
        self.add(
            ChangeKind.transfer_added,
            True,
            at,
            f"Des données sont transférées hors de l’Espace économique européen, à "
            f"{name_fr} ({country(code, 'fr')}), sur la base{NBSP}: "
            f"{SAFEGUARDS[safeguard][0]}.",
            f"Data is transferred outside the European Economic Area, to {name_en} "
            f"({country(code, 'en')}), under: {SAFEGUARDS[safeguard][1]}.",
        )

    def _transfer_compared(
        self, at: Loc, old: Transfer | None, new: Transfer | None, name_fr: str, name_en: str
    ) -> None:
        was = old.safeguard if old is not None else Safeguard.none
        now = new.safeguard if new is not None else Safeguard.none
        if was == now:
            return
        weaker = STRENGTH[now] < STRENGTH[was]
        kind = ChangeKind.transfer_weakened if weaker else ChangeKind.transfer_changed
        self.add(
            kind,
            weaker,
            (*at, "transfer"),
            f"Le transfert à {name_fr} repose désormais sur{NBSP}: {SAFEGUARDS[now][0]} "
            f"(auparavant{NBSP}: {SAFEGUARDS[was][0]}).",
            f"The transfer to {name_en} now relies on {SAFEGUARDS[now][1]} "
            f"(formerly {SAFEGUARDS[was][1]}).",
        )

    def rights(self) -> None:
        old, new = self.old.rights, self.new.rights
        for right in old.offered:
            if right not in new.offered:
                self.add(
                    ChangeKind.right_removed,
                    True,
                    ("rights", "offered"),
                    f"Le {RIGHTS[right][0]} n’est plus proposé.",
                    f"The {RIGHTS[right][1]} is no longer offered.",
                )
        for right in new.offered:
            if right not in old.offered:
                self.add(
                    ChangeKind.right_added,
                    False,
                    ("rights", "offered"),
                    f"Nouveau droit proposé{NBSP}: {RIGHTS[right][0]}.",
                    f"Newly offered: the {RIGHTS[right][1]}.",
                )
        for field, fr_what, en_what in (
            ("response_deadline", "Délai de réponse aux demandes", "Time to answer requests"),
            ("extension", "Prolongation possible du délai", "Possible extension of the deadline"),
        ):
            was, now = getattr(old, field), getattr(new, field)
            if was == now:
                continue
            longer = now.approx_days() > was.approx_days()
            kind = ChangeKind.deadline_longer if longer else ChangeKind.deadline_shorter
            self.add(
                kind,
                longer,
                ("rights", field),
                f"{fr_what}{NBSP}: {duration(now, 'fr')} "
                f"(auparavant{NBSP}: {duration(was, 'fr')}).",
                f"{en_what}: {now} (formerly {was}).",
            )

    def cookies(self) -> None:
        old, new = self.old.cookies, self.new.cookies
        for cookie_id, cookie in new.items():
            at = ("cookies", cookie_id)
            before = old.get(cookie_id)
            if before is None:
                self.add(
                    ChangeKind.cookie_added,
                    cookie.needs_consent,
                    at,
                    f"Nouveau cookie {cookie.name} ({cookie.provider}){NBSP}: "
                    f"{say(cookie.purpose, 'fr')}",
                    f"New cookie {cookie.name} ({cookie.provider}): {say(cookie.purpose, 'en')}",
                )
                continue
            if before == cookie:
                continue
            wider = cookie.lifetime.approx_days() > before.lifetime.approx_days() or (
                before.needs_consent and not cookie.needs_consent
            )
            consent_fr = "soumis à consentement" if cookie.needs_consent else "sans consentement"
            consent_en = "needs consent" if cookie.needs_consent else "set without consent"
            self.add(
                ChangeKind.cookie_changed,
                wider,
                at,
                f"Le cookie {cookie.name} dure désormais "
                f"{duration(cookie.lifetime, 'fr')} ({consent_fr}).",
                f"Cookie {cookie.name} now lives {cookie.lifetime} ({consent_en}).",
            )
        for cookie_id, cookie in old.items():
            if cookie_id not in new:
                self.add(
                    ChangeKind.cookie_removed,
                    False,
                    ("cookies", cookie_id),
                    f"Le cookie {cookie.name} n’est plus utilisé.",
                    f"Cookie {cookie.name} is no longer used.",
                )

    def breaches(self) -> None:
        old, new = self.old.breaches, self.new.breaches
        weaker = (
            new.authority_notification_hours > old.authority_notification_hours
            or (old.notify_clients and not new.notify_clients)
            or (old.notify_subjects_when_high_risk and not new.notify_subjects_when_high_risk)
        )
        if weaker:
            self.add(
                ChangeKind.breach_commitment_weakened,
                True,
                ("breaches",),
                "Nos engagements en cas de violation de données sont réduits.",
                "Our commitments in case of a personal data breach are reduced.",
            )

    def texts(self) -> None:
        """Wording that does not change what is done: names of people, data and events."""
        fr, en = self.words(self.new)
        for category_id, category in self.new.data_categories.items():
            before = self.old.data_categories.get(category_id)
            if before is not None and before != category:
                self.add(
                    ChangeKind.text_changed,
                    False,
                    ("data_categories", category_id),
                    f"La catégorie de données {fr.categories([category_id])} est "
                    "décrite autrement.",
                    f"The data category {en.categories([category_id])} is described differently.",
                )
        for subject_id, subject in self.new.subjects.items():
            before_subject = self.old.subjects.get(subject_id)
            if before_subject is not None and before_subject != subject:
                self.add(
                    ChangeKind.text_changed,
                    False,
                    ("subjects", subject_id),
                    f"La catégorie de personnes {fr.subjects([subject_id])} est décrite autrement.",
                    f"The category of people {en.subjects([subject_id])} is described differently.",
                )
        if self.old.security != self.new.security:
            self.add(
                ChangeKind.text_changed,
                False,
                ("security",),
                "Les mesures de sécurité décrites changent.",
                "The security measures described change.",
            )


def _covering(activity: ProcessingActivity, category: str) -> list[RetentionRule]:
    """The rules that limit ``category``, without their ``data`` lists (which name others)."""
    return [
        r.model_copy(update={"data": []})
        for r in activity.retention.values()
        if not r.data or category in r.data
    ]


def _within(rule: RetentionRule, limit: RetentionRule) -> bool:
    """True when ``rule`` provably keeps data no longer than ``limit``.

    Data is due at the earliest of a rule's clocks, so ``rule`` is within ``limit`` when each
    clock of ``limit`` is matched by one of ``rule`` on the same event and no longer.
    """
    if not limit.measurable:
        return rule.measurable or rule.statement == limit.statement
    if not rule.measurable:
        return False
    for clock in limit.after:
        if not any(
            c.event == clock.event and c.period.approx_days() <= clock.period.approx_days()
            for c in rule.after
        ):
            return False
    if limit.keep_last is not None:
        return rule.keep_last is not None and rule.keep_last.count <= limit.keep_last.count
    return True


def diff_registers(old: Register, new: Register) -> list[Change]:
    """The changes from ``old`` to ``new``, in register order."""
    return _Differ(old, new).run()


def rights_changes(changes: list[Change]) -> list[Change]:
    return [c for c in changes if c.affects_rights]


def _date(day: dt.date, lang: Lang) -> str:
    from babel.dates import format_date

    text = str(format_date(day, format="long", locale=lang))
    if lang == "fr" and day.day == 1:
        text = "1er" + text[1:]  # French writes the first of the month as an ordinal
    return text.replace(" ", NBSP) if lang == "fr" else text


def render_text(changes: list[Change], old: Register, new: Register, lang: Lang) -> str:
    """The changes as a short report for a DPO, rights-affecting ones first."""
    fr = lang == "fr"
    title = "politique de confidentialité" if fr else "privacy policy"
    lines = [
        f"{new.organization.name} — {title} {old.policy.version} "
        f"({_date(old.policy.date, lang)}) → {new.policy.version} ({_date(new.policy.date, lang)})",
        "",
    ]
    if not changes:
        lines.append("Aucun changement." if fr else "No change.")
        return "\n".join(lines) + "\n"
    rights = rights_changes(changes)
    editorial = [c for c in changes if not c.affects_rights]
    if rights:
        count = len(rights)
        if fr:
            noun = "changement touche" if count == 1 else "changements touchent"
            lines.append(
                f"{count} {noun} aux droits des personnes{NBSP}: informez les personnes "
                "concernées avant leur entrée en vigueur."
            )
            if new.policy.notify_changes_by_email:
                lines.append("La politique promet de les en informer par e-mail.")
        else:
            noun = "change affects" if count == 1 else "changes affect"
            lines.append(
                f"{count} {noun} people’s rights: tell the people concerned before "
                "they take effect."
            )
            if new.policy.notify_changes_by_email:
                lines.append("The policy promises to tell them by email.")
        lines.extend(f"  - {c.describe(lang)}" for c in rights)
        lines.append("")
    if editorial:
        count = len(editorial)
        if fr:
            noun = "changement rédactionnel" if count == 1 else "changements rédactionnels"
            lines.append(f"{count} {noun}{NBSP}:")
        else:
            noun = "editorial change" if count == 1 else "editorial changes"
            lines.append(f"{count} {noun}:")
        lines.extend(f"  - {c.describe(lang)}" for c in editorial)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"

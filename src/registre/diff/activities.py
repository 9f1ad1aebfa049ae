"""Changes to processing activities: purpose, basis, people, data, retention, sharing."""

from __future__ import annotations

from registre.diff.change import ChangeKind, Differ
from registre.diff.words import BASES, NBSP, ROLES, join, say
from registre.register.model import ProcessingActivity, RetentionRule


class ActivityDiffer(Differ):
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
            bases_fr = join([BASES[b][0] for b in new.legal_basis], "fr")
            bases_en = join([BASES[b][1] for b in new.legal_basis], "en")
            was_fr = join([BASES[b][0] for b in old.legal_basis], "fr")
            was_en = join([BASES[b][1] for b in old.legal_basis], "en")
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
        self.data_by_subject(activity_id, old, new)
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

    def data_by_subject(
        self, activity_id: str, old: ProcessingActivity, new: ProcessingActivity
    ) -> None:
        """Data the activity already processed, now about more or fewer of its people.

        People new to the activity and data new to it are reported above, with all of it.
        """
        fr, en = self.words(self.new)
        ofr, oen = self.words(self.old)
        name_fr, name_en = fr.activity(activity_id), en.activity(activity_id)
        for subject in new.subjects:
            if subject not in old.subjects:
                continue
            at = ("activities", activity_id, "data_by_subject", subject)
            before, after = old.data_of(subject), new.data_of(subject)
            more = [c for c in after if c in old.data and c not in before]
            if more:
                self.add(
                    ChangeKind.data_added,
                    True,
                    at,
                    f"Le traitement {name_fr} collecte aussi{NBSP}: {fr.categories(more)}, "
                    f"pour la catégorie de personnes {fr.subjects([subject])}.",
                    f"{name_en} now also collects {en.categories(more)} "
                    f"about {en.subjects([subject])}.",
                )
            fewer = [c for c in before if c in new.data and c not in after]
            if fewer:
                self.add(
                    ChangeKind.data_removed,
                    False,
                    at,
                    f"Le traitement {name_fr} ne collecte plus{NBSP}: {ofr.categories(fewer)}, "
                    f"pour la catégorie de personnes {ofr.subjects([subject])}.",
                    f"{name_en} no longer collects {oen.categories(fewer)} "
                    f"about {oen.subjects([subject])}.",
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
    if rule.indefinite:
        return limit.indefinite
    if not limit.measurable:
        return rule.measurable or rule.statement == limit.statement
    if not rule.measurable:
        return False
    if rule.swept_after() != limit.swept_after() or not set(rule.at_least) <= set(limit.at_least):
        return False  # stages or minimums keep data longer: not provably within
    for clock in limit.after:
        if not any(
            c.event == clock.event and c.period.approx_days() <= clock.period.approx_days()
            for c in rule.after
        ):
            return False
    if limit.keep_last is not None:
        return rule.keep_last is not None and rule.keep_last.count <= limit.keep_last.count
    return True

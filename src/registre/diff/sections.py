"""Changes to the rest of the register: controller, recipients, transfers, rights, cookies."""

from __future__ import annotations

from registre.diff.change import ChangeKind, Differ, Loc
from registre.diff.words import NBSP, RIGHTS, SAFEGUARDS, STRENGTH, country, duration, join, say
from registre.register.model import Transfer
from registre.register.taxonomy import EEA, Safeguard


class SectionDiffer(Differ):
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
                used_fr = join([fr.activity(a) for a in users], "fr") or "aucun traitement"
                used_en = join([en.activity(a) for a in users], "en") or "no activity"
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
                    f"Nouveau cookie {cookie.label} ({cookie.provider}){NBSP}: "
                    f"{say(cookie.purpose, 'fr')}",
                    f"New cookie {cookie.label} ({cookie.provider}): {say(cookie.purpose, 'en')}",
                )
                continue
            if before == cookie:
                continue
            # A lifetime no longer stated (not_stated) may be any length: count it as wider.
            days = [c.lifetime.approx_days() if c.lifetime else None for c in (cookie, before)]
            wider = (
                days[0] is None
                or (days[1] is not None and days[0] > days[1])
                or (before.needs_consent and not cookie.needs_consent)
            )
            consent_fr = "soumis à consentement" if cookie.needs_consent else "sans consentement"
            consent_en = "needs consent" if cookie.needs_consent else "set without consent"
            life_fr = (
                f"dure désormais {duration(cookie.lifetime, 'fr')}"
                if cookie.lifetime
                else "n’a plus de durée de vie précisée"
            )
            life_en = (
                f"now lives {cookie.lifetime}" if cookie.lifetime else "has no stated lifetime"
            )
            self.add(
                ChangeKind.cookie_changed,
                wider,
                at,
                f"Le cookie {cookie.label} {life_fr} ({consent_fr}).",
                f"Cookie {cookie.label} {life_en} ({consent_en}).",
            )
        for cookie_id, cookie in old.items():
            if cookie_id not in new:
                self.add(
                    ChangeKind.cookie_removed,
                    False,
                    ("cookies", cookie_id),
                    f"Le cookie {cookie.label} n’est plus utilisé.",
                    f"Cookie {cookie.label} is no longer used.",
                )

    def breaches(self) -> None:
        old, new = self.old.breaches, self.new.breaches
        weaker = (
            new.authority_notification_hours > old.authority_notification_hours
            or (old.notify_clients and not new.notify_clients)
            or (old.notify_subjects_when_high_risk and not new.notify_subjects_when_high_risk)
            or _later(old.controller_notification_hours, new.controller_notification_hours)
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


def _later(old: int | None, new: int | None) -> bool:
    """A delay to clients made longer, or dropped (back to 'without undue delay', undated)."""
    return old is not None and (new is None or new > old)

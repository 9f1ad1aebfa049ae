"""Names of the register's own things (people, data, activities, recipients) in one language.

Every id in the register is turned into its name here, so no document ever has to show one.
"""

from __future__ import annotations

from dataclasses import dataclass

from registre.documents.blocks import Para, Sources, line
from registre.documents.typography import NBSP, a, colon, de, lower_first, upper_first
from registre.documents.wording import country_name, pick, recipient_kind_name
from registre.register.model import (
    ControllerRef,
    Lang,
    PostalAddress,
    ProcessingActivity,
    Register,
    Text,
)

# Countries whose addresses put the city before the postal code ("San Francisco CA 94105"), and
# those that give the postcode a place of its own after the city ("London, SW1A 1AA"); the
# rest, France first, write the postal code before the city.
CITY_FIRST = frozenset({"US", "CA", "AU"})
CITY_LINE = frozenset({"GB", "IE"})


@dataclass(frozen=True)
class Namer:
    """Reads a register in one language."""

    register: Register
    lang: Lang

    def say(self, fr: str, en: str) -> str:
        return pick(self.lang, fr, en)

    def para(self, fr: str, en: str, src: Sources) -> Para:
        """A paragraph of our own wording, saying what the register fields ``src`` hold."""
        return Para(line(self.say(fr, en), src=src))

    def org(self) -> str:
        """The organization's name as it reads inside a sentence, with its article if any."""
        org = self.register.organization
        return self.text(org.name_in_text) if org.name_in_text is not None else org.name

    def text(self, value: Text) -> str:
        return value.get(self.lang)

    def colon(self) -> str:
        return colon(self.lang)

    def label(self, fr: str, en: str) -> str:
        """'Base légale : ' / 'Legal basis: '."""
        return pick(self.lang, fr, en) + colon(self.lang)

    def subject(self, subject_id: str) -> str:
        return self.text(self.register.subjects[subject_id].name)

    def category(self, category_id: str, *, described: bool = False) -> str:
        """A category's name; with ``described``, followed by its description in brackets."""
        category = self.register.data_category(category_id)
        name = self.text(category.name)
        if described and category.description is not None:
            name += f" ({lower_first(self.text(category.description).strip().rstrip('.'))})"
        if category.special:
            name += self.say(" (donnée sensible)", " (special category of data)")
        if category.national_id:
            name += self.say(
                " (numéro d’identification national)", " (national identification number)"
            )
        return name

    def categories(
        self, category_ids: list[str], *, described: bool = False, lower: bool = False
    ) -> str:
        """Category names joined by semicolons: their names have commas of their own.

        With ``lower``, each name starts in lower case, as the items of a list after a colon.
        """
        names = [self.category(c, described=described) for c in category_ids]
        return self.say(" ; ", "; ").join(lower_first(n) if lower else n for n in names)

    def activity(self, activity_id: str) -> str:
        return self.text(self.register.activities[activity_id].name)

    def recipient(self, recipient_id: str) -> str:
        """A processor's legal name, or another recipient's name in words."""
        if recipient_id in self.register.processors:
            return self.register.processors[recipient_id].name
        return upper_first(self.text(self.register.recipients[recipient_id].name))

    def recipient_with_kind(self, recipient_id: str) -> str:
        if recipient_id in self.register.processors:
            return f"{self.recipient(recipient_id)} ({self.say('sous-traitant', 'processor')})"
        kind = recipient_kind_name(self.register.recipients[recipient_id].kind, self.lang)
        name = self.recipient(recipient_id)
        if kind.lower() in name.lower():  # 'The client managing the fleet (client)' says it twice
            return name
        return f"{name} ({kind})"

    def quoted(self, name: str) -> str:
        """A name quoted inside a sentence: « Facturation » / “Invoicing”."""
        return self.say(f"«{NBSP}{name}{NBSP}»", f"“{name}”")

    def country(self, code: str | None) -> str:
        if code is None:
            return self.say("non précisé", "not stated")
        return country_name(code, self.lang)

    def address(self, address: PostalAddress) -> str:
        """An address in the order of its country: the postal code before the city in most of
        Europe, after it in the English-speaking countries."""
        country = self.country(address.country)
        if address.country in CITY_FIRST:
            return f"{address.street}, {address.city} {address.postal_code}, {country}"
        if address.country in CITY_LINE:
            return f"{address.street}, {address.city}, {address.postal_code}, {country}"
        return (
            f"{address.street}, {address.postal_code}{NBSP if self.lang == 'fr' else ' '}"
            f"{address.city}, {country}"
        )

    def controller(self, ref: ControllerRef | None) -> str:
        """The controller we act for, as it reads after 'on behalf of'."""
        if ref is None:
            return self.say("notre client", "our client")
        kind = self.text(ref.kind)
        if ref.name:
            return f"{ref.name} ({kind})"
        return kind

    def on_behalf_of(self, ref: ControllerRef | None) -> str:
        """'pour le compte de l’entreprise cliente…' / 'on behalf of the client company…'."""
        return self.say(
            f"pour le compte {de(self.controller(ref))}", f"on behalf of {self.controller(ref)}"
        )

    def to(self, phrase: str) -> str:
        """French « à » with its contraction, English 'to'."""
        return self.say(a(phrase), f"to {phrase}")

    def activities_with(self, recipient_id: str) -> list[str]:
        return [
            self.text(act.name)
            for act in self.register.activities.values()
            if recipient_id in act.recipients
        ]

    def activities_by_role(self) -> dict[str, list[tuple[str, ProcessingActivity]]]:
        grouped: dict[str, list[tuple[str, ProcessingActivity]]] = {}
        for activity_id, activity in self.register.activities.items():
            grouped.setdefault(activity.role.value, []).append((activity_id, activity))
        return grouped


def recipient_name(register: Register, recipient_id: str, lang: Lang) -> str:
    """A processor's or recipient's name in words, from its id (``KeyError`` if unknown)."""
    return Namer(register, lang).recipient(recipient_id)

"""The notice to people of a new version of the policy (`registre diff --notice`).

It says when the new version takes effect, who is affected, what changes for each category
of people (the changes that affect their rights, in the register's words), where to read
the new policy, and how to reach us. Changes to activities we carry out as a processor are
not told to the people: their controller, our client, informs them, and may refuse the
change; the notice reminds our clients that it applies to their data only once they agree
(Art. 28(2) and 28(3)(a)).
"""

from __future__ import annotations

from functools import partial

from registre._exceptions import RegistreError
from registre.diff.change import Change
from registre.diff.report import long_date
from registre.diff.words import NBSP
from registre.documents.typography import de
from registre.documents.wording import pick
from registre.register.model import Lang, Register
from registre.register.taxonomy import Role

EVERYONE = ""
"""The group of a change that concerns everyone (rights, cookies, breaches, the contact)."""


def affected(register: Register, change: Change) -> tuple[list[str], bool]:
    """The subject ids a change concerns (``[EVERYONE]`` for all) and whether it is about an
    activity we carry out as a processor."""
    head = change.location[:2]
    if head and head[0] == "activities" and len(head) == 2:
        activity = register.activities.get(str(head[1]))
        if activity is None:
            return [EVERYONE], False
        return list(activity.subjects), activity.role is Role.processor
    if head and head[0] in ("processors", "recipients") and len(head) == 2:
        users = [a for a in register.activities.values() if str(head[1]) in a.recipients]
        if users and all(a.role is Role.processor for a in users):
            return list(dict.fromkeys(s for a in users for s in a.subjects)), True
        controlled = [a for a in users if a.role is not Role.processor]
        if controlled:
            return list(dict.fromkeys(s for a in controlled for s in a.subjects)), False
    if head and head[0] == "subjects" and len(head) == 2:
        return [str(head[1])], False
    return [EVERYONE], False


def render_notice(
    changes: list[Change],
    old: Register,
    new: Register,
    lang: Lang,
    policy_url: str | None = None,
) -> str:
    """The notice in Markdown, in ``lang``: for people, then for our clients if any."""
    url = policy_url or new.organization.website
    if not url:
        raise RegistreError(
            "the notice must link to the new policy, and the register gives no website",
            hint="give its address with --policy-url URL",
        )
    say = partial(pick, lang)  # the documents' one bilingual helper

    rights = [c for c in changes if c.affects_rights]
    when = long_date(new.policy.date, lang)
    lines = [
        say(
            "# Évolution de notre politique de confidentialité",
            "# Changes to our privacy policy",
        ),
        "",
        say(
            f"La version {new.policy.version} de la politique de confidentialité "
            f"{de(new.organization.name)} s’applique à compter du {when}. Elle remplace la version "
            f"{old.policy.version} du {long_date(old.policy.date, lang)}.",
            f"Version {new.policy.version} of the privacy policy of {new.organization.name} "
            f"takes effect on {when}. It replaces version {old.policy.version} of "
            f"{long_date(old.policy.date, lang)}.",
        ),
        "",
    ]
    groups: dict[str, list[Change]] = {}
    for_clients: list[Change] = []
    for change in rights:
        subjects, processor = affected(new, change)
        if not subjects:
            subjects, processor = affected(old, change)  # something removed
        if processor:
            for_clients.append(change)
            continue
        for subject in subjects:
            groups.setdefault(subject, []).append(change)
    if not groups:
        lines += [
            say(
                "Aucun de ces changements ne modifie ce que nous faisons de vos données ni vos "
                "droits.",
                "None of these changes alters what we do with your data or your rights.",
            ),
            "",
        ]
    else:
        lines += [say("## Ce qui change pour vous", "## What changes for you"), ""]
        order = [EVERYONE, *new.subjects, *old.subjects]
        for subject in dict.fromkeys(s for s in order if s in groups):
            if subject == EVERYONE:
                who = say("Pour tous", "For everyone")
            else:
                register = new if subject in new.subjects else old
                who = register.subjects[subject].name.get(lang)
            lines += [f"### {who}", ""]
            lines += [f"- {c.describe(lang)}" for c in groups[subject]]
            lines.append("")
    contact = new.organization.contact
    channel = contact.email or contact.web_form or ""
    lines += [
        say(
            f"Vous pouvez lire la nouvelle politique ici{NBSP}: {url}",
            f"You can read the new policy here: {url}",
        ),
        "",
    ]
    if channel:
        lines += [
            say(
                f"Pour toute question, ou pour exercer vos droits (notamment vous opposer à un "
                f"traitement ou retirer votre consentement), écrivez-nous à {channel}.",
                f"For any question, or to exercise your rights (in particular to object to "
                f"processing or to withdraw your consent), write to us at {channel}.",
            ),
            "",
        ]
    if for_clients:
        lines += [
            say(
                "## Pour nos clients, responsables du traitement",
                "## For our clients, as controllers",
            ),
            "",
            say(
                "Ces changements touchent des données que nous traitons pour votre compte, en "
                "qualité de sous-traitant. Nous ne les appliquerons à vos données qu’avec votre "
                "accord : nous n’agissons que sur vos instructions documentées, et un nouveau "
                "sous-traitant ultérieur requiert votre autorisation (article 28, paragraphes 2 "
                "et 3, point a), du RGPD). Il vous appartient d’en informer les personnes "
                "concernées.",
                "These changes concern data we process on your behalf, as a processor. We will "
                "apply them to your data only with your agreement: we act only on your "
                "documented instructions, and a new sub-processor needs your authorisation "
                "(Article 28(2) and 28(3)(a) GDPR). It is for you to inform the people "
                "concerned.",
            ).replace(" : ", f"{NBSP}: "),
            "",
        ]
        lines += [f"- {c.describe(lang)}" for c in for_clients]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"

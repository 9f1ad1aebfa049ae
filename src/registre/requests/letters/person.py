"""The letters to the person who made a request: answers, refusals, extensions, lifting.

The answer to an executed request says what was found and done for each kind of request;
where data is held for a client, it names that controller and says that it answers, without
saying how much we hold before it decides. A refusal cites its legal ground (Art. 12(4),
12(5), 11(2)); an extension cites Art. 12(3) and its reason.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from registre._exceptions import RequestError
from registre.documents.naming import Namer
from registre.documents.typography import de, sentence
from registre.documents.wording import and_list, duration, pick
from registre.documents.wording import date as date_words
from registre.register.model import Lang, Register
from registre.register.taxonomy import RecipientKind
from registre.requests import table_activities
from registre.requests.controllers import Controller
from registre.requests.controllers import controllers as controllers_of
from registre.requests.find import Finder, Found
from registre.requests.letters import clocks
from registre.requests.letters.controller import controller_name, request_contact
from registre.requests.letters.disclosure import (
    activity_blocks,
    dpo_contact,
    involved,
    remedies,
    rights_section,
)
from registre.requests.letters.layout import (
    REQUEST_WORDS,
    Letter,
    Section,
    base_letter,
    extension_paragraph,
    opening,
    received_day,
)
from registre.requests.letters.outcomes import (
    erasure_sections,
    rectification_section,
)


def outcome_letter(
    register: Register,
    finder: Finder,
    request: Any,
    mine: Found,
    processed: Found,
    result: dict[str, Any],
    day: date,
    *,
    held_for: list[Controller] | None = None,
) -> Letter:
    """The answer to an executed request, for each kind of request.

    ``held_for``: the controllers of ``processed`` when the caller has them already.
    """
    lang: Lang = request.lang
    n = Namer(register, lang)
    kind = request.kind.value
    letter = base_letter(register, lang, kind, request.id, day)
    letter.opening.append(opening(register, request))
    if mine.empty and processed.empty:
        letter.opening.append(
            n.say(
                "Nous avons recherché vos données dans l’ensemble de nos systèmes à partir des "
                "informations que vous nous avez données : nous ne détenons aucune donnée vous "
                "concernant.",
                "We searched all our systems with the details you gave us: we hold no data "
                "about you.",
            )
        )
    elif mine.empty:
        pass  # only data we hold for clients: the sections below say where the request went
    elif kind in ("access", "portability"):
        section = Section(n.say("Les données que nous détenons", "The data we hold"))
        if kind == "portability":
            section.paragraphs.append(
                n.say(
                    "Vous trouverez ci-joint les données que vous nous avez fournies, y compris "
                    "celles que produit votre utilisation du service, traitées sur la base de "
                    "votre consentement ou d’un contrat, dans un format structuré, couramment "
                    "utilisé et lisible par machine (JSON et CSV).",
                    "Attached are the data you provided to us, including the data your use of "
                    "the service produces, processed on the basis of your consent or of a "
                    "contract, in a structured, commonly used and machine-readable format (JSON "
                    "and CSV).",
                )
            )
        else:
            section.paragraphs.append(
                n.say(
                    "Vous trouverez ci-joint une copie de vos données (un document JSON, un "
                    "fichier CSV par table et le fichier LISEZMOI.txt, qui dit ce que contient "
                    "chacun). Voici, pour chaque traitement, les informations prévues par "
                    "l’article 15 du RGPD.",
                    "Attached is a copy of your data (one JSON document, one CSV file per table "
                    "and the file README.txt, which says what each holds). For each processing "
                    "activity, here is the information Article 15 GDPR provides for.",
                )
            )
        with finder.reading() as reading:
            statuses = clocks.evaluate(register, finder, mine, day, reading)
        section.blocks = activity_blocks(
            register, lang, involved(register, finder, mine), statuses=statuses
        )
        letter.sections.append(section)
    elif kind == "erasure":
        letter.sections += erasure_sections(register, finder, lang, result)
        letter.sections += after_erasure(register, finder, lang, result)
    elif kind == "rectification":
        letter.sections.append(rectification_section(register, lang, result))
    elif kind == "restriction":
        scope = [n.quoted(n.activity(a)) for a in request.options.get("activities") or []]
        used = (
            n.say(
                "Vos données sont désormais conservées sans être utilisées",
                "Your data is now stored without being used",
            )
            if not scope
            else n.say(
                "Vos données restent conservées mais ne sont plus utilisées pour "
                + and_list(scope, lang),
                "Your data is still stored but no longer used for " + and_list(scope, lang),
            )
        )
        letter.sections.append(
            Section(
                n.say("Limitation du traitement", "Restriction"),
                [
                    used
                    + n.say(
                        ", sauf avec votre consentement, pour la défense de droits en justice "
                        "ou pour un motif important d’intérêt public. Nous vous informerons "
                        "avant de lever cette limitation.",
                        ", except with your consent, for legal claims or for important reasons "
                        "of public interest. We will tell you before lifting this restriction.",
                    )
                ],
            )
        )
    elif kind == "objection":
        activities = result.get("activities", request.options.get("activities", []))
        names = [n.quoted(n.activity(a)) for a in activities]
        answer = (
            n.say(
                f"Vos données ne sont plus traitées pour {and_list(names, lang)}.",
                f"Your data is no longer processed for {and_list(names, lang)}.",
            )
            if names
            else n.say(
                "Aucun des traitements de vos données ne repose sur notre intérêt légitime, sur "
                "une mission d’intérêt public ou sur la prospection : le droit d’opposition "
                "(article 21 du RGPD) ne s’y applique pas. Vous pouvez en revanche demander "
                "l’effacement de vos données ou la limitation de leur traitement.",
                "None of the processing of your data rests on our legitimate interests, a task "
                "in the public interest or direct marketing: the right to object (Article 21 "
                "GDPR) does not apply to it. You may, however, ask for your data to be erased "
                "or for its processing to be restricted.",
            )
        )
        letter.sections.append(Section(n.say("Votre opposition", "Your objection"), [answer]))
    if not processed.empty:
        if held_for is None:
            held_for = controllers_of(finder, processed)
        letter.sections += forwarded_sections(register, finder, lang, held_for)
    letter.sections.append(rights_section(register, lang))
    return letter


def forwarded_sections(
    register: Register, finder: Finder, lang: Lang, held_for: list[Controller]
) -> list[Section]:
    """To the person: which controller each part of their request went to, and that it answers.

    Nothing of what we hold for it, not even how much: that is the controller's to tell, once
    it has decided on the request (it may refuse it, or know the person by other means).
    """
    n = Namer(register, lang)
    sections = []
    for controller in held_for:
        name = controller_name(register, finder, lang, controller)
        paragraphs = [
            n.say(
                f"Une partie de votre demande porte sur des données que nous traitons en qualité "
                f"de sous-traitant, pour le compte {de(name)}, qui en est le responsable du "
                "traitement. Nous lui avons transmis votre demande : c’est à ce responsable du "
                "traitement qu’il revient d’y répondre pour ces données, dans le délai prévu par "
                "l’article 12.3 du RGPD.",
                f"Part of your request concerns data we process as a processor, on behalf of "
                f"{name}, which is its controller. We have forwarded your request to it: it is "
                "for this controller to answer it for this data, within the time Article 12(3) "
                "GDPR provides.",
            )
        ]
        contact = request_contact(register, finder, controller)
        if contact:
            paragraphs.append(
                n.say(
                    f"Vous pouvez le contacter à ce sujet : {contact}.",
                    f"You can contact it about this: {contact}.",
                )
            )
        sections.append(
            Section(
                n.say(
                    f"Données traitées pour le compte {de(name)}",
                    f"Data processed on behalf of {name}",
                ),
                paragraphs,
            )
        )
    return sections


REFUSAL_GROUNDS: dict[str, tuple[str, str]] = {
    "unfounded": (
        "votre demande est manifestement infondée (article 12.5 du RGPD)",
        "your request is manifestly unfounded (Article 12(5) GDPR)",
    ),
    "excessive": (
        "votre demande est manifestement excessive, notamment en raison de son caractère "
        "répétitif (article 12.5 du RGPD)",
        "your request is manifestly excessive, in particular because of its repetitive "
        "character (Article 12(5) GDPR)",
    ),
    "identity": (
        "nous ne sommes pas en mesure de vous identifier avec les informations que vous nous "
        "avez données (articles 11.2 et 12.2 du RGPD)",
        "we are not in a position to identify you with the information you gave us (Articles "
        "11(2) and 12(2) GDPR)",
    ),
    "other": (
        "votre demande n’entre pas dans le champ du droit que vous exercez (article 12.4 du RGPD)",
        "your request falls outside the right you are exercising (Article 12(4) GDPR)",
    ),
}
"""The legal grounds of a refusal, as the letter states them."""


def refusal_letter(
    register: Register, request: Any, reason: str, day: date, ground: str = "other"
) -> Letter:
    """A refusal (Art. 12(4)): its legal ground, the evidence recorded, complaint and remedy.

    A request whose identity was not verified learns only the ground: the reason written by
    the person who refused may mention earlier requests or data, which an impostor must not
    learn; it stays in the audit trail, as the evidence.
    """
    if ground not in REFUSAL_GROUNDS:
        raise RequestError(
            f"{ground!r} is not a ground of refusal",
            hint="use one of: " + ", ".join(REFUSAL_GROUNDS),
        )
    lang: Lang = request.lang
    n = Namer(register, lang)
    verified = request.identity_method is not None
    letter = base_letter(register, lang, request.kind.value, request.id, day)
    letter.opening.append(opening(register, request))
    if ground == "excessive" and not verified:
        raise RequestError(
            f"request {request.id}: its identity is not verified, and a refusal as excessive "
            "would tell whoever sent it that earlier requests exist",
            hint="verify the identity first (request verify), or refuse with --ground identity",
        )
    grounds = pick(lang, *REFUSAL_GROUNDS[ground])
    decision = n.say(
        f"Nous ne pouvons pas donner suite à votre demande : {grounds}.",
        f"We cannot act on your request: {grounds}.",
    )
    paragraphs = [decision]
    if ground == "identity":
        paragraphs.append(
            n.say(
                "Si vous nous donnez des informations complémentaires permettant de vous "
                "identifier, nous examinerons de nouveau votre demande (article 11.2 du RGPD).",
                "If you give us additional information enabling us to identify you, we will "
                "examine your request again (Article 11(2) GDPR).",
            )
        )
    elif verified:
        paragraphs.append(
            n.say(
                "Les éléments sur lesquels repose cette décision, consignés dans notre registre "
                f"des demandes sous la référence {request.id} : {sentence(reason)}",
                "The evidence this decision rests on, recorded in our register of requests "
                f"under the reference {request.id}: {sentence(reason)}",
            )
        )
    else:
        paragraphs.append(
            n.say(
                "Les éléments sur lesquels repose cette décision sont consignés dans notre "
                f"registre des demandes sous la référence {request.id}.",
                "The evidence this decision rests on is recorded in our register of requests "
                f"under the reference {request.id}.",
            )
        )
    paragraphs.append(remedies(register, lang))
    letter.sections.append(Section(n.say("Notre décision", "Our decision"), paragraphs))
    dpo = dpo_contact(register, lang)
    if dpo:
        letter.closing.append(dpo)
    return letter


def lift_letter(register: Register, request: Any, reason: str, day: date) -> Letter:
    """Telling the person, before it happens, that their restriction is lifted (Art. 18(3))."""
    lang: Lang = request.lang
    n = Namer(register, lang)
    received = date_words(received_day(register, request), lang)
    letter = Letter(
        register,
        lang,
        n.say(
            "Levée de la limitation du traitement de vos données",
            "Lifting of the restriction of processing of your data",
        ),
        request.id,
        day,
    )
    scope = [n.quoted(n.activity(a)) for a in request.options.get("activities") or []]
    letter.opening.append(
        n.say(
            f"À la suite de votre demande du {received}, nous avons limité le traitement de vos "
            "données : elles sont depuis conservées sans être utilisées"
            + (f" pour {and_list(scope, 'fr')}." if scope else "."),
            f"Following your request of {received}, we restricted the processing of your data: "
            "since then it has been stored without being used"
            + (f" for {and_list(scope, 'en')}." if scope else "."),
        )
    )
    letter.sections.append(
        Section(
            n.say("Levée de la limitation", "Lifting of the restriction"),
            [
                n.say(
                    f"Nous vous informons que cette limitation est levée à compter du "
                    f"{date_words(day, lang)}, pour la raison suivante : {sentence(reason)}",
                    f"We are informing you that this restriction is lifted from "
                    f"{date_words(day, lang)}, for the following reason: {sentence(reason)}",
                ),
                n.say(
                    "Vos données seront de nouveau traitées comme le décrit notre politique de "
                    "confidentialité.",
                    "Your data will again be processed as our privacy policy describes.",
                ),
            ],
        )
    )
    letter.sections.append(rights_section(register, lang))
    return letter


def extension_letter(register: Register, request: Any, due: date, reason: str, day: date) -> Letter:
    """Telling the person, within the first month, that we need more time and why (Art. 12(3))."""
    lang: Lang = request.lang
    n = Namer(register, lang)
    fr_request, en_request = REQUEST_WORDS[request.kind.value]
    letter = Letter(
        register,
        lang,
        n.say(
            f"Prolongation du délai de réponse à {_yours(fr_request)}",
            f"Extension of the time to answer {_yours(en_request)}",
        ),
        request.id,
        day,
    )
    received = date_words(received_day(register, request), lang)
    letter.opening += [
        n.say(
            f"Nous avons bien reçu votre demande du {received}.",
            f"We received your request of {received}.",
        ),
        extension_paragraph(register, lang, due, reason),
    ]
    return letter


def _yours(phrase: str) -> str:
    """« une demande d’accès » -> « votre demande d’accès »; “an objection” -> “your objection”."""
    article, _, rest = phrase.partition(" ")
    return ("votre " if article == "une" else "your ") + rest


def after_erasure(
    register: Register, finder: Finder, lang: Lang, result: dict[str, Any]
) -> list[Section]:
    """Who else had the erased data and whether they were told (Art. 19); the backups."""
    n = Namer(register, lang)
    activities: list[str] = []
    for outcome in result.get("outcomes", []):
        if outcome.get("action") not in ("deleted", "anonymized") or not outcome.get("count"):
            continue
        mapping = finder.graphs_by_id[outcome["store"]].mapping(outcome["table"])
        activities += table_activities.table_activities(register, mapping)
    recipients = [
        r
        for r in dict.fromkeys(
            rid
            for a in register.activities
            if a in activities
            for rid in register.activities[a].recipients
        )
        if r in register.processors or register.recipients[r].kind is not RecipientKind.internal
    ]
    sections = []
    if activities and not recipients:
        sections.append(
            Section(
                n.say("Les destinataires de vos données", "The recipients of your data"),
                [
                    n.say(
                        "Notre registre ne prévoit aucun destinataire de ces données en dehors "
                        "de nos services : il n’y avait personne d’autre à informer de cet "
                        "effacement (article 19 du RGPD).",
                        "Our record names no recipient of this data outside our own staff: "
                        "there was nobody else to notify of this erasure (Article 19 GDPR).",
                    )
                ],
            )
        )
    if recipients:
        told = register.rights.recipients_told
        section = Section(
            n.say("Les destinataires de vos données", "The recipients of your data"),
            [
                n.say(
                    "Ces données ont été communiquées aux destinataires suivants :",
                    "This data was disclosed to the following recipients:",
                )
            ],
            items=[sentence(n.recipient_with_kind(r)) for r in recipients],
        )
        section.after.append(
            sentence(n.text(told))
            if told is not None
            else n.say(
                "L’article 19 du RGPD nous impose de leur notifier cet effacement, sauf si "
                "cela se révèle impossible ou exige des efforts disproportionnés ; vous pouvez "
                "nous demander lesquels l’ont été.",
                "Article 19 GDPR requires us to notify them of this erasure, unless this proves "
                "impossible or involves disproportionate effort; you may ask us which of them "
                "were notified.",
            )
        )
        sections.append(section)
    if register.rights.backups is not None and activities:
        period = duration(register.rights.backups, lang)
        sections.append(
            Section(
                n.say("Sauvegardes", "Backups"),
                [
                    n.say(
                        f"Les données effacées peuvent subsister dans nos sauvegardes pendant "
                        f"{period} au plus, jusqu’à ce que ces sauvegardes soient écrasées.",
                        f"The erased data may remain in our backups for at most {period}, until "
                        "these backups are overwritten.",
                    )
                ],
            )
        )
    return sections

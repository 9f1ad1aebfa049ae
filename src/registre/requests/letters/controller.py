"""The letters to a controller we process data for: a forwarded request, instructions done.

Written in the register's first language, the one we deal with our clients in, and addressed
to the contact the controller takes requests at, never to a billing mailbox.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from registre.documents.naming import Namer
from registre.documents.typography import de, sentence, upper_first
from registre.documents.wording import date as date_words
from registre.register.model import ControllerRef, Lang, Register
from registre.requests import table_activities
from registre.requests.controllers import Controller, describe
from registre.requests.find import Finder, Found
from registre.requests.identity import TENANT
from registre.requests.letters.disclosure import (
    activity_blocks,
    controllers,
    involved,
)
from registre.requests.letters.layout import (
    REQUEST_WORDS,
    Letter,
    Section,
    received_day,
)
from registre.requests.letters.outcomes import erasure_sections, rectification_section
from registre.requests.lifecycle import LEGAL_RESPONSE


def controller_name(register: Register, finder: Finder, lang: Lang, controller: Controller) -> str:
    """The controller as the data names it, else as the register describes it."""
    if controller.name:
        return controller.name
    return Namer(register, lang).controller(controller_ref(register, finder, controller))


def controller_ref(
    register: Register, finder: Finder, controller: Controller
) -> ControllerRef | None:
    """How the register describes the controller of these rows (its processor activity)."""
    for rows in controller.found or []:
        mapping = finder.graphs_by_id[rows.store].mapping(rows.table)
        for activity_id in table_activities.processor_activities(register, mapping):
            return register.activities[activity_id].controller
    return None


def request_contact(register: Register, finder: Finder, controller: Controller) -> str | None:
    """Where the controller takes requests: the register's contact, else its client's column.

    Never a contact guessed among the client's row (an accounting mailbox would receive a
    person's request): only what the register names, ``contact`` or ``contact_column``.
    """
    ref = controller_ref(register, finder, controller)
    if ref is None:
        return None
    if ref.contact:
        return ref.contact
    if ref.contact_column is None or controller.store is None or controller.key is None:
        return None
    graph = finder.graphs_by_id.get(controller.store)
    tenants = graph.store.tenants if graph is not None else None
    if graph is None or tenants is None:
        return None
    engine = finder.engine(graph.store_id)
    table = sa.Table(tenants.table, sa.MetaData(), autoload_with=engine)
    if ref.contact_column not in table.c:
        return None
    with engine.connect() as connection:
        value = connection.execute(
            sa.select(table.c[ref.contact_column]).where(table.c[tenants.key] == controller.key)
        ).scalar()
    return str(value).strip() if value and str(value).strip() else None


def controller_address(
    register: Register, finder: Finder, lang: Lang, controller: Controller
) -> list[str]:
    """The controller as a letter is addressed to it: name, registration, client id, then
    the contact the register names for its requests, else every contact its row holds.
    """
    n = Namer(register, lang)
    details = []
    if controller.registration:
        details.append(" ".join(controller.registration))
    if controller.key is not None:
        details.append(n.say(f"client n°\u00a0{controller.key}", f"client no. {controller.key}"))
    text = upper_first(controller_name(register, finder, lang, controller))
    if details:
        text += f" ({n.say(' ; ', '; ').join(details)})"
    contact = request_contact(register, finder, controller)
    if contact:
        return [
            text,
            n.label("Contact pour les demandes des personnes", "Contact for people's requests")
            + contact,
        ]
    if controller.contacts:
        return [text, n.say(" ; ", "; ").join(controller.contacts)]
    return [text]


def forward_letter(
    register: Register,
    finder: Finder,
    request: Any,
    controller: Controller,
    day: date,
    *,
    attached: str | None = None,
) -> Letter:
    """To one controller: the request, who made it, and which of its data we hold for it.

    Only that controller's rows: another client's are none of its business. ``attached`` names
    the file of that data sent with the letter (access and portability requests). Written in
    the register's first language, the one we deal with our clients in, whatever language the
    person wrote in.
    """
    lang: Lang = register.policy.languages[0]
    n = Namer(register, lang)
    processed = controller.found or Found({})
    fr_request, en_request = REQUEST_WORDS[request.kind.value]
    letter = Letter(
        register,
        lang,
        n.say(f"Transmission {de(fr_request)}", f"Forwarding of {en_request}"),
        request.id,
        day,
    )
    letter.addressee = controller_address(register, finder, lang, controller)
    received_on = received_day(register, request)
    received = date_words(received_on, lang)
    answer_by = date_words(LEGAL_RESPONSE.add_to(received_on), lang)
    who = ", ".join(
        f"{_identity_kind(n, kind)} {value}"
        for kind, value in sorted(request.identity.items())
        if kind != TENANT
    )
    letter.opening += [
        n.say(
            f"Le {received}, nous avons reçu {fr_request} de la personne identifiée "
            f"par : {who}. Elle concerne des données que nous traitons pour votre compte, en "
            "qualité de sous-traitant : en tant que responsable du traitement, il vous "
            "appartient d’y répondre.",
            f"On {received} we received {en_request} from the person identified by: "
            f"{who}. It concerns data we process on your behalf as a processor: as the "
            "controller, it is for you to answer it.",
        ),
        n.say(
            f"Nous avons vérifié son identité ainsi : {sentence(request.identity_method)}",
            f"We verified their identity as follows: {sentence(request.identity_method)}",
        )
        if request.identity_method
        else n.say(
            "Nous n’avons pas vérifié l’identité de cette personne.",
            "We have not verified this person's identity.",
        ),
        n.say(
            "Le délai de réponse d’un mois court à compter de la réception de la demande, soit "
            f"jusqu’au {answer_by}. Nous vous assistons pour y répondre (article 28.3.e du "
            "RGPD) : "
            + (
                "vous trouverez ces données jointes à ce courrier."
                if attached
                else "indiquez-nous les opérations à effectuer sur ces données ; nous ne les "
                "modifions pas sans vos instructions."
            ),
            "The one-month time limit runs from the receipt of the request, that is until "
            f"{answer_by}. We assist you in answering it (Article 28(3)(e) GDPR): "
            + (
                "you will find this data attached to this letter."
                if attached
                else "tell us what to do with this data; we do not change it without your "
                "instructions."
            ),
        ),
    ]
    section = Section(n.say("Données concernées", "Data concerned"))
    section.paragraphs.append(
        n.say(
            "Voici les données de cette personne que nous traitons pour votre compte, et ce que "
            "prévoit pour elles notre registre des activités de traitement.",
            "Here is the data about this person that we process on your behalf, and what our "
            "record of processing activities provides for it.",
        )
    )
    if attached:
        section.paragraphs.append(
            n.say(
                f"Ces données sont jointes à ce courrier, dans le fichier {attached} : un "
                "document JSON et un fichier CSV par table, dans un format structuré, couramment "
                "utilisé et lisible par machine, que vous pouvez communiquer à la personne ; le "
                "fichier LISEZMOI.txt dit ce que contient chacun.",
                f"This data is attached to this letter, in the file {attached}: one JSON "
                "document and one CSV file per table, in a structured, commonly used and "
                "machine-readable format that you can pass on to the person; the file "
                "README.txt says what each holds.",
            )
        )
    ours = set(controllers(register, finder, processed))
    section.blocks = activity_blocks(
        register,
        lang,
        {a: c for a, c in involved(register, finder, processed).items() if a in ours},
        to_controller=True,
    )
    letter.sections.append(section)
    return letter


def instruction_letter(
    register: Register,
    finder: Finder,
    request: Any,
    instruction: dict[str, Any],
    result: dict[str, Any],
    day: date,
) -> Letter:
    """To the controller who instructed us: what we did with the rows we hold for it.

    Written in the register's first language, like the forward letter. The controller answers
    the person; this letter tells it what to tell them.
    """
    lang: Lang = register.policy.languages[0]
    n = Namer(register, lang)
    controller = describe(finder, instruction.get("store"), instruction.get("tenant"))
    fr_request, en_request = REQUEST_WORDS[request.kind.value]
    letter = Letter(
        register,
        lang,
        n.say("Exécution de vos instructions", "Your instructions carried out"),
        request.id,
        day,
    )
    letter.addressee = controller_address(register, finder, lang, controller)
    received = date_words(received_day(register, request), lang)
    who = ", ".join(
        f"{_identity_kind(n, kind)} {value}"
        for kind, value in sorted(request.identity.items())
        if kind != TENANT
    )
    reference = sentence(str(instruction.get("reference", "")))
    letter.opening += [
        n.say(
            f"Le {received}, nous avons reçu {fr_request} de la personne identifiée par : "
            f"{who}, et vous l’avons transmise en tant que responsable du traitement. Nous "
            "l’avons exécutée, selon vos instructions, sur les données que nous traitons pour "
            f"votre compte (article 28.3.a du RGPD). Vos instructions : {reference}",
            f"On {received} we received {en_request} from the person identified by: {who}, "
            "and forwarded it to you as the controller. We carried it out, as you instructed, "
            "on the data we process on your behalf (Article 28(3)(a) GDPR). Your "
            f"instructions: {reference}",
        ),
    ]
    if result.get("nothing_found"):
        letter.opening.append(
            n.say(
                "Nous ne détenons plus aucune donnée de cette personne pour votre compte : il "
                "n’y avait rien à faire.",
                "We no longer hold any data about this person on your behalf: there was "
                "nothing to do.",
            )
        )
    elif request.kind.value == "erasure":
        letter.sections += erasure_sections(register, finder, lang, result, third=True)
    else:
        letter.sections.append(rectification_section(register, lang, result))
    letter.closing.append(
        n.say(
            "Il vous appartient, en tant que responsable du traitement, de répondre à la personne.",
            "As the controller, it is for you to answer the person.",
        )
    )
    return letter


def _identity_kind(n: Namer, kind: str) -> str:
    if kind == "email":
        return n.say("adresse e-mail", "email address")
    if kind == "phone":
        return n.say("téléphone", "phone")
    return kind.replace("_", " ")

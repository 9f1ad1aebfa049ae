"""The letters that answer an executed, refused or forwarded request, for each kind of request.

The erasure letter says what was deleted, anonymized, kept (why, until when) and forwarded.
Refusals state the reason and the right to complain (Art. 12(4)). A forwarded request is
explained to the controller.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from registre.documents.naming import Namer
from registre.documents.retention import describe_rule
from registre.documents.typography import de, sentence, upper_first
from registre.documents.wording import and_list
from registre.documents.wording import date as date_words
from registre.register.model import Lang, Register
from registre.requests import scope
from registre.requests.controllers import Controller, describe
from registre.requests.controllers import controllers as controllers_of
from registre.requests.erase import Outcome
from registre.requests.find import Finder, Found
from registre.requests.identity import TENANT
from registre.requests.letters.disclosure import (
    activity_blocks,
    controllers,
    involved,
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
    records,
)
from registre.requests.lifecycle import LEGAL_RESPONSE


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
        section.blocks = activity_blocks(register, lang, involved(register, finder, mine))
        letter.sections.append(section)
    elif kind == "erasure":
        letter.sections += erasure_sections(register, finder, lang, result)
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


def erasure_sections(
    register: Register, finder: Finder, lang: Lang, result: dict[str, Any], third: bool = False
) -> list[Section]:
    """What an erasure did: the data erased, anonymized and kept (with why and until when).

    ``third``: written about the person, to their controller.
    """
    n = Namer(register, lang)
    outcomes = [_outcome(o) for o in result.get("outcomes", [])]
    until = {(o["store"], o["table"]): _day(o.get("until")) for o in result.get("outcomes", [])}
    sections = []
    for action, fr, en in (
        ("deleted", "Données effacées", "Data erased"),
        ("anonymized", "Données anonymisées", "Data anonymised"),
        ("kept", "Données conservées", "Data kept"),
    ):
        items = outcome_items(register, finder, lang, outcomes, action, until, third)
        if items:
            sections.append(Section(n.say(fr, en), items=items))
    return sections


def rectification_section(register: Register, lang: Lang, result: dict[str, Any]) -> Section:
    """What a rectification corrected."""
    n = Namer(register, lang)
    changed = sorted({u["column"] for u in result.get("updated", [])})
    return Section(
        n.say("Données rectifiées", "Data rectified"),
        paragraphs=[
            n.say(
                "Nous avons corrigé les informations suivantes partout où nous les détenons :",
                "We corrected the following information everywhere we hold it:",
            )
        ],
        items=[_field_name(register, column, lang) for column in changed]
        or [
            n.say(
                "aucune information à corriger n’a été trouvée.",
                "no information to correct was found.",
            )
        ],
    )


def forwarded_sections(
    register: Register, finder: Finder, lang: Lang, held_for: list[Controller]
) -> list[Section]:
    """To the person: which controller each part of their request went to, and its data."""
    n = Namer(register, lang)
    sections = []
    for controller in held_for:
        found = controller.found or Found({})
        name = controller_name(register, finder, lang, controller)
        outcomes = [
            Outcome(r.store, r.table, "forwarded", r.count, "processor") for r in found if r.count
        ]
        sections.append(
            Section(
                n.say(
                    f"Données traitées pour le compte {de(name)}",
                    f"Data processed on behalf of {name}",
                ),
                [
                    n.say(
                        f"Nous traitons les données ci-dessous en qualité de sous-traitant ; "
                        f"{name} en est le responsable du traitement. Nous avons transmis votre "
                        "demande à ce "
                        "responsable du traitement, à qui il revient d’y répondre pour ces "
                        "données.",
                        f"We process the data below as a processor; {name} is its controller. We "
                        "have forwarded your request to this controller, who is to answer it "
                        "for this data.",
                    )
                ],
                outcome_items(register, finder, lang, outcomes, "forwarded"),
            )
        )
    return sections


def controller_name(register: Register, finder: Finder, lang: Lang, controller: Controller) -> str:
    """The controller as the data names it, else as the register describes it."""
    if controller.name:
        return controller.name
    n = Namer(register, lang)
    for rows in controller.found or []:
        mapping = finder.graphs_by_id[rows.store].mapping(rows.table)
        for activity_id in scope.processor_activities(register, mapping):
            return n.controller(register.activities[activity_id].controller)
    return n.controller(None)


def controller_address(
    register: Register, finder: Finder, lang: Lang, controller: Controller
) -> str:
    """The controller as a letter is addressed to it: name, registration, client id, contacts."""
    n = Namer(register, lang)
    details = []
    if controller.registration:
        details.append(" ".join(controller.registration))
    if controller.key is not None:
        details.append(n.say(f"client n°\u00a0{controller.key}", f"client no. {controller.key}"))
    text = upper_first(controller_name(register, finder, lang, controller))
    if details:
        text += f" ({n.say(' ; ', '; ').join(details)})"
    if controller.contacts:
        text += n.say(" — ", ", ") + n.say(" ; ", "; ").join(controller.contacts)
    return text


def outcome_items(
    register: Register,
    finder: Finder,
    lang: Lang,
    outcomes: list[Outcome],
    action: str,
    until: dict[tuple[str, str], date | None] | None = None,
    third: bool = False,
) -> list[str]:
    """One line per table of outcomes with ``action``, in words (categories, count, why).

    ``third``: written about the person, to their controller, rather than to them.
    """
    n = Namer(register, lang)
    items = []
    for outcome in outcomes:
        if outcome.action != action:
            continue
        mapping = finder.graphs_by_id[outcome.store].mapping(outcome.table)
        columns = list(mapping.columns)
        if action == "anonymized" and outcome.columns:
            # a row partly anonymized (the rest held for a controller): what was
            columns = [c for c in columns if c in outcome.columns] or columns
        elif action == "forwarded":
            held = [c for c in columns if scope.held_for_controller(register, mapping, c)]
            columns = held or columns
        categories = list(dict.fromkeys(mapping.columns[c] for c in columns))
        what = n.categories(categories) if categories else n.say("Données", "Data")
        line = f"{upper_first(what)}{n.say(' : ', ': ')}{records(outcome.count, lang)}"
        if action == "kept":
            line += n.say(" ; ", "; ") + _why(register, finder, lang, outcome, until or {}, third)
        items.append(sentence(line))
    return items


def _why(
    register: Register,
    finder: Finder,
    lang: Lang,
    outcome: Outcome,
    until: dict[tuple[str, str], date | None],
    third: bool = False,
) -> str:
    """Why rows were kept; ``third``: about the person, to their controller."""
    n = Namer(register, lang)
    mapping = finder.graphs_by_id[outcome.store].mapping(outcome.table)
    kept_fields = [mapping.columns[c] for c in mapping.columns if c not in outcome.columns]
    if outcome.reason == "hold":
        return n.say(
            "conservées en l’état en raison d’une procédure ou d’une réclamation en cours "
            "(gel juridique), jusqu’à sa clôture",
            "kept as they are because of pending proceedings or an open claim (legal hold), "
            "until it is closed",
        )
    if outcome.reason == "unlinked":
        return n.say(
            f"conservées, mais sans plus aucun lien avec {'cette personne' if third else 'vous'}",
            f"kept, but no longer linked to {'this person' if third else 'you'}",
        )
    if outcome.reason == "organization":
        return n.say(
            "conservées car elles appartiennent au compte de l’organisation cliente, et non "
            f"{'à cette personne' if third else 'à vous'}",
            "kept because they belong to the client organization's account, not to "
            f"{'this person' if third else 'you'}",
        )
    if outcome.reason == "contract":
        return n.say(
            "conservées car elles appartiennent au compte de l’organisation cliente, dont le "
            "contrat est en cours et qui en a encore besoin ; elles seront traitées comme les "
            "autres quand ce contrat aura pris fin",
            "kept because they belong to the client organization's account, whose contract is "
            "running and still needs them; they will be dealt with like the rest once that "
            "contract has ended",
        )
    if outcome.reason == "shared":
        return n.say(
            "conservées car elles concernent aussi d’autres personnes ; les informations qui "
            f"{'l’' if third else 'vous '}identifient y ont été effacées",
            "kept because they also concern other people; the details identifying "
            f"{'them' if third else 'you'} were erased from them",
        )
    reasons = []
    for activity_id, rule_id in outcome.rules:
        rule = register.activities[activity_id].retention[rule_id]
        text = describe_rule(register, rule, lang).rstrip(".")
        reference = f" ({n.text(rule.reference)})" if rule.reference else ""
        reasons.append(text + reference)
    day = outcome.until or until.get((outcome.store, outcome.table))
    when = (
        n.say(f" jusqu’au {date_words(day, lang)}", f" until {date_words(day, lang)}")
        if day
        else ""
    )
    why = n.say(
        f"conservées{when} pour respecter une obligation légale : " + " ; ".join(reasons),
        f"kept{when} to comply with a legal obligation: " + "; ".join(reasons),
    )
    kept = list(dict.fromkeys(kept_fields))
    if set(kept) == set(mapping.columns.values()):
        return why  # the line already names them all
    return why + n.say(
        f" ; seules sont conservées ces informations : {n.categories(kept)} ; le reste a été "
        "anonymisé",
        f"; only this information is kept: {n.categories(kept)}; the rest was anonymised",
    )


def _outcome(data: dict[str, Any]) -> Outcome:
    rules = [tuple(r.split("/", 1)) for r in data.get("rules", [])]
    return Outcome(
        data["store"],
        data["table"],
        data["action"],
        data["count"],
        data.get("reason", ""),
        list(data.get("columns", [])),
        [(a, r) for a, r in rules],
        until=_day(data.get("until")),
    )


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _field_name(register: Register, column: str, lang: Lang) -> str:
    n = Namer(register, lang)
    if "email" in column:
        return n.say("adresse e-mail", "email address")
    if "phone" in column:
        return n.say("numéro de téléphone", "phone number")
    for store in register.stores.values():
        for mapping in store.tables.values():
            if column in mapping.columns:
                return n.category(mapping.columns[column])
    return n.say("autre information", "other information")


def refusal_letter(register: Register, request: Any, reason: str, day: date) -> Letter:
    """A refusal: the reason, the right to complain and to a judicial remedy (Art. 12(4))."""
    lang: Lang = request.lang
    n = Namer(register, lang)
    authority = register.organization.supervisory_authority
    letter = base_letter(register, lang, request.kind.value, request.id, day)
    letter.opening.append(opening(register, request))
    letter.sections.append(
        Section(
            n.say("Notre décision", "Our decision"),
            [
                n.say(
                    f"Nous ne pouvons pas donner suite à votre demande, pour la raison suivante : "
                    f"{sentence(reason)}",
                    f"We cannot act on your request, for the following reason: {sentence(reason)}",
                ),
                n.say(
                    f"Vous pouvez introduire une réclamation auprès de {n.text(authority.name)}"
                    + (f" ({authority.website})" if authority.website else "")
                    + " et former un recours juridictionnel.",
                    f"You may lodge a complaint with {n.text(authority.name)}"
                    + (f" ({authority.website})" if authority.website else "")
                    + " and seek a judicial remedy.",
                ),
            ],
        )
    )
    return letter


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
    addressee = controller_address(register, finder, lang, controller)
    received_on = received_day(register, request)
    received = date_words(received_on, lang)
    answer_by = date_words(LEGAL_RESPONSE.add_to(received_on), lang)
    who = ", ".join(
        f"{_identity_kind(n, kind)} {value}"
        for kind, value in sorted(request.identity.items())
        if kind != TENANT
    )
    letter.opening += [
        n.say(f"À l’attention de : {addressee}", f"For the attention of: {addressee}"),
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
    addressee = controller_address(register, finder, lang, controller)
    received = date_words(received_day(register, request), lang)
    who = ", ".join(
        f"{_identity_kind(n, kind)} {value}"
        for kind, value in sorted(request.identity.items())
        if kind != TENANT
    )
    reference = sentence(str(instruction.get("reference", "")))
    letter.opening += [
        n.say(f"À l’attention de : {addressee}", f"For the attention of: {addressee}"),
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

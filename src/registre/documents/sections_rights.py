"""Policy sections about the person's choices: cookies, rights, consent, automated decisions."""

from __future__ import annotations

from registre.documents.blocks import (
    Bullets,
    Code,
    Line,
    Para,
    Section,
    Strong,
    Table,
    email_link,
    line,
    url_link,
)
from registre.documents.naming import Namer
from registre.documents.typography import de, sentence, typeset, upper_first
from registre.documents.wording import (
    and_list,
    cookie_category_name,
    duration,
    requirement_phrase,
    right_description,
)
from registre.register.model import Authority, RightsChannels
from registre.register.taxonomy import LegalBasis, Right, Role

# The consent section points at the cookie table by these words.
COOKIES_TITLE = ("Cookies et traceurs", "Cookies and trackers")
CONSENT_REQUIRED = ("Requis", "Required")


def cookies(n: Namer) -> list[Section]:
    reg = n.register
    if not reg.cookies:
        # The model cannot tell « we use none » from « not stated »: `cookies` defaults to an
        # empty mapping, and an explicit `cookies: {}` is lost in any dump and reload. Writing
        # « nous n'utilisons aucun cookie » on the register's silence could publish something
        # false, so the section is left out until the format has a way to state none.
        return []
    rows = tuple(
        (
            line(Code(c.name)),
            line(c.provider),
            line(upper_first(cookie_category_name(c.category, n.lang))),
            line(sentence(n.text(c.purpose))),
            line(duration(c.lifetime, n.lang)),
            line(
                n.say(*CONSENT_REQUIRED) if c.needs_consent else n.say("Non requis", "Not required")
            ),
        )
        for c in reg.cookies.values()
    )
    blocks: list[Para | Bullets | Table] = [
        n.para(
            "Nous utilisons les cookies et traceurs suivants. Ceux pour lesquels le consentement "
            "est requis ne sont déposés qu’avec votre accord, que vous pouvez retirer à tout "
            "moment.",
            "We use the following cookies and trackers. Those that require consent are set only "
            "if you agree, and you can withdraw that agreement at any time.",
        ),
        Table(
            n.say("Cookies et traceurs", "Cookies and trackers"),
            (
                n.say("Nom", "Name"),
                n.say("Fournisseur", "Provider"),
                n.say("Catégorie", "Category"),
                n.say("Finalité", "Purpose"),
                n.say("Durée de vie", "Lifetime"),
                n.say("Consentement", "Consent"),
            ),
            rows,
        ),
    ]
    return [Section(n.say(*COOKIES_TITLE), 2, blocks)]


def rights(n: Namer) -> list[Section]:
    reg = n.register
    offered = [
        line(sentence(upper_first(right_description(r, n.lang)))) for r in reg.rights.offered
    ]
    main = Section(
        n.say("Vos droits", "Your rights"),
        2,
        [
            n.para(
                "Vous disposez des droits suivants sur vos données :",
                "You have the following rights over your data:",
            ),
            Bullets(tuple(offered)),
        ],
    )

    how: list[Para | Bullets | Table] = [
        n.para("Pour exercer vos droits, contactez-nous :", "To exercise your rights, contact us:"),
        Bullets(_channels(n, reg.organization.contact)),
    ]
    dpo = reg.organization.dpo
    if dpo is not None and dpo.email:
        who = n.say("notre délégué à la protection des données", "our data protection officer")
        if dpo.name:
            who += f", {dpo.name}"
        write_to = n.say(
            f"Vous pouvez aussi écrire à {who}, à l’adresse ", f"You can also write to {who}, at "
        )
        how.append(Para(line(write_to, email_link(dpo.email), ".")))
    deadline = duration(reg.rights.response_deadline, n.lang, spell=True)
    extension = duration(reg.rights.extension, n.lang, spell=True)
    how.append(
        n.para(
            f"Nous vous répondons dans un délai {de(deadline)} à compter de la réception de votre "
            f"demande. Ce délai peut être prolongé {de(extension)} si votre demande est complexe "
            "ou si nous recevons de nombreuses demandes ; nous vous en informons alors avant la "
            "fin du premier délai, en vous en indiquant les raisons.",
            f"We answer within {deadline} of receiving your request. This period may be extended "
            f"by {extension} if your request is complex or if we receive many requests; we then "
            "tell you so before the first period ends, and explain why.",
        )
    )
    if reg.rights.identity_proof is not None:
        how.append(Para(line(sentence(n.text(reg.rights.identity_proof)))))
    processed_for_others = [
        n.quoted(n.text(a.name)) for a in reg.activities.values() if a.role is Role.processor
    ]
    if processed_for_others:
        how.append(
            n.para(
                f"Pour les traitements que nous réalisons en tant que sous-traitant "
                f"({and_list(processed_for_others, n.lang)}), nous transmettons votre demande au "
                "responsable du traitement, qui y répond.",
                f"For the activities we carry out as a processor "
                f"({and_list(processed_for_others, n.lang)}), we forward your request to the "
                "controller, who answers it.",
            )
        )
    sections = [
        main,
        Section(n.say("Comment exercer vos droits", "How to exercise your rights"), 3, how),
    ]
    sections.append(
        Section(
            n.say("Réclamation", "Complaints"),
            3,
            _complaint(n, reg.organization.supervisory_authority),
        )
    )
    return sections


def _channels(n: Namer, contact: RightsChannels) -> tuple[Line, ...]:
    items: list[Line] = []
    if contact.email:
        items.append(line(n.label("Par e-mail", "By email"), email_link(contact.email)))
    if contact.web_form:
        items.append(line(n.label("En ligne", "Online"), url_link(contact.web_form)))
    if contact.address:
        items.append(line(n.label("Par courrier", "By post"), n.address(contact.address)))
    return tuple(items)


def _complaint(n: Namer, authority: Authority) -> list[Para | Bullets | Table]:
    name = n.text(authority.name)
    intro = n.say(
        f"Si vous estimez que vos droits ne sont pas respectés, vous pouvez introduire une "
        f"réclamation auprès {de(name)}",
        f"If you believe your rights are not respected, you can lodge a complaint with {name}",
    )
    ways: list[Line] = []
    if authority.website:
        ways.append(line(n.label("En ligne", "Online"), url_link(authority.website)))
    if authority.address:
        ways.append(line(n.label("Par courrier", "By post"), n.address(authority.address)))
    if not ways:
        return [Para(line(sentence(intro)))]
    return [Para(line(intro + n.say(" :", ":"))), Bullets(tuple(ways))]


def consent(n: Namer) -> list[Section]:
    reg = n.register
    # As a processor, the consent is the controller's to collect and to withdraw: the rights
    # section already sends people to it.
    based = [
        n.quoted(n.text(a.name))
        for a in reg.activities.values()
        if LegalBasis.consent in a.legal_basis and a.role is not Role.processor
    ]
    with_cookies = any(c.needs_consent for c in reg.cookies.values())
    if not (based or with_cookies or Right.withdraw_consent in reg.rights.offered):
        return []
    withdrawal = reg.rights.consent_withdrawal
    blocks: list[Para | Bullets | Table] = []
    concerned = ""
    if based:
        concerned = n.say(
            "les traitements " if len(based) > 1 else "le traitement ",
            "the activities " if len(based) > 1 else "the activity ",
        ) + and_list(based, n.lang)
    if with_cookies:
        required, title = n.quoted(n.say(*CONSENT_REQUIRED)), n.quoted(n.say(*COOKIES_TITLE))
        cookies = n.say(
            f"les cookies marqués {required} dans la section {title}",
            f"the cookies marked {required} in {title}",
        )
        # « les traitements A et B, ainsi que les cookies »: one « et » per sentence.
        concerned = (
            n.say(
                f"{concerned}, ainsi que pour {cookies}", f"{concerned}, as well as for {cookies}"
            )
            if concerned
            else cookies
        )
    if concerned:
        blocks.append(
            n.para(
                f"Nous vous demandons votre consentement pour {concerned}.",
                f"We ask for your consent for {concerned}.",
            )
        )
    # Art. 13(2)(c): consent can be withdrawn at any time, without affecting the processing done
    # before. The register's text says how; when it also says one of these, ours is left out
    # rather than said twice. A phrasing missed here only repeats a fact, never drops one.
    own = typeset(n.text(withdrawal), n.lang).lower() if withdrawal is not None else ""
    says = n.say("retir", "withdraw") in own and n.say("à tout moment", "at any time") in own
    said: list[str] = []
    if not says:
        said.append(
            n.say(
                "Lorsqu’un traitement repose sur votre consentement, vous pouvez le retirer à tout "
                "moment.",
                "When processing relies on your consent, you can withdraw it at any time.",
            )
        )
    if withdrawal is not None:
        said.append(sentence(n.text(withdrawal)))
    if n.say("licéité", "lawful") not in own:
        said.append(
            n.say(
                "Le retrait de votre consentement ne remet pas en cause la licéité du traitement "
                "effectué avant celui-ci.",
                "Withdrawing your consent does not affect the lawfulness of the processing "
                "carried out before.",
            )
        )
    blocks.append(Para(line(" ".join(said))))
    return [Section(n.say("Retrait de votre consentement", "Withdrawing your consent"), 2, blocks)]


def automated_decisions(n: Namer) -> list[Section]:
    items: list[Line] = []
    for activity in n.register.activities.values():
        decision = activity.automated_decision
        if decision is None:
            continue
        parts: list[str | Strong] = [
            Strong(n.text(activity.name)),
            n.colon(),
            sentence(n.text(decision.description)),
        ]
        if decision.logic is not None:
            parts.append(" " + n.label("Logique", "Logic") + sentence(n.text(decision.logic)))
        if decision.significance is not None:
            parts.append(
                " "
                + n.label("Conséquences pour vous", "What it means for you")
                + sentence(n.text(decision.significance))
            )
        items.append(line(*parts))
    title = n.say("Décisions automatisées", "Automated decision-making")
    if not items:
        return [
            Section(
                title,
                2,
                [
                    n.para(
                        "Nous ne prenons aucune décision fondée exclusivement sur un traitement "
                        "automatisé, profilage compris, qui produirait des effets juridiques vous "
                        "concernant ou vous affecterait de manière significative.",
                        "We make no decision based solely on automated processing, including "
                        "profiling, that would produce legal effects concerning you or similarly "
                        "significantly affect you.",
                    )
                ],
            )
        ]
    return [
        Section(
            title,
            2,
            [
                n.para(
                    "Certains traitements comportent une prise de décision automatisée :",
                    "Some activities involve automated decision-making:",
                ),
                Bullets(tuple(items)),
            ],
        )
    ]


def requirements(n: Namer) -> list[Section]:
    items = [
        line(
            Strong(n.text(a.name)),
            n.colon(),
            upper_first(requirement_phrase(a.requirement.kind, n.lang)),
            " ",
            sentence(n.text(a.requirement.consequence)),
        )
        for a in n.register.activities.values()
        if a.requirement is not None
    ]
    if not items:
        return []
    return [
        Section(
            n.say("Êtes-vous obligé de fournir vos données ?", "Do you have to provide your data?"),
            2,
            [Bullets(tuple(items))],
        )
    ]


def changes(n: Namer) -> list[Section]:
    policy = n.register.policy
    blocks: list[Para | Bullets | Table] = []
    if policy.changes is not None:
        blocks.append(Para(line(sentence(n.text(policy.changes)))))
    if policy.notify_changes_by_email:
        blocks.append(
            n.para(
                "Si une modification affecte vos droits, nous vous en informons par e-mail.",
                "If a change affects your rights, we tell you by email.",
            )
        )
    if policy.applies_to_data_collected_under == "version_at_collection":
        blocks.append(
            n.para(
                "Vos données sont traitées conformément à la version de cette politique en vigueur "
                "au moment de leur collecte.",
                "Your data is processed under the version of this policy in force when it was "
                "collected.",
            )
        )
    if not blocks:
        blocks.append(
            n.para(
                "Nous publions toute nouvelle version de cette politique sur cette page.",
                "We publish every new version of this policy on this page.",
            )
        )
    return [Section(n.say("Modifications de cette politique", "Changes to this policy"), 2, blocks)]

"""Policy sections about the person's choices: cookies, rights, consent, automated decisions.

As everywhere in the policy, each line names the register fields it says; a default of the
format (the one-month deadline, the CNIL, the rights usually offered) is never printed unless
the register states it.
"""

from __future__ import annotations

from registre.documents.blocks import (
    Block,
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
    right_description,
)
from registre.register.model import Authority, RightsChannels
from registre.register.taxonomy import LegalBasis, Role

# The consent section points at the cookie table by these words.
COOKIES_TITLE = ("Cookies et traceurs", "Cookies and trackers")
CONSENT_REQUIRED = ("Requis", "Required")


SESSION = (
    "Session (supprimé à la fermeture du navigateur)",
    "Session (deleted when the browser closes)",
)
EXEMPT = (
    "Non requis (mesure d’audience exemptée selon les conditions de la CNIL)",
    "Not required (audience measurement exempt under the CNIL’s conditions)",
)
SIGNALS = {"dnt": "Do Not Track (DNT)", "gpc": "Global Privacy Control (GPC)"}


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
            line(Code(c.name), src=f"cookies.{cid}.name")
            if c.name is not None
            else line(upper_first(n.text(c.kind)) if c.kind else "—", src=f"cookies.{cid}.kind"),
            line(c.provider, src=f"cookies.{cid}.provider"),
            line(
                upper_first(cookie_category_name(c.category, n.lang)),
                src=f"cookies.{cid}.category",
            ),
            line(sentence(n.text(c.purpose)), src=f"cookies.{cid}.purpose"),
            line(
                n.say(*SESSION)
                if c.session
                else duration(c.lifetime, n.lang)
                if c.lifetime is not None
                else n.say("Non précisée", "Not stated"),
                src=f"cookies.{cid}.lifetime",
            ),
            line(
                n.say(*CONSENT_REQUIRED)
                if c.needs_consent
                else n.say(*EXEMPT)
                if c.cnil_exempt and c.consent_required is None
                else n.say("Non requis", "Not required"),
                src=f"cookies.{cid}.consent_required"
                if c.consent_required is not None
                else f"cookies.{cid}.cnil_exempt"
                if c.cnil_exempt
                else f"cookies.{cid}.category",
            ),
        )
        for cid, c in reg.cookies.items()
    )
    consented = [f"cookies.{cid}" for cid, c in reg.cookies.items() if c.needs_consent]
    blocks: list[Block] = [
        n.para(
            "Nous utilisons les cookies et traceurs suivants.",
            "We use the following cookies and trackers.",
            "cookies",
        )
    ]
    if consented:
        blocks.append(
            n.para(
                "Ceux pour lesquels le consentement est requis ne sont déposés qu’avec votre "
                "accord, que vous pouvez retirer à tout moment.",
                "Those that require consent are set only if you agree, and you can withdraw "
                "that agreement at any time.",
                consented,
            )
        )
    blocks.append(
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
        )
    )
    settings = reg.rights.cookie_settings
    if settings is not None:
        blocks.append(
            Para(
                line(
                    n.say(
                        "Pour retirer votre consentement aux cookies ou le modifier à tout "
                        "moment, rendez-vous sur la page ",
                        "To withdraw or change your consent to cookies at any time, go to ",
                    ),
                    url_link(settings),
                    ".",
                    src="rights.cookie_settings",
                )
            )
        )
    if reg.rights.browser_refusal is not None:
        blocks.append(
            Para(line(sentence(n.text(reg.rights.browser_refusal)), src="rights.browser_refusal"))
        )
    if reg.rights.browser_signals:
        signals = and_list([SIGNALS[s] for s in reg.rights.browser_signals], n.lang)
        plural = len(reg.rights.browser_signals) > 1
        blocks.append(
            n.para(
                f"Nous traitons {'les signaux' if plural else 'le signal'} {signals} de votre "
                "navigateur comme un refus des cookies soumis à consentement.",
                f"We treat your browser's {signals} signal{'s' if plural else ''} as a refusal "
                "of the cookies that require consent.",
                "rights.browser_signals",
            )
        )
    return [Section(n.say(*COOKIES_TITLE), 2, blocks)]


def rights(n: Namer) -> list[Section]:
    reg = n.register
    stated = reg.rights.model_fields_set
    sections: list[Section] = []
    if "offered" in stated:
        offered = [
            line(sentence(upper_first(right_description(r, n.lang))), src="rights.offered")
            for r in reg.rights.offered
        ]
        sections.append(
            Section(
                n.say("Vos droits", "Your rights"),
                2,
                [
                    n.para(
                        "Vous disposez des droits suivants sur vos données :",
                        "You have the following rights over your data:",
                        "rights.offered",
                    ),
                    Bullets(tuple(offered)),
                ],
            )
        )
    else:
        sections.append(Section(n.say("Vos droits", "Your rights"), 2, []))
    how: list[Block] = [
        n.para(
            "Pour exercer vos droits, contactez-nous :",
            "To exercise your rights, contact us:",
            "organization.contact",
        ),
        Bullets(_channels(n, reg.organization.contact)),
    ]
    if reg.rights.how_to_request is not None:
        how.append(
            Para(line(sentence(n.text(reg.rights.how_to_request)), src="rights.how_to_request"))
        )
    dpo = reg.organization.dpo
    if dpo is not None and dpo.email:
        who = n.say("notre délégué à la protection des données", "our data protection officer")
        if dpo.name:
            who += f", {dpo.name}"
        write_to = n.say(
            f"Vous pouvez aussi écrire à {who}, à l’adresse ", f"You can also write to {who}, at "
        )
        how.append(Para(line(write_to, email_link(dpo.email), ".", src="organization.dpo")))
    if "response_deadline" in stated:
        deadline = duration(reg.rights.response_deadline, n.lang, spell=True)
        how.append(
            n.para(
                f"Nous vous répondons dans un délai {de(deadline)} à compter de la réception de "
                "votre demande.",
                f"We answer within {deadline} of receiving your request.",
                "rights.response_deadline",
            )
        )
    if "extension" in stated:
        extension = reg.rights.extension
        if extension.is_zero:
            how.append(
                n.para(
                    "Ce délai n’est jamais prolongé.",
                    "This period is never extended.",
                    "rights.extension",
                )
            )
        else:
            words = duration(extension, n.lang, spell=True)
            how.append(
                n.para(
                    f"Ce délai peut être prolongé {de(words)} si votre demande est complexe ou si "
                    "nous recevons de nombreuses demandes ; nous vous en informons alors avant la "
                    "fin du premier délai, en vous en indiquant les raisons.",
                    f"This period may be extended by {words} if your request is complex or if we "
                    "receive many requests; we then tell you so before the first period ends, "
                    "and explain why.",
                    "rights.extension",
                )
            )
    if reg.rights.identity_proof is not None:
        how.append(
            Para(line(sentence(n.text(reg.rights.identity_proof)), src="rights.identity_proof"))
        )
    processed_for_others = [
        (aid, n.quoted(n.text(a.name)))
        for aid, a in reg.activities.items()
        if a.role is Role.processor
    ]
    if processed_for_others:
        names = and_list([name for _, name in processed_for_others], n.lang)
        how.append(
            n.para(
                f"Pour les traitements que nous réalisons en tant que sous-traitant ({names}), "
                "nous transmettons votre demande au responsable du traitement, qui y répond.",
                f"For the activities we carry out as a processor ({names}), we forward your "
                "request to the controller, who answers it.",
                [f"activities.{aid}.role" for aid, _ in processed_for_others],
            )
        )
    sections.append(
        Section(n.say("Comment exercer vos droits", "How to exercise your rights"), 3, how)
    )
    if "supervisory_authority" in reg.organization.model_fields_set:
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
        items.append(
            line(
                n.label("Par e-mail", "By email"),
                email_link(contact.email),
                src="organization.contact.email",
            )
        )
    if contact.web_form:
        items.append(
            line(
                n.label("En ligne", "Online"),
                url_link(contact.web_form),
                src="organization.contact.web_form",
            )
        )
    if contact.address:
        items.append(
            line(
                n.label("Par courrier", "By post"),
                n.address(contact.address),
                src="organization.contact.address",
            )
        )
    return tuple(items)


def _complaint(n: Namer, authority: Authority) -> list[Block]:
    at = "organization.supervisory_authority"
    name = n.text(authority.name)
    intro = n.say(
        f"Si vous estimez que vos droits ne sont pas respectés, vous pouvez introduire une "
        f"réclamation auprès {de(name)}",
        f"If you believe your rights are not respected, you can lodge a complaint with {name}",
    )
    ways: list[Line] = []
    if authority.website:
        ways.append(line(n.label("En ligne", "Online"), url_link(authority.website), src=at))
    if authority.address:
        ways.append(line(n.label("Par courrier", "By post"), n.address(authority.address), src=at))
    if not ways:
        return [Para(line(sentence(intro), src=at))]
    return [Para(line(intro + n.say(" :", ":"), src=at)), Bullets(tuple(ways))]


def consent(n: Namer) -> list[Section]:
    reg = n.register
    # As a processor, the consent is the controller's to collect and to withdraw: the rights
    # section already sends people to it.
    based = [
        (aid, n.quoted(n.text(a.name)))
        for aid, a in reg.activities.items()
        if LegalBasis.consent in a.legal_basis and a.role is not Role.processor
    ]
    with_cookies = [f"cookies.{cid}" for cid, c in reg.cookies.items() if c.needs_consent]
    src = [f"activities.{aid}.legal_basis" for aid, _ in based] + with_cookies
    if not src:
        return []
    withdrawal = reg.rights.consent_withdrawal
    blocks: list[Block] = []
    concerned = ""
    if based:
        names = [name for _, name in based]
        concerned = n.say(
            "les traitements " if len(names) > 1 else "le traitement ",
            "the activities " if len(names) > 1 else "the activity ",
        ) + and_list(names, n.lang)
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
    blocks.append(
        n.para(
            f"Nous vous demandons votre consentement pour {concerned}.",
            f"We ask for your consent for {concerned}.",
            src,
        )
    )
    # Art. 7(3) and 13(2)(c): consent can be withdrawn at any time, without affecting the
    # processing done before; both follow from the consent the register records. The register's
    # text says how; when it also says one of these, ours is left out rather than said twice. A
    # phrasing missed here only repeats a fact, never drops one.
    own = typeset(n.text(withdrawal), n.lang).lower() if withdrawal is not None else ""
    says = n.say("retir", "withdraw") in own and n.say("à tout moment", "at any time") in own
    if not says:
        blocks.append(
            n.para(
                "Vous pouvez retirer votre consentement à tout moment.",
                "You can withdraw your consent at any time.",
                src,
            )
        )
    if withdrawal is not None:
        blocks.append(Para(line(sentence(n.text(withdrawal)), src="rights.consent_withdrawal")))
    if n.say("licéité", "lawful") not in own:
        blocks.append(
            n.para(
                "Le retrait de votre consentement ne remet pas en cause la licéité du traitement "
                "effectué avant celui-ci.",
                "Withdrawing your consent does not affect the lawfulness of the processing "
                "carried out before.",
                src,
            )
        )
    return [Section(n.say("Retrait de votre consentement", "Withdrawing your consent"), 2, blocks)]


def automated_decisions(n: Namer) -> list[Section]:
    items: list[Line] = []
    for activity_id, activity in n.register.activities.items():
        decision = activity.automated_decision
        if decision is None:
            continue
        at = f"activities.{activity_id}.automated_decision"
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
                + n.label("Importance et conséquences pour vous", "Significance and consequences")
                + sentence(n.text(decision.significance))
            )
        if decision.safeguards is not None:
            parts.append(
                " "
                + n.label("Vos garanties", "Your safeguards")
                + sentence(n.text(decision.safeguards))
            )
        items.append(line(*parts, src=at))
    if not items:
        # Silence is not a promise: « we make no automated decision » is said by no field.
        return []
    title = n.say("Décisions automatisées", "Automated decision-making")
    return [
        Section(
            title,
            2,
            [
                n.para(
                    "Certains traitements comportent une prise de décision automatisée :",
                    "Some activities involve automated decision-making:",
                    [src for item in items for src in item.src],
                ),
                Bullets(tuple(items)),
            ],
        )
    ]


def changes(n: Namer) -> list[Section]:
    policy = n.register.policy
    blocks: list[Block] = []
    if policy.changes is not None:
        blocks.append(Para(line(sentence(n.text(policy.changes)), src="policy.changes")))
    if policy.notify_changes_by_email:
        blocks.append(
            n.para(
                "Si une modification affecte vos droits, nous vous en informons par e-mail.",
                "If a change affects your rights, we tell you by email.",
                "policy.notify_changes_by_email",
            )
        )
    if policy.applies_to_data_collected_under == "version_at_collection":
        blocks.append(
            n.para(
                "Vos données sont traitées conformément à la version de cette politique en vigueur "
                "au moment de leur collecte.",
                "Your data is processed under the version of this policy in force when it was "
                "collected.",
                "policy.applies_to_data_collected_under",
            )
        )
    if not blocks:
        return []
    return [Section(n.say("Modifications de cette politique", "Changes to this policy"), 2, blocks)]

"""Policy sections about who else sees the data: recipients, transfers, security, breaches."""

from __future__ import annotations

from registre.documents.blocks import Bullets, Line, Para, Section, Strong, Table, line
from registre.documents.naming import Namer
from registre.documents.typography import sentence, upper_first
from registre.documents.wording import and_list, hours, in_eea, safeguard_name
from registre.register.model import Transfer
from registre.register.taxonomy import Role


def recipients(n: Namer) -> list[Section]:
    reg = n.register
    others = [
        line(
            Strong(n.recipient_with_kind(rid)),
            n.colon(),
            sentence(and_list([n.quoted(a) for a in n.activities_with(rid)], n.lang)),
        )
        for rid in reg.recipients
        if n.activities_with(rid)
    ]
    used = [pid for pid in reg.processors if n.activities_with(pid)]
    if others or used:
        blocks: list[Para | Bullets | Table] = [
            n.para(
                "Vos données sont communiquées aux destinataires suivants, pour les traitements "
                "indiqués, et à eux seuls.",
                "Your data is shared with the following recipients only, in the activities shown.",
            )
        ]
    else:
        blocks = [
            n.para(
                "Nous ne communiquons vos données à aucun destinataire extérieur.",
                "We do not share your data with anyone outside our organization.",
            )
        ]
    if others:
        blocks.append(Bullets(tuple(others)))
    sections = [Section(n.say("Destinataires de vos données", "Who receives your data"), 2, blocks)]
    if used:
        rows = tuple(
            (
                line(reg.processors[pid].name),
                line(n.text(reg.processors[pid].service)),
                line(n.country(reg.processors[pid].country)),
                line(and_list([n.quoted(a) for a in n.activities_with(pid)], n.lang)),
            )
            for pid in used
        )
        sections.append(
            Section(
                n.say("Nos sous-traitants", "Our processors"),
                3,
                [
                    n.para(
                        "Nos sous-traitants traitent vos données pour notre compte et sur "
                        "nos instructions.",
                        "Our processors process your data on our behalf and on our instructions.",
                    ),
                    Table(
                        n.say("Sous-traitants et services rendus", "Processors and their services"),
                        (
                            n.say("Sous-traitant", "Processor"),
                            n.say("Service", "Service"),
                            n.say("Pays", "Country"),
                            n.say("Traitements", "Activities"),
                        ),
                        rows,
                    ),
                ],
            )
        )
    hosting = reg.organization.hosting
    if hosting:
        places = [
            f"{h.provider}, {n.country(h.country)}" if h.provider else n.country(h.country)
            for h in hosting
        ]
        target = sections[-1].blocks
        target.append(
            Para(
                line(
                    n.label("Hébergement de vos données", "Where your data is hosted"),
                    sentence(n.say(" ; ", "; ").join(places)),
                )
            )
        )
    return sections


def transfers(n: Namer) -> list[Section]:
    reg = n.register
    rows = []
    for pid, processor in reg.processors.items():
        if processor.outside_eea and n.activities_with(pid):
            rows.append(_transfer_row(n, processor.name, processor.country, processor.transfer))
    for rid, recipient in reg.recipients.items():
        if recipient.outside_eea and recipient.country and n.activities_with(rid):
            rows.append(_transfer_row(n, n.recipient(rid), recipient.country, recipient.transfer))
    for host in reg.organization.hosting:
        if not in_eea(host.country):
            who = host.provider or n.say("Hébergement", "Hosting")
            rows.append(_transfer_row(n, who, host.country, None))
    title = n.say(
        "Transferts hors de l’Espace économique européen",
        "Transfers outside the European Economic Area",
    )
    if not rows:
        return [
            Section(
                title,
                2,
                [
                    n.para(
                        "Vos données ne sont pas transférées en dehors de l’Espace économique "
                        "européen (EEE).",
                        "Your data is not transferred outside the European Economic Area (EEA).",
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
                    "Certains destinataires traitent vos données en dehors de l’Espace économique "
                    "européen (EEE). Chaque transfert repose sur la garantie indiquée ci-dessous.",
                    "Some recipients process your data outside the European Economic Area (EEA). "
                    "Each transfer relies on the safeguard shown below.",
                ),
                Table(
                    n.say(
                        "Transferts hors de l’EEE et garanties",
                        "Transfers outside the EEA and their safeguards",
                    ),
                    (
                        n.say("Destinataire", "Recipient"),
                        n.say("Pays", "Country"),
                        n.say("Garantie", "Safeguard"),
                        n.say("Référence", "Reference"),
                    ),
                    tuple(rows),
                ),
                n.para(
                    "Vous pouvez obtenir une copie de ces garanties en nous écrivant (voir « "
                    "Comment exercer vos droits »).",
                    "You can get a copy of these safeguards by writing to us (see “How to exercise "
                    "your rights”).",
                ),
            ],
        )
    ]


def _transfer_row(n: Namer, who: str, country: str, transfer: Transfer | None) -> tuple[Line, ...]:
    if transfer is None:
        return (
            line(who),
            line(n.country(country)),
            line(n.say("Non précisée", "Not stated")),
            line("—"),
        )
    return (
        line(who),
        line(n.country(country)),
        line(upper_first(safeguard_name(transfer.safeguard, n.lang))),
        line(transfer.reference or "—"),
    )


def security(n: Namer) -> list[Section]:
    reg = n.register
    blocks: list[Para | Bullets | Table] = []
    if reg.security:
        blocks.append(
            n.para(
                "Nous protégeons vos données par les mesures suivantes :",
                "We protect your data with the following measures:",
            )
        )
        blocks.append(Bullets(tuple(line(sentence(n.text(m))) for m in reg.security)))
    breaches = reg.breaches
    authority = n.text(reg.organization.supervisory_authority.name)
    delay = hours(breaches.authority_notification_hours, n.lang)
    text = n.say(
        f"En cas de violation de données personnelles, nous la notifions {n.to(authority)} "
        f"dans les {delay} après en avoir pris connaissance, sauf si elle n’est pas susceptible "
        "d’engendrer un risque pour vos droits et libertés.",
        f"If a personal data breach occurs, we notify {authority}, within {delay} of becoming "
        "aware of it, unless it is unlikely to result in a risk to your rights and freedoms.",
    )
    if breaches.notify_clients and any(a.role is Role.processor for a in reg.activities.values()):
        text += " " + n.say(
            "Lorsque nous agissons en tant que sous-traitant, nous en informons sans délai le "
            "responsable du traitement.",
            "When we act as a processor, we inform the controller without undue delay.",
        )
    if breaches.notify_subjects_when_high_risk:
        text += " " + n.say(
            "Si la violation est susceptible d’engendrer un risque élevé pour vos droits et "
            "libertés, nous vous en informons dans les meilleurs délais.",
            "If the breach is likely to result in a high risk to your rights and freedoms, we "
            "tell you without undue delay.",
        )
    blocks.append(Para(line(text)))
    return [Section(n.say("Sécurité de vos données", "How we protect your data"), 2, blocks)]

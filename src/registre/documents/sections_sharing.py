"""Policy sections about who else sees the data: recipients, transfers, security, breaches.

Nothing here is said on the register's silence: no « we share with no one », no « not
transferred outside the EEA », no breach promise unless the register makes it.
"""

from __future__ import annotations

from registre.documents.blocks import Block, Bullets, Line, Para, Section, Strong, Table, line
from registre.documents.naming import Namer
from registre.documents.typography import sentence, upper_first
from registre.documents.wording import and_list, hours, in_eea, safeguard_name
from registre.register.model import Transfer
from registre.register.taxonomy import RecipientKind, Role, Safeguard

# Safeguards whose text a person can be given a copy of (Art. 13(1)(f)).
COPYABLE = frozenset({Safeguard.scc, Safeguard.bcr})
# Safeguards that protect nothing: never published as if they did.
NO_SAFEGUARD = frozenset({Safeguard.none, Safeguard.privacy_shield})


def recipients(n: Namer) -> list[Section]:
    reg = n.register
    others = [
        line(
            Strong(n.recipient_with_kind(rid)),
            n.colon(),
            sentence(and_list([n.quoted(a) for a in n.activities_with(rid)], n.lang)),
            src=(f"recipients.{rid}", *_activities_src(n, rid)),
        )
        for rid in reg.recipients
        if n.activities_with(rid)
    ]
    used = [pid for pid in reg.processors if n.activities_with(pid)]
    hosting = reg.organization.hosting
    if not (others or used or hosting):
        return []
    blocks: list[Block] = []
    if others or used:
        blocks.append(
            n.para(
                "Vos données sont communiquées aux destinataires suivants, pour les traitements "
                "indiqués.",
                "Your data is shared with the following recipients, in the activities shown.",
                [f"recipients.{r}" for r in reg.recipients if n.activities_with(r)]
                + [f"processors.{p}" for p in used],
            )
        )
    if others:
        blocks.append(Bullets(tuple(others)))
    sections = [Section(n.say("Destinataires de vos données", "Who receives your data"), 2, blocks)]
    sections[0].anchor = "recipients"
    if used:
        sections.append(_processors(n, used))
    if hosting:
        places = [
            f"{h.provider}, {n.country(h.country)}" if h.provider else n.country(h.country)
            for h in hosting
        ]
        sections[-1].blocks.append(
            Para(
                line(
                    n.label("Hébergement de vos données", "Where your data is hosted"),
                    sentence(n.say(" ; ", "; ").join(places)),
                    src="organization.hosting",
                )
            )
        )
    return sections


def _activities_src(n: Namer, recipient_id: str) -> list[str]:
    return [
        f"activities.{aid}.recipients"
        for aid, act in n.register.activities.items()
        if recipient_id in act.recipients
    ]


def _processors(n: Namer, used: list[str]) -> Section:
    reg = n.register
    rows = tuple(
        (
            line(reg.processors[pid].name, src=f"processors.{pid}.name"),
            line(n.text(reg.processors[pid].service), src=f"processors.{pid}.service"),
            line(n.country(reg.processors[pid].country), src=f"processors.{pid}.country"),
            line(
                and_list([n.quoted(a) for a in n.activities_with(pid)], n.lang),
                src=_activities_src(n, pid),
            ),
        )
        for pid in used
    )
    blocks: list[Block] = []
    for_us = [p for p in used if _serves(n, p, processing_for_others=False)]
    for_clients = [p for p in used if _serves(n, p, processing_for_others=True)]
    if for_us:
        blocks.append(
            n.para(
                "Nos sous-traitants traitent vos données pour notre compte et sur nos "
                "instructions.",
                "Our processors process your data on our behalf and on our instructions.",
                [f"processors.{p}" for p in for_us],
            )
        )
    if for_clients:
        names = [
            n.quoted(n.text(a.name))
            for a in reg.activities.values()
            if a.role is Role.processor and any(p in a.recipients for p in for_clients)
        ]
        companies = and_list(
            list(dict.fromkeys(reg.processors[p].name for p in for_clients)), n.lang
        )
        one = len(for_clients) == 1
        sub_fr = "est un sous-traitant ultérieur" if one else "sont des sous-traitants ultérieurs"
        blocks.append(
            n.para(
                f"Pour les traitements que nous réalisons nous-mêmes en tant que sous-traitant "
                f"({and_list(names, n.lang)}), {companies} {sub_fr} : "
                "ils traitent les données pour le compte de notre client, qui en est le "
                "responsable, et non pour le nôtre.",
                f"For the activities we carry out ourselves as a processor "
                f"({and_list(names, n.lang)}), {companies} "
                f"{'is a sub-processor' if one else 'are sub-processors'}: "
                "they process the data on behalf of our client, who is its controller, not on "
                "ours.",
                [f"processors.{p}" for p in for_clients]
                + [
                    f"activities.{aid}.role"
                    for aid, a in reg.activities.items()
                    if a.role is Role.processor
                ],
            )
        )
    blocks.append(
        Table(
            n.say("Sous-traitants et services rendus", "Processors and their services"),
            (
                n.say("Sous-traitant", "Processor"),
                n.say("Service", "Service"),
                n.say("Pays", "Country"),
                n.say("Traitements", "Activities"),
            ),
            rows,
        )
    )
    return Section(n.say("Nos sous-traitants", "Our processors"), 3, blocks)


def _serves(n: Namer, processor_id: str, *, processing_for_others: bool) -> bool:
    return any(
        processor_id in a.recipients and (a.role is Role.processor) == processing_for_others
        for a in n.register.activities.values()
    )


def transfers(n: Namer) -> list[Section]:
    reg = n.register
    rows: list[tuple[Line, ...]] = []
    safeguards: list[tuple[str, Safeguard | None]] = []
    processor_names = set()
    for pid, processor in reg.processors.items():
        if processor.outside_eea and n.activities_with(pid):
            processor_names.add(processor.name.casefold())
            at = f"processors.{pid}"
            rows.append(_transfer_row(n, processor.name, processor.country, processor.transfer, at))
            safeguards.append((at, processor.transfer.safeguard if processor.transfer else None))
    ourselves: list[Line] = []
    for rid, recipient in reg.recipients.items():
        if not (recipient.outside_eea and recipient.country and n.activities_with(rid)):
            continue
        at = f"recipients.{rid}"
        if recipient.kind is RecipientKind.internal:
            # Our own teams abroad: the organization is no row of its own transfers table.
            ourselves.append(
                line(n.recipient(rid), n.colon(), n.country(recipient.country), src=at)
            )
            continue
        rows.append(_transfer_row(n, n.recipient(rid), recipient.country, recipient.transfer, at))
        safeguards.append((at, recipient.transfer.safeguard if recipient.transfer else None))
    for index, host in enumerate(reg.organization.hosting):
        if in_eea(host.country):
            continue
        at = f"organization.hosting.{index}"
        if host.provider is None:
            ourselves.append(
                line(n.say("Hébergement", "Hosting"), n.colon(), n.country(host.country), src=at)
            )
        elif host.provider.casefold() not in processor_names:  # a host listed once
            rows.append(_transfer_row(n, host.provider, host.country, None, at))
            safeguards.append((at, None))
    title = n.say(
        "Transferts hors de l’Espace économique européen",
        "Transfers outside the European Economic Area",
    )
    stays = reg.organization.data_stays_in
    if not rows and not ourselves:
        if stays is None:
            return []
        where = (
            n.say("l’Espace économique européen (EEE)", "the European Economic Area (EEA)")
            if stays == "EEA"
            else n.country(stays)
        )
        promise = n.say(
            f"Vos données ne sont pas transférées hors {_of(where)}.",
            f"Your data is not transferred outside {where}.",
        )
        section = Section(title, 2, [Para(line(promise, src="organization.data_stays_in"))])
        section.anchor = "transfers"
        return [section]
    blocks: list[Block] = []
    if ourselves:
        blocks.append(
            n.para(
                "Nous traitons nous-mêmes vos données en dehors de l’Espace économique européen "
                "(EEE) :",
                "We process your data ourselves outside the European Economic Area (EEA):",
                [src for item in ourselves for src in item.src],
            )
        )
        blocks.append(Bullets(tuple(ourselves)))
    if rows:
        unprotected = [at for at, s in safeguards if s is None or s in NO_SAFEGUARD]
        blocks.append(
            n.para(
                "Les destinataires suivants traitent vos données en dehors de l’Espace économique "
                "européen (EEE). "
                + (
                    "Pour certains d’entre eux, aucune garantie valable n’encadre ce transfert."
                    if unprotected
                    else "Chaque transfert repose sur la garantie indiquée."
                ),
                "The following recipients process your data outside the European Economic Area "
                "(EEA). "
                + (
                    "For some of them, no valid safeguard covers the transfer."
                    if unprotected
                    else "Each transfer relies on the safeguard shown."
                ),
                [at for at, _ in safeguards],
            )
        )
        blocks.append(
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
            )
        )
    copyable = [f"{at}.transfer.safeguard" for at, s in safeguards if s in COPYABLE]
    if copyable:
        blocks.append(
            n.para(
                "Vous pouvez obtenir une copie des clauses contractuelles types ou des règles "
                "d’entreprise contraignantes indiquées en nous écrivant (voir « Comment exercer "
                "vos droits »).",
                "You can get a copy of the standard contractual clauses or binding corporate "
                "rules shown by writing to us (see “How to exercise your rights”).",
                copyable,
            )
        )
    section = Section(title, 2, blocks)
    section.anchor = "transfers"
    return [section]


def _of(place: str) -> str:
    """« hors de France », « hors de l’Espace économique européen »."""
    if place.startswith("l’"):
        return f"de {place}"
    return f"de {place}" if place[:1].lower() not in "aeiouéèêâîôû" else f"d’{place}"


def _transfer_row(
    n: Namer, who: str, country: str | None, transfer: Transfer | None, at: str
) -> tuple[Line, ...]:
    if transfer is None:
        # Never « not stated » next to an offer of a copy: a transfer without a safeguard says so.
        return (
            line(who, src=at),
            line(n.country(country), src=f"{at}.country"),
            line(n.say("Aucune garantie déclarée", "No safeguard declared"), src=at),
            line("—"),
        )
    name = upper_first(safeguard_name(transfer.safeguard, n.lang))
    return (
        line(who, src=at),
        line(n.country(country), src=f"{at}.country"),
        line(name, src=f"{at}.transfer.safeguard"),
        line(
            transfer.reference or "—", src=f"{at}.transfer.reference" if transfer.reference else ()
        ),
    )


def security(n: Namer) -> list[Section]:
    reg = n.register
    blocks: list[Block] = []
    if reg.security:
        blocks.append(
            n.para(
                "Nous protégeons vos données par les mesures suivantes :",
                "We protect your data with the following measures:",
                "security",
            )
        )
        blocks.append(
            Bullets(
                tuple(
                    line(sentence(n.text(m)), src=f"security.{i}")
                    for i, m in enumerate(reg.security)
                )
            )
        )
    if "breaches" in reg.model_fields_set:
        blocks += _breaches(n)
    if not blocks:
        return []
    section = Section(n.say("Sécurité de vos données", "How we protect your data"), 2, blocks)
    section.anchor = "security"
    return [section]


def _breaches(n: Namer) -> list[Block]:
    """The breach promises the register's 'breaches' section makes, each from its own key."""
    reg = n.register
    breaches = reg.breaches
    stated = breaches.model_fields_set
    said: list[Line] = []
    if "authority_notification_hours" in stated:
        authority = n.text(reg.organization.supervisory_authority.name)
        delay = hours(breaches.authority_notification_hours, n.lang)
        said.append(
            line(
                n.say(
                    f"En cas de violation de données personnelles, nous la notifions "
                    f"{n.to(authority)} dans les {delay} suivant le moment où nous en avons pris "
                    "connaissance, sauf si elle n’est pas susceptible d’engendrer un risque pour "
                    "vos droits et libertés.",
                    f"If a personal data breach occurs, we notify {authority} within {delay} of "
                    "becoming aware of it, unless it is unlikely to result in a risk to your "
                    "rights and freedoms.",
                ),
                src=(
                    "breaches.authority_notification_hours",
                    "organization.supervisory_authority",
                ),
            )
        )
    processing = any(a.role is Role.processor for a in reg.activities.values())
    if "notify_clients" in stated and breaches.notify_clients and processing:
        said.append(
            line(
                n.say(
                    "Lorsque nous agissons en tant que sous-traitant, nous en informons sans délai "
                    "le responsable du traitement.",
                    "When we act as a processor, we inform the controller without undue delay.",
                ),
                src="breaches.notify_clients",
            )
        )
    if "notify_subjects_when_high_risk" in stated and breaches.notify_subjects_when_high_risk:
        said.append(
            line(
                n.say(
                    "Si la violation est susceptible d’engendrer un risque élevé pour vos droits "
                    "et libertés, nous vous en informons dans les meilleurs délais.",
                    "If the breach is likely to result in a high risk to your rights and "
                    "freedoms, we tell you without undue delay.",
                ),
                src="breaches.notify_subjects_when_high_risk",
            )
        )
    return [Para(item) for item in said]

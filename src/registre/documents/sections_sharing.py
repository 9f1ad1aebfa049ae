"""Policy sections about who else sees the data: recipients, transfers, security, breaches.

Nothing here is said on the register's silence: no « we share with no one », no « not
transferred outside the EEA », no breach promise unless the register makes it.
"""

from __future__ import annotations

from registre.documents.blocks import (
    Block,
    Bullets,
    Line,
    Para,
    Section,
    Strong,
    Table,
    line,
    url_link,
)
from registre.documents.naming import Namer
from registre.documents.typography import lower_first, sentence, upper_first
from registre.documents.wording import and_list, hours, in_eea, safeguard_name
from registre.register.model import AuthorityRequests, Transfer
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
    if not (others or used or hosting or reg.authority_requests):
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
    if reg.authority_requests is not None:
        sections.append(_authority_requests(n, reg.authority_requests))
    return sections


def _authority_requests(n: Namer, asked: AuthorityRequests) -> Section:
    """What we do when the police, a court or another authority asks for data."""
    blocks: list[Block] = [
        Para(line(sentence(n.text(asked.policy)), src="authority_requests.policy"))
    ]
    if asked.notify_person:
        blocks.append(
            n.para(
                "Sauf si la loi l’interdit, nous vous informons d’une telle demande avant d’y "
                "répondre.",
                "Unless the law forbids it, we tell you of such a request before answering it.",
                "authority_requests.notify_person",
            )
        )
    if asked.transparency_report is not None:
        blocks.append(
            Para(
                line(
                    n.say(
                        "Nous publions le nombre de ces demandes dans notre rapport de "
                        "transparence : ",
                        "We publish the number of these requests in our transparency report: ",
                    ),
                    url_link(asked.transparency_report),
                    ".",
                    src="authority_requests.transparency_report",
                )
            )
        )
    return Section(
        n.say("Demandes des autorités", "Requests from authorities"),
        3,
        blocks,
        src=("authority_requests",),
    )


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
    kept = [
        (pid, retention) for pid in used if (retention := reg.processors[pid].retention) is not None
    ]
    if kept:
        blocks.append(
            n.para(
                "Ces sous-traitants conservent les données de leur côté comme suit :",
                "These processors keep the data on their side as follows:",
                [f"processors.{pid}.retention" for pid, _ in kept],
            )
        )
        blocks.append(
            Bullets(
                tuple(
                    line(
                        Strong(reg.processors[pid].name),
                        n.colon(),
                        sentence(n.text(retention)),
                        src=f"processors.{pid}.retention",
                    )
                    for pid, retention in kept
                )
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
    copies: list[str] = []
    for pid, processor in reg.processors.items():
        if processor.outside_eea and n.activities_with(pid):
            processor_names.add(processor.name.casefold())
            at = f"processors.{pid}"
            rows.append(_transfer_row(n, processor.name, processor.country, processor.transfer, at))
            safeguards.append((at, _effective(processor.transfer)))
            if processor.transfer is not None:
                copies += _copyable(processor.transfer, at)
    ourselves: list[Line] = []
    for rid, recipient in reg.recipients.items():
        if not (recipient.outside_eea and recipient.country and n.activities_with(rid)):
            continue
        at = f"recipients.{rid}"
        if recipient.kind is RecipientKind.internal:
            # Our own teams abroad: the organization is no row of its own transfers table.
            ourselves.append(_own(n, n.recipient(rid), recipient.country, recipient.transfer, at))
            continue
        rows.append(_transfer_row(n, n.recipient(rid), recipient.country, recipient.transfer, at))
        safeguards.append((at, _effective(recipient.transfer)))
        if recipient.transfer is not None:
            copies += _copyable(recipient.transfer, at)
    for index, host in enumerate(reg.organization.hosting):
        if in_eea(host.country):
            continue
        at = f"organization.hosting.{index}"
        if host.provider is None:
            ourselves.append(
                _own(n, n.say("Hébergement", "Hosting"), host.country, host.transfer, at)
            )
        elif host.provider.casefold() not in processor_names:  # a host listed once
            rows.append(_transfer_row(n, host.provider, host.country, host.transfer, at))
            safeguards.append((at, _effective(host.transfer)))
            if host.transfer is not None:
                copies += _copyable(host.transfer, at)
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
    copyable = copies
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


def _effective(transfer: Transfer | None) -> Safeguard | None:
    """The safeguard that covers a transfer: the first valid one of those it relies on."""
    if transfer is None:
        return None
    valid = [s for s in (transfer.safeguard, *transfer.also) if s not in NO_SAFEGUARD]
    return valid[0] if valid else transfer.safeguard


def _copyable(transfer: Transfer, at: str) -> list[str]:
    """The fields of a transfer's safeguards of which people may get a copy (SCC, BCR)."""
    found = [f"{at}.transfer.safeguard"] if transfer.safeguard in COPYABLE else []
    found += [f"{at}.transfer.also.{i}" for i, s in enumerate(transfer.also) if s in COPYABLE]
    return found


def _safeguards(n: Namer, transfer: Transfer, at: str) -> Line:
    """The safeguard, and the further ones the transfer relies on: « CCT ; DPF »."""
    names = [safeguard_name(transfer.safeguard, n.lang)]
    names += [safeguard_name(s, n.lang) for s in transfer.also]
    return line(
        upper_first(n.say(" ; ", "; ").join(names)),
        src=(f"{at}.transfer.safeguard", *(f"{at}.transfer.also" for _ in transfer.also[:1])),
    )


def _own(n: Namer, who: str, country: str | None, transfer: Transfer | None, at: str) -> Line:
    """Our own processing outside the EEA: where, and the safeguard when one is declared."""
    if transfer is None:
        return line(who, n.colon(), n.country(country), src=at)
    said = _safeguards(n, transfer, at)
    reference = f", {transfer.reference}" if transfer.reference else ""
    named = "".join(p if isinstance(p, str) else p.text for p in said)
    return line(
        who,
        n.colon(),
        n.country(country),
        " — ",
        lower_first(named) + reference,
        src=(at, *said.src),
    )


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
    return (
        line(who, src=at),
        line(n.country(country), src=f"{at}.country"),
        _safeguards(n, transfer, at),
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
    promised = breaches.controller_notification_hours
    if promised is not None and breaches.notify_clients and processing:
        # the register's own delay to clients (seed 003: 72 hours), distinct from the authority's
        client_delay = hours(promised, n.lang)
        said.append(
            line(
                n.say(
                    "Lorsque nous agissons en tant que sous-traitant, nous en informons le "
                    f"responsable du traitement dans les {client_delay} suivant le moment où nous "
                    "en avons pris connaissance.",
                    "When we act as a processor, we inform the controller within "
                    f"{client_delay} of becoming aware of it.",
                ),
                src=("breaches.notify_clients", "breaches.controller_notification_hours"),
            )
        )
    elif "notify_clients" in stated and breaches.notify_clients and processing:
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

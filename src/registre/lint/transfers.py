"""Transfer checks (GDPR Chapter V): every flow out of the EEA rests on a valid ground."""

from __future__ import annotations

from collections.abc import Iterator

from registre.lint.finding import Finding, Loc, finding, text
from registre.register.model import Register, Transfer
from registre.register.taxonomy import EEA, Safeguard

# Countries with an adequacy decision of the European Commission (Art. 45), as of 2025:
# Andorra, Argentina, Canada (commercial organisations), Faroe Islands, Guernsey, Israel, Isle of
# Man, Japan, Jersey, New Zealand, Republic of Korea, Switzerland, United Kingdom, Uruguay. The
# United States are adequate only for organisations certified under the Data Privacy Framework,
# which the register says with the 'dpf' safeguard.
ADEQUATE = frozenset(
    {"AD", "AR", "CA", "FO", "GG", "IL", "IM", "JP", "JE", "NZ", "KR", "CH", "GB", "UY"}
)


def check_transfers(register: Register) -> Iterator[Finding]:
    for processor_id, processor in register.processors.items():
        yield from _check_flow(
            ("processors", processor_id),
            f"processor {processor.name}",
            processor.country,
            processor.transfer,
            regular=True,
        )
    for recipient_id, recipient in register.recipients.items():
        yield from _check_flow(
            ("recipients", recipient_id),
            f"recipient “{text(recipient.name)}”",
            recipient.country,
            recipient.transfer,
            regular=False,
        )
    processor_countries = {p.country for p in register.processors.values()}
    for index, hosting in enumerate(register.organization.hosting):
        if hosting.transfer is not None:  # its own safeguard, checked like any transfer
            yield from _check_flow(
                ("organization", "hosting", index),
                f"the hosting in {hosting.country}",
                hosting.country,
                hosting.transfer,
                regular=hosting.provider is not None,
            )
            continue
        if hosting.country not in EEA and hosting.country not in processor_countries:
            host = hosting.provider or "the host"
            yield finding(
                "TRF007",
                ("organization", "hosting", index),
                f"Data is hosted in {hosting.country}, outside the EEA, but no processor "
                f"is declared there: declare {host} under 'processors' with the "
                "safeguard of the transfer.",
            )


def _check_flow(
    at: Loc, who: str, country: str | None, transfer: Transfer | None, *, regular: bool
) -> Iterator[Finding]:
    outside = country is not None and country not in EEA
    safeguard = transfer.safeguard if transfer is not None else None
    if transfer is not None and safeguard in (Safeguard.privacy_shield, Safeguard.none):
        # a further safeguard of the same transfer may cover it: judge it by that one
        safeguard = next(
            (s for s in transfer.also if s not in (Safeguard.privacy_shield, Safeguard.none)),
            safeguard,
        )
    where = (*at, "transfer", "safeguard") if transfer is not None else (*at, "country")
    if safeguard == Safeguard.privacy_shield:
        # Flagged wherever the recipient sits: relying on the Shield means data reaches the US.
        yield finding(
            "TRF002",
            where,
            f"The transfer to {who} relies on the EU-US Privacy Shield, invalid since "
            "16 July 2020: use the Data Privacy Framework (dpf) if it is certified, or "
            "standard contractual clauses (scc).",
        )
        return
    if not outside:
        return
    if safeguard is None or safeguard == Safeguard.none:
        yield finding(
            "TRF001",
            where,
            f"Data goes to {who} in {country}, outside the EEA, with no safeguard: "
            "give 'transfer' an adequacy decision, the dpf, scc or bcr.",
        )
    elif safeguard == Safeguard.derogation:
        if regular:
            yield finding(
                "TRF003",
                where,
                f"The transfer to {who} in {country} relies on an Art. 49 derogation, "
                "but a processor's transfers are regular: sign standard contractual "
                "clauses (scc) instead.",
            )
        else:
            yield finding(
                "TRF004",
                where,
                f"The transfer to {who} in {country} relies on an Art. 49 derogation: "
                "check that it is occasional and name the derogation in 'reference'.",
            )
    elif safeguard == Safeguard.adequacy and country not in ADEQUATE:
        instead = (
            "the Data Privacy Framework (dpf) if it is certified, or scc"
            if country == "US"
            else "scc or bcr"
        )
        yield finding(
            "TRF005",
            where,
            f"The transfer to {who} claims an adequacy decision, but {country} has "
            f"none: use {instead}.",
        )
    elif safeguard == Safeguard.dpf and country != "US":
        yield finding(
            "TRF006",
            where,
            f"The transfer to {who} claims the EU-US Data Privacy Framework, which "
            f"covers only the United States, not {country}: use the safeguard that "
            "applies there.",
        )

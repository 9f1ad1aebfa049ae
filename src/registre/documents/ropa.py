"""The Art. 30 record of processing activities, after the CNIL register model, as CSV or XLSX.

Three tables: the organization (Art. 30(1)(a)), the activities we control (Art. 30(1)), and
those we carry out as a processor (Art. 30(2)). Cells hold words, never register ids. The
bytes depend only on the register: the XLSX carries the policy date as its creation and
modification dates, and its zip entries carry that date too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from registre._exceptions import DocumentError
from registre.documents.naming import Namer
from registre.documents.policy import check_language
from registre.documents.retention import describe_rules, retention_lines
from registre.documents.typography import sentence, typeset, upper_first
from registre.documents.wording import (
    REGISTRATION_KINDS,
    date,
    in_eea,
    legal_basis_name,
    pick,
    safeguard_name,
    source_name,
    special_condition_name,
)
from registre.register.model import Lang, ProcessingActivity, Register, Transfer
from registre.register.taxonomy import Role

Variant = Literal["controller", "processor", "both"]
RopaFormat = Literal["csv", "xlsx"]


@dataclass(frozen=True)
class RopaTable:
    """One sheet of the register: a CSV file, or a worksheet of the XLSX."""

    title: str
    filename: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def ropa_tables(
    register: Register, lang: Lang = "fr", variant: Variant = "both"
) -> list[RopaTable]:
    """The organization table, then the controller and/or processor activity tables."""
    n = Namer(register, check_language(register, lang))
    tables = [_organization(n)]
    if variant in ("controller", "both"):
        tables.append(_controller(n))
    if variant in ("processor", "both"):
        tables.append(_processor(n))
    return [
        RopaTable(
            t.title,
            t.filename,
            tuple(typeset(h, lang) for h in t.header),
            tuple(tuple(typeset(c, lang) for c in row) for row in t.rows),
        )
        for t in tables
    ]


def _organization(n: Namer) -> RopaTable:
    reg = n.register
    org = reg.organization
    registration = ""
    if org.registration is not None:
        kind = pick(n.lang, *REGISTRATION_KINDS[org.registration.kind])
        registration = f"{kind} {org.registration.number}"
        if org.registration.registry:
            registration += f" ({org.registration.registry})"
    dpo = org.dpo
    contact = org.contact
    channels = [
        c
        for c in (
            contact.email,
            contact.web_form,
            n.address(contact.address) if contact.address else None,
        )
        if c
    ]
    rows = [
        (n.say("Nom de l’organisme", "Name of the organization"), org.name),
        (n.say("Forme juridique", "Legal form"), n.text(org.legal_form) if org.legal_form else ""),
        (n.say("Immatriculation", "Registration"), registration),
        (n.say("Adresse", "Address"), n.address(org.address)),
        (n.say("Site web", "Website"), org.website or ""),
        (n.say("Représentant légal", "Legal representative"), org.representative or ""),
        (
            n.say("Délégué à la protection des données", "Data protection officer"),
            (dpo.name or "") if dpo else "",
        ),
        (n.say("E-mail du délégué", "DPO email"), (dpo.email or "") if dpo else ""),
        (n.say("Téléphone du délégué", "DPO phone"), (dpo.phone or "") if dpo else ""),
        (
            n.say("Contact pour l’exercice des droits", "Contact to exercise rights"),
            "\n".join(channels),
        ),
        (
            n.say("Autorité de contrôle", "Supervisory authority"),
            upper_first(n.text(org.supervisory_authority.name)),
        ),
        (n.say("Version de la politique", "Policy version"), reg.policy.version),
        (n.say("Date de mise à jour", "Last updated"), date(reg.policy.date, n.lang)),
    ]
    return RopaTable(
        n.say("Organisme", "Organization"),
        n.say("organisme.csv", "organization.csv"),
        (n.say("Rubrique", "Item"), n.say("Information", "Details")),
        tuple(rows),
    )


def _controller(n: Namer) -> RopaTable:
    header = (
        n.say("N°", "No."),
        n.say("Traitement", "Processing activity"),
        n.say("Finalité", "Purpose"),
        n.say("Base légale", "Legal basis"),
        n.say("Responsable conjoint", "Joint controller"),
        n.say("Catégories de personnes concernées", "Categories of data subjects"),
        n.say("Catégories de données", "Categories of personal data"),
        n.say("Données sensibles", "Special categories of data"),
        n.say("Origine des données", "Source of the data"),
        n.say("Destinataires", "Recipients"),
        n.say("Transferts hors EEE et garanties", "Transfers outside the EEA and safeguards"),
        n.say("Durées de conservation", "Retention periods"),
        n.say("Mesures de sécurité", "Security measures"),
    )
    rows = []
    activities = [
        (aid, a) for aid, a in n.register.activities.items() if a.role is not Role.processor
    ]
    for number, (activity_id, activity) in enumerate(activities, start=1):
        bases = [upper_first(legal_basis_name(b, n.lang)) for b in activity.legal_basis]
        if activity.legitimate_interest is not None:
            bases.append(
                n.say("Intérêt poursuivi : ", "Interest pursued: ")
                + n.text(activity.legitimate_interest)
            )
        special = [n.category(c) for c in activity.data if n.register.data_category(c).special]
        if special and activity.special_condition is not None:
            special.append(upper_first(special_condition_name(activity.special_condition, n.lang)))
        rows.append(
            (
                str(number),
                n.text(activity.name),
                n.text(activity.purpose),
                "\n".join(bases),
                n.controller(activity.controller) if activity.role is Role.joint_controller else "",
                "\n".join(n.subject(s) for s in activity.subjects),
                "\n".join(n.category(c) for c in activity.data),
                "\n".join(special) or n.say("Aucune", "None"),
                "\n".join(
                    upper_first(source_name(s.kind, n.lang, to_the_person=False))
                    for s in activity.sources
                ),
                "\n".join(n.recipient_with_kind(r) for r in activity.recipients)
                or n.say("Aucun", "None"),
                _transfers(n, activity),
                _retention(n, activity_id, activity),
                _security(n),
            )
        )
    return RopaTable(
        n.say("Traitements (responsable)", "Controller activities"),
        n.say("traitements-responsable.csv", "controller-activities.csv"),
        header,
        tuple(rows),
    )


def _processor(n: Namer) -> RopaTable:
    header = (
        n.say("N°", "No."),
        n.say(
            "Responsable du traitement pour le compte duquel nous agissons",
            "Controller on whose behalf we act",
        ),
        n.say("Catégorie de traitement", "Category of processing"),
        n.say("Description", "Description"),
        n.say("Catégories de personnes concernées", "Categories of data subjects"),
        n.say("Catégories de données", "Categories of personal data"),
        n.say("Sous-traitants ultérieurs", "Sub-processors"),
        n.say("Transferts hors EEE et garanties", "Transfers outside the EEA and safeguards"),
        n.say("Mesures de sécurité", "Security measures"),
    )
    rows = []
    activities = [a for a in n.register.activities.values() if a.role is Role.processor]
    for number, activity in enumerate(activities, start=1):
        rows.append(
            (
                str(number),
                upper_first(n.controller(activity.controller)),
                n.text(activity.name),
                n.text(activity.purpose),
                "\n".join(n.subject(s) for s in activity.subjects),
                "\n".join(n.category(c) for c in activity.data),
                "\n".join(
                    n.recipient(r) for r in activity.recipients if r in n.register.processors
                ),
                _transfers(n, activity),
                _security(n),
            )
        )
    return RopaTable(
        n.say("Traitements (sous-traitant)", "Processor activities"),
        n.say("traitements-sous-traitant.csv", "processor-activities.csv"),
        header,
        tuple(rows),
    )


def _transfers(n: Namer, activity: ProcessingActivity) -> str:
    lines = []
    for rid in activity.recipients:
        country: str | None
        transfer: Transfer | None
        if rid in n.register.processors:
            country, transfer = (
                n.register.processors[rid].country,
                n.register.processors[rid].transfer,
            )
        else:
            country, transfer = (
                n.register.recipients[rid].country,
                n.register.recipients[rid].transfer,
            )
        if country is None or in_eea(country):
            continue
        safeguard = (
            upper_first(safeguard_name(transfer.safeguard, n.lang))
            if transfer
            else n.say("Garantie non précisée", "Safeguard not stated")
        )
        if transfer is not None and transfer.reference:
            safeguard += f" ({transfer.reference})"
        lines.append(f"{n.recipient(rid)} ({n.country(country)}){n.colon()}{safeguard}")
    return "\n".join(lines) or n.say("Aucun", "None")


def _retention(n: Namer, activity_id: str, activity: ProcessingActivity) -> str:
    lines = []
    for entry in retention_lines(n.register, activity_id):
        text = (
            n.categories(list(entry.categories))
            + n.colon()
            + describe_rules(n.register, list(entry.rules), n.lang)
        )
        references = [n.text(r.reference) for r in entry.rules if r.reference is not None]
        for reference in dict.fromkeys(references):
            text += " " + n.label("Référence", "Reference") + sentence(reference)
        lines.append(text)
    return "\n".join(lines) or n.say("Non définie", "Not defined")


def _without_article(name: str) -> str:
    """'Commission nationale…' for a table cell, from 'la Commission nationale…' in prose."""
    for article in ("la ", "le ", "les ", "l’", "l'", "the "):
        if name.lower().startswith(article):
            return name[len(article) :]
    return name


def _security(n: Namer) -> str:
    return "\n".join(sentence(n.text(m)) for m in n.register.security)


def ropa_csv(register: Register, lang: Lang = "fr", variant: Variant = "both") -> dict[str, bytes]:
    """One CSV file per table, by file name: UTF-8 with a BOM, so that Excel reads accents."""
    files = {}
    for table in ropa_tables(register, lang, variant):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(table.header)
        writer.writerows(table.rows)
        files[table.filename] = buffer.getvalue().encode("utf-8-sig")
    return files


def ropa_xlsx(register: Register, lang: Lang = "fr", variant: Variant = "both") -> bytes:
    """One workbook, one sheet per table, header row styled, columns sized to their text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    stamp = dt.datetime.combine(register.policy.date, dt.time(0))
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.properties.creator = "registre"
    workbook.properties.title = pick(
        lang, "Registre des activités de traitement", "Record of processing activities"
    )
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE4EE")
    wrap = Alignment(wrap_text=True, vertical="top")
    for table in ropa_tables(register, lang, variant):
        sheet = workbook.create_sheet(table.title)
        sheet.append(list(table.header))
        for row in table.rows:
            sheet.append(list(row))
        for cell in sheet[1]:
            cell.font, cell.fill, cell.alignment = bold, fill, wrap
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = wrap
        for index, title in enumerate(table.header, start=1):
            longest = max(
                [len(title)]
                + [
                    max(len(line) for line in row[index - 1].split("\n"))
                    for row in table.rows
                    if row[index - 1]
                ]
            )
            sheet.column_dimensions[get_column_letter(index)].width = min(max(longest + 2, 8), 60)
        sheet.freeze_panes = "A2"
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        # ExcelWriter, not Workbook.save, which stamps the current time as the modified date.
        ExcelWriter(workbook, archive).save()
    return _restamp(raw.getvalue(), stamp)


def _restamp(archive: bytes, stamp: dt.datetime) -> bytes:
    """The same zip with every entry dated ``stamp``: zip entries carry their write time."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(archive)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def write_ropa(
    register: Register,
    output: Path,
    fmt: RopaFormat = "csv",
    lang: Lang = "fr",
    variant: Variant = "both",
) -> list[Path]:
    """Write the export; ``output`` is a folder for CSV, a file or a folder for XLSX."""
    try:
        if fmt == "xlsx":
            target = output
            if output.is_dir() or not output.suffix:
                target = output / pick(lang, "registre-art30.xlsx", "art30-record.xlsx")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(ropa_xlsx(register, lang, variant))
            return [target]
        if output.suffix and not output.is_dir():
            raise DocumentError(
                f"{output} looks like a file, but the CSV export is one file per table",
                hint="give a folder with --output, or use --format xlsx",
            )
        output.mkdir(parents=True, exist_ok=True)
        written = []
        for name, content in ropa_csv(register, lang, variant).items():
            (output / name).write_bytes(content)
            written.append(output / name)
        return written
    except OSError as exc:
        raise DocumentError(
            f"cannot write the register export to {output}: {exc.strerror}",
            hint="check that the folder exists and is writable",
        ) from None

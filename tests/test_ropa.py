"""The Art. 30 record of processing activities: CSV files and an XLSX workbook, CNIL model.

Golden CSV files live in ``tests/golden/<example>/ropa/``; ``REGISTRE_UPDATE_GOLDEN=1`` rewrites
them after a deliberate change.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from _support import check_golden
from registre.cli import app
from registre.documents import DocumentError, ropa_csv, ropa_tables, ropa_xlsx, typeset, write_ropa
from registre.register.loader import load_register
from registre.register.taxonomy import Role

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = sorted(ROOT.glob("examples/*/register.yaml"))
DEVICE_MANAGEMENT = ROOT / "examples/device-management/register.yaml"


def exports() -> list[Any]:
    return [
        pytest.param(example, lang, id=f"{example.parent.name}-{lang}")
        for example in EXAMPLES
        for lang in load_register(example).policy.languages
    ]


@pytest.mark.parametrize(("example", "lang"), exports())
def test_csv_export_matches_golden(example: Path, lang: str) -> None:
    files = ropa_csv(load_register(example), lang)  # type: ignore[arg-type]
    for name, content in files.items():
        check_golden(GOLDEN / example.parent.name / "ropa" / lang / name, content)


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


@pytest.mark.parametrize(
    ("variant", "files"),
    [
        ("both", ["organisme.csv", "traitements-responsable.csv", "traitements-sous-traitant.csv"]),
        ("controller", ["organisme.csv", "traitements-responsable.csv"]),
        ("processor", ["organisme.csv", "traitements-sous-traitant.csv"]),
    ],
)
def test_variants_choose_the_tables(variant: str, files: list[str]) -> None:
    assert list(ropa_csv(load_register(DEVICE_MANAGEMENT), "fr", variant)) == files  # type: ignore[arg-type]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.parent.name)
def test_one_row_per_activity_in_its_role(example: Path) -> None:
    register = load_register(example)
    lang = register.policy.languages[0]
    organization, controller, processor = (read_csv(c) for c in ropa_csv(register, lang).values())
    controlled = [a for a in register.activities.values() if a.role is not Role.processor]
    processed = [a for a in register.activities.values() if a.role is Role.processor]
    assert [row[1] for row in controller[1:]] == [
        typeset(a.name.get(lang), lang) for a in controlled
    ]
    assert [row[3] for row in processor[1:]] == [typeset(a.name.get(lang), lang) for a in processed]
    assert organization[1][1] == typeset(register.organization.name, lang)


def test_controller_columns_follow_article_30_1() -> None:
    tables = ropa_tables(load_register(DEVICE_MANAGEMENT), "en", "controller")
    assert tables[1].header == (
        "No.",
        "Processing activity",
        "Created",
        "Last updated",
        "Purpose",
        "Legal basis",
        "Joint controller",
        "Categories of data subjects",
        "Categories of personal data",
        "Categories of data (CNIL model)",
        "Special categories of data",
        "Source of the data",
        "Recipients",
        "Processors and contracts (Article 28)",
        "Transfers outside the EEA and safeguards",
        "Retention periods",
        "Security measures",
    )
    invoicing = next(row for row in tables[1].rows if row[1] == "Invoicing")
    assert isinstance(invoicing[15], str)
    assert invoicing[15].splitlines() == [
        "Invoices and Stripe reference id: deleted 10 years after the deletion of the account. "
        "Reference: Article L. 123-22, paragraph 2, of the French Commercial Code.",
        "Billing name, email and address: anonymized 5 years after the deletion of the account.",
    ]


def test_processor_rows_name_the_controller_and_the_transfers() -> None:
    tables = ropa_tables(load_register(DEVICE_MANAGEMENT), "fr", "processor")
    fleet = tables[1].rows[0]
    assert fleet[1] == "L’entreprise cliente qui gère ses appareils"
    assert fleet[11] == (
        "Google LLC (contrat\u202f: référence non renseignée)\n"
        "OVH SAS (contrat\u202f: référence non renseignée)"
    )
    assert fleet[12] == (
        "Google LLC (États-Unis)\u202f: Clauses contractuelles types de la "
        "Commission européenne (article 46 du RGPD)\u202f; document\u202f: Décision "
        "d’exécution (UE) 2021/914"
    )


def test_xlsx_has_one_styled_sheet_per_table() -> None:
    register = load_register(DEVICE_MANAGEMENT)
    content = ropa_xlsx(register, "fr")
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == [
        "Organisme",
        "Traitements (responsable)",
        "Traitements (sous-traitant)",
    ]
    for table, sheet in zip(ropa_tables(register, "fr"), workbook.worksheets, strict=True):
        rows = [
            tuple("" if v is None else v.date() if isinstance(v, dt.datetime) else v for v in row)
            for row in sheet.iter_rows(values_only=True)
        ]
        assert rows == [table.header, *table.rows]
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.freeze_panes == "A2"
        # ready to filter and to print: A4 landscape, one page wide, header on every page
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}" + (
            str(sheet.max_row)
        )
        assert sheet.page_setup.orientation == "landscape"
        assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.print_title_rows == "$1:$1"
        assert all(c.alignment.wrap_text for row in sheet.iter_rows() for c in row)
        if sheet.title != "Organisme":  # numbered rows: numbers Excel can sort and sum
            assert [c.value for c in sheet["A"][1:]] == list(range(1, sheet.max_row))
        assert all(8 <= sheet.column_dimensions[c.column_letter].width <= 60 for c in sheet[1])
    stamp = dt.datetime(2026, 9, 1)
    assert workbook.properties.created == stamp
    assert workbook.properties.modified == stamp


def test_xlsx_bytes_depend_only_on_the_register() -> None:
    first = ropa_xlsx(load_register(DEVICE_MANAGEMENT), "en")
    second = ropa_xlsx(load_register(DEVICE_MANAGEMENT), "en")
    assert first == second


def test_csv_cannot_be_written_to_a_single_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="one file per table"):
        write_ropa(load_register(DEVICE_MANAGEMENT), tmp_path / "export.csv", "csv")


def test_ropa_command_writes_csv_and_xlsx(tmp_path: Path) -> None:
    import registre.cli.documents  # noqa: F401  (registers the commands)

    register = load_register(DEVICE_MANAGEMENT)
    result = CliRunner().invoke(
        app,
        [
            "ropa",
            str(DEVICE_MANAGEMENT),
            "--output",
            str(tmp_path),
            "--variant",
            "controller",
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "controller-activities.csv",
        "organization.csv",
    ]
    expected = ropa_csv(register, "en", "controller")
    assert all((tmp_path / name).read_bytes() == content for name, content in expected.items())

    result = CliRunner().invoke(
        app,
        [
            "ropa",
            str(DEVICE_MANAGEMENT),
            "--format",
            "xlsx",
            "--output",
            str(tmp_path / "registre.xlsx"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "registre.xlsx").read_bytes() == ropa_xlsx(register, "fr")


SECURITY_AND_SENSITIVE = """
registre: 1
organization:
  name: Clinique Exemple SAS
  address: {street: 1 rue de la Paix, postal_code: "75002", city: Paris}
  phone: "+33 1 23 45 67 89"
  representative: Jeanne Martin, présidente
  dpo: {name: Paul Durand, email: dpo@example.fr, phone: "+33 1 98 76 54 32"}
  contact: {email: dpo@example.fr}
policy: {version: "1", date: 2026-09-01, languages: [fr, en]}
subjects: {patient: {name: {fr: Patients, en: Patients}}}
data_categories:
  nir:
    name: {fr: Numéro de sécurité sociale, en: Social security number}
    cnil_category: civil_status
  notes: {name: {fr: Notes libres, en: Free notes}}
processors:
  host: {name: OVH SAS, service: {fr: Hébergement, en: Hosting}, country: FR, dpa: DPA-2026-04}
activities:
  care:
    name: {fr: Suivi des patients, en: Patient follow-up}
    purpose: {fr: Soigner les patients., en: Treating patients.}
    legal_basis: contract
    special_condition: health_care
    subjects: [patient]
    data: [identity, nir, health, location, notes]
    recipients: [host]
    created: 2024-03-01
    updated: 2026-06-15
  news:
    name: {fr: Lettre d'information, en: Newsletter}
    purpose: {fr: Informer., en: Informing.}
    legal_basis: consent
    subjects: [patient]
    data: [contact]
    created: 2025-01-10
security:
  - {fr: Accès nominatif par carte CPS., en: Named access with a CPS card., heading: access_control}
  - {fr: Sauvegarde chiffrée quotidienne., en: Encrypted daily backup., heading: backup}
  - {fr: Journalisation des accès., en: Access logging., heading: traceability}
  - {fr: Formation du personnel., en: Staff training.}
"""


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    path = tmp_path / "register.yaml"
    path.write_text(SECURITY_AND_SENSITIVE, encoding="utf-8")
    return path


def test_controller_rows_follow_the_cnil_model(clinic: Path) -> None:
    """CNIL categories, an explicit assessment of sensitive data, headings, dates, contracts."""
    tables = ropa_tables(load_register(clinic), "fr", "controller")
    header = tables[1].header
    care, news = (dict(zip(header, row, strict=True)) for row in tables[1].rows)
    assert care["N°"] == 1
    assert (care["Date de création"], care["Dernière mise à jour"]) == (
        dt.date(2024, 3, 1),
        dt.date(2026, 6, 15),
    )
    assert news["Dernière mise à jour"] == dt.date(2025, 1, 10)  # never updated since
    assert care["Catégories de données (modèle CNIL)"].splitlines() == [
        "État civil, identité\u202f: Identité (nom, prénom, civilité)\u202f; Numéro de sécurité "
        "sociale",
        "Données de localisation\u202f: Données de localisation",
        "Autres catégories\u202f: Notes libres",
    ]
    assert care["Données sensibles"].splitlines() == [
        "Oui\u202f: Données de santé",
        "Condition (article 9.2 du RGPD)\u202f: Médecine préventive, diagnostics médicaux et "
        "prise en charge sanitaire ou sociale (article 9.2.h du RGPD)",
    ]
    assert news["Données sensibles"].startswith("Non\u202f: aucune des catégories")
    assert care["Sous-traitants et contrats (article 28)"] == "OVH SAS (contrat\u202f: DPA-2026-04)"
    assert care["Mesures de sécurité"].splitlines() == [
        "Contrôle d’accès des utilisateurs\u202f: Accès nominatif par carte CPS.",
        "Mesures de traçabilité\u202f: Journalisation des accès.",
        "Sauvegarde des données\u202f: Sauvegarde chiffrée quotidienne.",
        "Autres mesures\u202f: Formation du personnel.",
    ]
    organization = dict(tables[0].rows)
    assert organization["Téléphone"] == "+33 1 23 45 67 89"
    assert organization["Représentant légal"] == "Jeanne Martin, présidente"
    assert organization["E-mail du délégué"] == "dpo@example.fr"


def test_csv_opens_in_french_excel_and_can_use_commas(clinic: Path) -> None:
    register = load_register(clinic)
    semicolons = ropa_csv(register, "fr", "controller")["traitements-responsable.csv"]
    rows = read_csv(semicolons)
    assert rows[1][0] == "1" and rows[1][2] == "01/03/2024"
    commas = ropa_csv(register, "en", "controller", separator=",")["controller-activities.csv"]
    english = list(csv.reader(io.StringIO(commas.decode("utf-8-sig"), newline="")))
    assert english[1][:4] == ["1", "Patient follow-up", "2024-03-01", "2026-06-15"]


def test_xlsx_dates_are_dates(clinic: Path) -> None:
    sheet = load_workbook(io.BytesIO(ropa_xlsx(load_register(clinic), "fr")))[
        "Traitements (responsable)"
    ]
    assert sheet["C2"].value == dt.datetime(2024, 3, 1)
    assert sheet["C2"].number_format == "DD/MM/YYYY"


def test_ropa_connect_names_each_client_from_the_tenants_table(tmp_path: Path) -> None:
    """Art. 30(2)(a): the controllers we act for, read from the live table of clients."""
    import sqlite3

    import registre.cli.documents  # noqa: F401  (registers the commands)

    database = tmp_path / "parc.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TABLE accounts (id INTEGER PRIMARY KEY, company_name TEXT, siren TEXT, "
            "accounting_email TEXT, dpo_email TEXT)"
        )
        connection.executemany(
            "INSERT INTO accounts VALUES (?, ?, ?, ?, ?)",
            [
                (2, "Transports Lebrun SARL", "732829320", "compta@lebrun.fr", "rgpd@lebrun.fr"),
                (1, "Atelier Moreau", None, None, "dpo@moreau.fr"),
            ],
        )
    result = CliRunner().invoke(
        app,
        ["ropa", str(DEVICE_MANAGEMENT), "--connect", "--output", str(tmp_path / "out")],
        env={"PARCMOBILE_DATABASE_URL": f"sqlite:///{database}"},
    )
    assert result.exit_code == 0, result.output
    clients = read_csv((tmp_path / "out" / "clients.csv").read_bytes())
    assert clients == [
        ["N°", "Responsable du traitement", "Immatriculation", "Coordonnées"],
        ["1", "Atelier Moreau", "", "dpo@moreau.fr"],
        ["2", "Transports Lebrun SARL", "SIREN 732829320", "compta@lebrun.fr\nrgpd@lebrun.fr"],
    ]
    processor = read_csv((tmp_path / "out" / "traitements-sous-traitant.csv").read_bytes())
    assert processor[1][1].endswith("2\u00a0clients, nommés dans la feuille «\u00a0Clients\u00a0»")

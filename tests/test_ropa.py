"""The Art. 30 record of processing activities: CSV files and an XLSX workbook, CNIL model.

Golden CSV files live in ``tests/golden/<example>/ropa/``; ``REGISTRE_UPDATE_GOLDEN=1`` rewrites
them after a deliberate change.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from registre.cli import app
from registre.documents import DocumentError, ropa_csv, ropa_tables, ropa_xlsx, typeset, write_ropa
from registre.register.loader import load_register
from registre.register.taxonomy import Role

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = sorted(ROOT.glob("examples/*/register.yaml"))
DEVICE_MANAGEMENT = ROOT / "examples/device-management/register.yaml"
UPDATE = os.environ.get("REGISTRE_UPDATE_GOLDEN") == "1"


def check_golden(path: Path, content: bytes) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    assert path.exists(), f"{path} is missing: run with REGISTRE_UPDATE_GOLDEN=1 and read it"
    assert content == path.read_bytes(), (
        f"{path.relative_to(ROOT)} differs: if the change is deliberate, run with "
        "REGISTRE_UPDATE_GOLDEN=1 and read the diff before committing"
    )


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
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


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
    assert [row[2] for row in processor[1:]] == [typeset(a.name.get(lang), lang) for a in processed]
    assert organization[1][1] == typeset(register.organization.name, lang)


def test_controller_columns_follow_article_30_1() -> None:
    tables = ropa_tables(load_register(DEVICE_MANAGEMENT), "en", "controller")
    assert tables[1].header == (
        "No.",
        "Processing activity",
        "Purpose",
        "Legal basis",
        "Joint controller",
        "Categories of data subjects",
        "Categories of personal data",
        "Special categories of data",
        "Source of the data",
        "Recipients",
        "Transfers outside the EEA and safeguards",
        "Retention periods",
        "Security measures",
    )
    invoicing = next(row for row in tables[1].rows if row[1] == "Invoicing")
    assert invoicing[11].splitlines() == [
        "Invoices and Stripe reference id: deleted 10 years after the deletion of the account. "
        "Reference: Article L. 123-22, paragraph 2, of the French Commercial Code.",
        "Billing name, email and address: anonymised 5 years after the deletion of the account.",
    ]


def test_processor_rows_name_the_controller_and_the_transfers() -> None:
    tables = ropa_tables(load_register(DEVICE_MANAGEMENT), "fr", "processor")
    fleet = tables[1].rows[0]
    assert fleet[1] == "L’entreprise cliente qui gère ses appareils"
    assert fleet[6].splitlines() == ["Google LLC", "OVH SAS"]
    assert fleet[7] == (
        "Google LLC (États-Unis)\u202f: Clauses contractuelles types de la "
        "Commission européenne (article 46 du RGPD) (Décision d’exécution (UE) "
        "2021/914)"
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
            tuple("" if v is None else v for v in row) for row in sheet.iter_rows(values_only=True)
        ]
        assert rows == [table.header, *table.rows]
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.freeze_panes == "A2"
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

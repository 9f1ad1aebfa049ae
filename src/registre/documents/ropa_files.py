"""The Art. 30 record written as files: CSV that French Excel opens, and an XLSX workbook.

CSV: one file per table, UTF-8 with a BOM (Excel reads accents only with it), separated by
semicolons (French Excel expects ``;``, the comma being its decimal mark; ``separator=","``
for other locales), dates as 01/09/2026 in French. XLSX: one sheet per table, numbers and
dates as numbers and dates, wrapped text, an autofilter on each table, and a print setup
(A4 landscape, fitted to the page width, the header row repeated on every page). The bytes
depend only on the register: the XLSX carries the policy date as its creation and
modification dates, and its zip entries carry that date too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from registre._exceptions import DocumentError
from registre.documents.ropa import Client, Variant, cell_text, ropa_tables
from registre.documents.wording import pick
from registre.register.model import Lang, Register

RopaFormat = Literal["csv", "xlsx"]


def ropa_csv(
    register: Register,
    lang: Lang = "fr",
    variant: Variant = "both",
    *,
    separator: str = ";",
    clients: Sequence[Client] | None = None,
) -> dict[str, bytes]:
    """One CSV file per table, by file name: UTF-8 with a BOM, ``;``-separated by default."""
    files = {}
    for table in ropa_tables(register, lang, variant, clients):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
        writer.writerow(table.header)
        writer.writerows([cell_text(c, lang) for c in row] for row in table.rows)
        files[table.filename] = buffer.getvalue().encode("utf-8-sig")
    return files


def ropa_xlsx(
    register: Register,
    lang: Lang = "fr",
    variant: Variant = "both",
    *,
    clients: Sequence[Client] | None = None,
) -> bytes:
    """One workbook, one sheet per table, ready to filter and to print."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties
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
    date_format = pick(lang, "DD/MM/YYYY", "YYYY-MM-DD")
    for table in ropa_tables(register, lang, variant, clients):
        sheet = workbook.create_sheet(table.title)
        sheet.append(list(table.header))
        for row in table.rows:
            sheet.append(list(row))
        for cell in sheet[1]:
            cell.font, cell.fill, cell.alignment = bold, fill, wrap
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                cell.alignment = wrap
                if isinstance(cell.value, dt.date):
                    cell.number_format = date_format
        for index, title in enumerate(table.header, start=1):
            longest = max(
                [len(title)]
                + [
                    max(len(line) for line in cell_text(row[index - 1], lang).split("\n"))
                    for row in table.rows
                    if row[index - 1] != ""
                ]
            )
            sheet.column_dimensions[get_column_letter(index)].width = min(max(longest + 2, 8), 60)
        sheet.freeze_panes = "A2"
        last = f"{get_column_letter(len(table.header))}{len(table.rows) + 1}"
        sheet.auto_filter.ref = f"A1:{last}"
        sheet.print_title_rows = "1:1"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
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
    *,
    separator: str = ";",
    clients: Sequence[Client] | None = None,
) -> list[Path]:
    """Write the export; ``output`` is a folder for CSV, a file or a folder for XLSX."""
    try:
        if fmt == "xlsx":
            target = output
            if output.is_dir() or not output.suffix:
                target = output / pick(lang, "registre-art30.xlsx", "art30-record.xlsx")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(ropa_xlsx(register, lang, variant, clients=clients))
            return [target]
        if output.suffix and not output.is_dir():
            raise DocumentError(
                f"{output} looks like a file, but the CSV export is one file per table",
                hint="give a folder with --output, or use --format xlsx",
            )
        output.mkdir(parents=True, exist_ok=True)
        written = []
        files = ropa_csv(register, lang, variant, separator=separator, clients=clients)
        for name, content in files.items():
            (output / name).write_bytes(content)
            written.append(output / name)
        return written
    except OSError as exc:
        raise DocumentError(
            f"cannot write the register export to {output}: {exc.strerror}",
            hint="check that the folder exists and is writable",
        ) from None

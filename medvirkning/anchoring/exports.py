"""The record and the learning chapter as files: Markdown and HTML from Jinja2 templates,
JSON through msgspec, DOCX through python-docx, PDF/A through WeasyPrint."""

from __future__ import annotations

import gc
import io
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2
import msgspec

from medvirkning.anchoring.views import RecordRead
from medvirkning.errors import AppError
from medvirkning.formats import date_no, datetime_no, number_no
from medvirkning.web import TEMPLATES

# Archives take PDF/A-2b: fonts embedded, colours defined, the XMP names the level.
PDF_VARIANT = "pdf/a-2b"
PRINT_CSS = Path(__file__).resolve().parent.parent / "static" / "print.css"


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(date_no=date_no, datetime_no=datetime_no, number_no=number_no)
    return env


_HTML = _environment(autoescape=True)
_TEXT = _environment(autoescape=False)


def markdown(template: str, **context: Any) -> str:
    return _TEXT.get_template(template).render(**context)


def html(template: str, **context: Any) -> str:
    return _HTML.get_template(template).render(**context)


def record_json(record: RecordRead) -> bytes:
    return msgspec.json.encode(record)


class PdfUnavailable(AppError):
    code = "pdf_unavailable"
    status_code = 503
    message = (
        "PDF/A kan ikke lages på denne serveren: WeasyPrint eller bibliotekene den trenger "
        "(Pango) mangler. Installer dem slik README beskriver, eller last ned DOCX i stedet."
    )


def pdf(document: str) -> bytes:
    """The printable page as PDF/A for the municipal archives."""
    try:
        from weasyprint import CSS, HTML  # Pango is loaded here; a server without it says so
    except (ImportError, OSError) as missing:
        raise PdfUnavailable() from missing
    style = CSS(filename=str(PRINT_CSS))
    with warnings.catch_warnings():
        # WeasyPrint leaves its sRGB profile's file to the collector; nothing of ours leaks.
        warnings.simplefilter("ignore", ResourceWarning)
        written: bytes = HTML(string=document).write_pdf(
            stylesheets=[style], pdf_variant=PDF_VARIANT
        )
        gc.collect()
    return written


def _table(doc: Any, header: list[str], rows: Iterable[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text


def _bytes(doc: Any) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def record_docx(record: RecordRead) -> bytes:
    from docx import Document  # lxml and python-docx: loaded by the first DOCX export

    doc = Document()
    doc.core_properties.title = record.title
    doc.core_properties.language = "nb-NO"
    doc.add_heading(record.title, 0)
    doc.add_paragraph(f"Sammenstilt {datetime_no(record.compiled_at)}.")
    doc.add_heading("Mangler per kommune og fase", 1)
    phases = [f"Fase {p.number}" for p in record.phases]
    rows: dict[str, list[str]] = {}
    for cell in record.cells:
        shown = number_no(cell.gaps) if cell.started else "ikke startet"
        rows.setdefault(cell.municipality, []).append(shown)
    _table(doc, ["Kommune", *phases], ([name, *values] for name, values in rows.items()))
    doc.add_heading("Risikofaktorer", 1)
    for factor in record.risk_factors:
        doc.add_heading(f"{factor.number}. {factor.risk}", 2)
        doc.add_paragraph(f"Oppfølging: {factor.follow_up}")
        for figure in factor.evidence:
            doc.add_paragraph(f"{figure.label}: {number_no(figure.value)}", style="List Bullet")
        if factor.gaps:
            doc.add_paragraph("Mangler:")
            for gap in factor.gaps:
                doc.add_paragraph(
                    f"{gap.municipality}, fase {gap.phase}: {gap.text}", style="List Bullet"
                )
        else:
            doc.add_paragraph("Ingen mangler.")
    doc.add_heading("Bevis per kommune og fase", 1)
    for cell in record.cells:
        if cell.figures:
            doc.add_heading(f"{cell.municipality}, fase {cell.phase}", 2)
            _table(
                doc,
                ["Kilde", "Hva", "Antall"],
                ([f.source, f.label, number_no(f.value)] for f in cell.figures),
            )
    return _bytes(doc)

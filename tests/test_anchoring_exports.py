"""Each export of the anchoring record and the learning chapter, opened again by an
independent reader: python-docx, pypdf, csv, plain text."""

from __future__ import annotations

import csv
import io
import re
import sys

import docx
import pypdf
import pytest

from tests import anchoring_scenario
from tests.support import database, find_id

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

TITLE = "Forankringsdokumentasjon: felles ERP i Kongsbergregionen"


@pytest.fixture
async def built(client):
    async with database(client) as db, db.begin():
        await anchoring_scenario.build(db)
    return client


def attachment(response, name: str) -> bytes:
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    return response.content


async def test_the_docx_record_reads_back_with_its_headings_and_gap_table(built):
    data = attachment(await built.get("/forankring/forankring.docx"), "forankring.docx")
    document = docx.Document(io.BytesIO(data))
    headings = [
        p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))
    ]
    assert headings[:3] == [TITLE, "Mangler per kommune og fase", "Risikofaktorer"]
    assert "Bevis per kommune og fase" in headings
    table = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert table[0] == ["Kommune", "Fase 1", "Fase 2", "Fase 3"]
    rows = {row[0]: row[1:] for row in table[1:]}
    assert rows["Rollag"] == ["0", "1", "0"]
    assert rows["Hjartdal"] == ["0", "0", "1"]
    assert rows["Notodden"] == ["0", "1", "0"]
    assert rows["Hele regionen"] == ["0", "1", "1"]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Rollag, fase 2: Ingen fra kommunen er med i en arbeids- eller referansegruppe." in text
    assert re.search(r"Sammenstilt \d\d\.\d\d\.\d{4} kl\. \d\d:\d\d\.", text)


async def test_the_pdf_is_pdf_a_and_carries_the_record(built):
    data = attachment(await built.get("/forankring/forankring.pdf"), "forankring.pdf")
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert TITLE in text
    assert "Mangler per kommune og fase" in text
    assert "Hjartdal, fase 3: Ingen fra kommunen har vært på et møte i fasen." in text
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")2", xmp), xmp
    assert re.search(r"pdfaid:conformance(>|=\")B", xmp), xmp


async def test_the_markdown_and_printable_page_show_the_same_figures(built):
    text = attachment(await built.get("/forankring/forankring.md"), "forankring.md").decode()
    assert text.startswith(f"# {TITLE}\n")
    assert "| Kommune | Fase 1 | Fase 2 | Fase 3 |" in text
    assert "| Rollag | 0 | 1 | 0 |" in text
    assert "- Kongsberg, fase 3: 1 innspill er ikke fulgt opp etter 30 dager." in text
    page = await built.get("/forankring/utskrift")
    assert page.status_code == 200
    assert '<html lang="nb">' in page.text
    assert "<td>1</td>" in page.text


async def test_the_learning_chapter_is_grouped_by_phase_and_risk_factor(client):
    phases = {
        n: await find_id(client, "phases", q=name)
        for n, name in [(1, "Utrede"), (2, "Anskaffe"), (3, "Implementere")]
    }
    factors = {
        r["number"]: r["id"] for r in (await client.get("/api/risk-factors")).json()["items"]
    }
    for what, phase, factor in [
        ('=HYPERLINK("https://angriper.example")', 3, None),
        ("Tillitsvalgte kom sent inn", 1, 5),
        ("Gode lokale møter", 1, 1),
        ("Anbudet ble forsinket", 2, 1),
    ]:
        response = await client.post(
            "/api/learning-points",
            json={
                "kind": "negative",
                "what_happened": what,
                "phase_id": phases[phase],
                "risk_factor_id": factors[factor] if factor else None,
                "recommendation": "Start tidlig",
                "recorded_on": "2025-06-01",
            },
        )
        assert response.status_code == 201, response.text
        assert response.json()["recorded_by"]["name"].startswith("Test prosjektleder")

    data = attachment(
        await client.get("/laeringspunkter/laeringspunkter.csv"), "laeringspunkter.csv"
    )
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Fase", "Risikofaktor", "Type erfaring", "Hva skjedde"]
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [
        ("Fase 1", "1", "Gode lokale møter"),
        ("Fase 1", "5", "Tillitsvalgte kom sent inn"),
        ("Fase 2", "1", "Anbudet ble forsinket"),
        ("Fase 3", "Uten risikofaktor", '\'=HYPERLINK("https://angriper.example")'),
    ]
    assert rows[1][10] == "01.06.2025"

    chapter = docx.Document(
        io.BytesIO(
            attachment(
                await client.get("/laeringspunkter/laeringspunkter.docx"), "laeringspunkter.docx"
            )
        )
    )
    headings = [
        (p.style.name, p.text)
        for p in chapter.paragraphs
        if p.style.name.startswith(("Heading", "Title"))
    ]
    assert headings[0] == ("Title", "Læringspunkter")
    assert [t for s, t in headings if s == "Heading 1"] == [
        "Fase 1: Utrede og foreslå en fremtidig modell for samarbeid om økonomifunksjonene",
        "Fase 2: Anskaffe felles ERP-løsning",
        "Fase 3: Implementere felles ERP-løsning",
    ]
    assert [t for s, t in headings if s == "Heading 2"][:2] == [
        "Risikofaktor 1: Manglende forankring av og kunnskap om prosjektet i kommunene",
        "Risikofaktor 5: Manglende dokumentasjon av viktige læringspunkter i prosjektet",
    ]

    markdown = attachment(
        await client.get("/laeringspunkter/laeringspunkter.md"), "laeringspunkter.md"
    ).decode()
    assert markdown.startswith("# Læringspunkter\n")
    assert "\n## Fase 2: Anskaffe felles ERP-løsning\n" in markdown
    assert "\n#### Anbudet ble forsinket\n" in markdown
    assert "- Registrert: 01.06.2025 av Test prosjektleder" in markdown


async def test_without_weasyprint_the_pdf_download_says_what_is_missing(client, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as on a server without it
    response = await client.get("/forankring/forankring.pdf")
    assert response.status_code == 503
    assert "WeasyPrint eller bibliotekene den trenger (Pango) mangler" in response.text
    assert (await client.get("/forankring/forankring.docx")).status_code == 200

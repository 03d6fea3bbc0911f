"""`medvirkning import-people`: HR's CSV files, all or nothing unless told to skip bad lines."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner

from medvirkning.cli import main
from tests.support import total

MUNICIPALITIES = [
    "Kongsberg",
    "Notodden",
    "Tinn",
    "Sigdal",
    "Nore og Uvdal",
    "Flesberg",
    "Hjartdal",
    "Rollag",
]


def hr_file(count: int, bad_line: int | None = None, delimiter: str = ";") -> str:
    lines = [delimiter.join(["Navn", "E-post", "Kommune", "Stilling", "Fagforening"])]
    for n in range(1, count + 1):
        email = f"ansatt{n}@kommune.no"
        if n + 1 == bad_line:  # line numbers count the header as line 1
            email = "ikke-en-adresse"
        municipality = MUNICIPALITIES[n % 8]
        union = "Fagforbundet" if n % 10 == 0 else ""
        lines.append(delimiter.join([f"Ansatt {n}", email, municipality, "Konsulent", union]))
    return "\r\n".join(lines) + "\r\n"


async def run_import(settings, path, *options: str) -> tuple[int, str, str]:
    """The real command, in a thread of its own since it runs its own event loop."""
    env = {
        "MEDVIRKNING_DATABASE_URL": settings.database_url,
        "MEDVIRKNING_DATA_DIR": str(settings.data_dir),
    }
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["import-people", str(path), *options], env=env
    )
    return result.exit_code, result.stdout, result.stderr


async def test_500_people_with_one_bad_line_imports_nothing_and_names_the_line(
    client, settings, tmp_path
):
    path = tmp_path / "ansatte.csv"
    path.write_text(hr_file(500, bad_line=252), encoding="utf-8")
    code, _, err = await run_import(settings, path)
    assert code == 1
    assert "linje 252" in err
    assert "e-post" in err
    assert "Nothing imported" in err or "Ingenting" in err
    assert await total(client, "people") == 1  # the signed-in project leader


async def test_skipping_bad_lines_imports_the_other_499(client, settings, tmp_path):
    path = tmp_path / "ansatte.csv"
    path.write_text(hr_file(500, bad_line=252), encoding="utf-8")
    code, out, err = await run_import(settings, path, "--skip-bad-lines")
    assert code == 0, err
    assert "linje 252" in err
    assert "499" in out
    assert await total(client, "people") == 1 + 499
    union_members = await client.get("/api/people", params={"q": "Ansatt 10", "limit": 1})
    assert union_members.json()["items"][0]["union"]["name"] == "Fagforbundet"


async def test_windows_1252_with_semicolons_keeps_norwegian_letters(client, settings, tmp_path):
    path = tmp_path / "fra-hr.csv"
    text = (
        "Navn;E-post;Kommune;Stilling\r\n"
        "Bjørn Ødegård;bjorn@hjartdal.kommune.no;Hjartdal;Økonomisjef\r\n"
    )
    path.write_bytes(text.encode("cp1252"))
    code, _, err = await run_import(settings, path)
    assert code == 0, err
    person = (await client.get("/api/people", params={"q": "bjorn@"})).json()["items"][0]
    assert person["name"] == "Bjørn Ødegård"
    assert person["title"] == "Økonomisjef"
    assert person["municipality"]["name"] == "Hjartdal"


async def test_utf8_with_bom_and_commas_and_municipality_numbers(client, settings, tmp_path):
    path = tmp_path / "fra-hr.csv"
    text = 'Navn,E-post,Kommune,Målform\r\n"Åse Li, jr.",ase@tinn.kommune.no,4026,nynorsk\r\n'
    path.write_bytes(text.encode("utf-8-sig"))
    code, _, err = await run_import(settings, path)
    assert code == 0, err
    person = (await client.get("/api/people", params={"q": "ase@"})).json()["items"][0]
    assert person["name"] == "Åse Li, jr."
    assert person["municipality"]["name"] == "Tinn"
    assert person["language_form"] == "nynorsk"


async def test_every_bad_line_is_reported(client, settings, tmp_path):
    path = tmp_path / "fra-hr.csv"
    path.write_text(
        "Navn;E-post;Kommune\n"
        "Ok Person;ok@kommune.no;Rollag\n"
        "Ukjent Kommune;uk@kommune.no;Drammen\n"
        "Dobbel;OK@kommune.no;Rollag\n"
        ";tom@kommune.no;Rollag\n",
        encoding="utf-8",
    )
    code, _, err = await run_import(settings, path)
    assert code == 1
    assert "linje 3: kommune: «Drammen» finnes ikke" in err
    assert "linje 4: e-post: OK@kommune.no finnes allerede" in err
    assert "linje 5: navn: Feltet må fylles ut." in err
    assert "linje 2" not in err
    assert await total(client, "people") == 1  # the signed-in project leader


async def test_someone_already_registered_is_a_bad_line(client, settings, tmp_path):
    rollag = (await client.get("/api/municipalities", params={"q": "Rollag"})).json()["items"][0][
        "id"
    ]
    await client.post(
        "/api/people",
        json={"name": "Finnes", "email": "finnes@kommune.no", "municipality_id": rollag},
    )
    path = tmp_path / "fra-hr.csv"
    path.write_text(
        "Navn;E-post;Kommune\nFinnes Igjen;FINNES@kommune.no;Rollag\n", encoding="utf-8"
    )
    code, _, err = await run_import(settings, path)
    assert code == 1
    assert "linje 2" in err
    assert "finnes allerede" in err


async def test_a_file_without_the_needed_columns_is_refused(client, settings, tmp_path):
    path = tmp_path / "feil.csv"
    path.write_text("Fornavn;Etternavn\nKari;Nordmann\n", encoding="utf-8")
    code, _, err = await run_import(settings, path)
    assert code == 1
    assert "linje 1" in err
    assert "E-post" in err

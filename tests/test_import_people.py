"""`medvirkning import-people`: HR's CSV files, all or nothing unless told to skip bad lines."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from medvirkning.audit import AuditEvent
from medvirkning.cli import main
from medvirkning.people import importer
from medvirkning.people.models import Person
from tests.support import database, find_id, total

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


# --- the file's encoding and odd bytes: refused with the line named, nothing stored -------


async def names_stored(client) -> list[str]:
    response = await client.get("/api/people", params={"limit": 100, "include_inactive": True})
    return sorted(p["name"] for p in response.json()["items"])


async def test_utf8_file_with_one_stray_windows_1252_byte_is_refused_naming_line_and_column(
    client, settings, tmp_path
):
    path = tmp_path / "blandet.csv"
    good = "Navn;E-post;Kommune\r\nKjærsti Ødegård;kjaersti@tinn.kommune.no;Tinn\r\n"
    stray = "Bjørn Berg;bjorn@tinn.kommune.no;Tinn\r\n".encode("cp1252")  # ø as 0xF8
    path.write_bytes(good.encode("utf-8") + stray)
    before = await names_stored(client)
    code, _, err = await run_import(settings, path)
    assert code == 1
    assert "linje 3, kolonne Navn: byten 0xF8 er ikke gyldig UTF-8" in err
    assert "blander to tegnkodinger" in err
    assert "Traceback" not in err
    assert await names_stored(client) == before  # no "KjÃ¦rsti Ã˜degÃ¥rd"

    path.write_bytes(good.encode("utf-8") + stray.decode("cp1252").encode("utf-8"))
    code, _, err = await run_import(settings, path)
    assert code == 0, err
    assert await names_stored(client) == sorted([*before, "Bjørn Berg", "Kjærsti Ødegård"])


async def test_a_byte_windows_1252_does_not_define_is_refused_naming_the_line(
    client, settings, tmp_path
):
    path = tmp_path / "rar.csv"
    text = "Navn;E-post;Kommune\r\nÅse Ås;ase@tinn.kommune.no;Tinn\r\nOla;ola@tinn.kommune.no;"
    path.write_bytes(text.encode("cp1252") + b"Ti\x81nn\r\n")
    before = await names_stored(client)
    code, _, err = await run_import(settings, path)
    assert code == 1
    assert "linje 3, kolonne Kommune: byten 0x81 er verken gyldig UTF-8 eller" in err
    assert "Traceback" not in err
    assert await names_stored(client) == before


async def test_a_field_over_128_kb_is_refused_naming_the_line(client, settings, tmp_path):
    path = tmp_path / "stor.csv"
    path.write_text(
        "Navn;E-post;Kommune\n"
        "Ola;ola@tinn.kommune.no;Tinn\n"
        f'"Kari {"x" * 140_000};kari@tinn.kommune.no;Tinn\n',
        encoding="utf-8",
    )
    before = await names_stored(client)
    code, _, err = await run_import(settings, path, "--skip-bad-lines")
    assert code == 1
    assert "linje 3: et felt er lengre enn 128 kB" in err
    assert await names_stored(client) == before


async def test_a_nul_byte_is_a_bad_line_and_no_sql_is_printed(client, settings, tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(
        b"Navn;E-post;Kommune\r\n"
        b"Ola Nordmann;ola@tinn.kommune.no;Tinn\r\n"
        b"Kari\x00 Nordmann;kari@tinn.kommune.no;Tinn\r\n"
    )
    before = await names_stored(client)
    code, out, err = await run_import(settings, path)
    assert code == 1
    assert "linje 3: navn: inneholder kontrolltegnet U+0000" in err
    assert "INSERT" not in out + err
    assert "ola@tinn" not in out + err
    assert await names_stored(client) == before

    code, out, err = await run_import(settings, path, "--skip-bad-lines")
    assert code == 0, err
    assert "skipped linje 3" in err
    assert await names_stored(client) == sorted([*before, "Ola Nordmann"])


async def test_control_characters_other_than_tab_are_refused_in_any_column(
    client, settings, tmp_path
):
    path = tmp_path / "kontroll.csv"
    path.write_text(
        "Navn;E-post;Kommune;Merknad\n"
        "Ola;ola@tinn.kommune.no;Tinn;ok\tmed tabulator\n"
        "Kari;kari@tinn.kommune.no;Tinn;\x1b[31m\n"
        'Per;per@tinn.kommune.no;Tinn;"to\nlinjer"\n',
        encoding="utf-8",
    )
    code, _, err = await run_import(settings, path)
    assert code == 1
    assert "linje 3: Merknad: inneholder kontrolltegnet U+001B" in err
    assert "linje 5: Merknad: inneholder kontrolltegnet U+000A" in err
    assert "linje 2" not in err
    assert "Ola" not in await names_stored(client)


async def test_each_imported_person_has_the_audit_entry_the_hook_writes(client, settings, tmp_path):
    """The bulk path writes what the flush hook writes for a person added through the API."""
    rollag = await find_id(client, "municipalities", q="Rollag")
    fagforbundet = await find_id(client, "organisations", q="Fagforbundet")
    await client.post(
        "/api/people",
        json={
            "name": "Via API",
            "email": "api@rollag.kommune.no",
            "municipality_id": rollag,
            "title": "Konsulent",
            "union_id": fagforbundet,
            "language_form": "nynorsk",
        },
    )
    path = tmp_path / "hr.csv"
    path.write_text(
        "Navn;E-post;Kommune;Stilling;Fagforening;Målform\n"
        "Via Fil;fil@rollag.kommune.no;Rollag;Konsulent;Fagforbundet;nynorsk\n"
        "Andre;andre@rollag.kommune.no;Rollag;;;\n",
        encoding="utf-8",
    )
    code, _, err = await run_import(settings, path)
    assert code == 0, err
    async with database(client) as db:
        people = {p.email: p.id for p in await db.scalars(select(Person))}
        logged = {
            e.entity_id: e
            for e in await db.scalars(
                select(AuditEvent).where(
                    AuditEvent.entity == "person", AuditEvent.action == "create"
                )
            )
        }
    by_api, by_file = (
        logged[people["api@rollag.kommune.no"]],
        logged[people["fil@rollag.kommune.no"]],
    )
    assert by_file.actor_label == "kommandolinjen (import-people hr.csv)"
    assert by_file.actor_person_id is None
    assert by_file.before is None
    assert abs(by_file.at - by_api.at) < timedelta(minutes=5)
    assert by_file.after == {
        **by_api.after,
        "id": people["fil@rollag.kommune.no"],
        "name": "Via Fil",
        "email": "fil@rollag.kommune.no",
    }
    assert logged[people["andre@rollag.kommune.no"]].after == {
        "id": people["andre@rollag.kommune.no"],
        "name": "Andre",
        "email": "andre@rollag.kommune.no",
        "municipality_id": rollag,
        "organisation_id": None,
        "title": "",
        "union_id": None,
        "language_form": "bokmal",
        "active": True,
    }


async def test_ids_read_back_in_slices_match_each_person_to_their_audit_row(
    client, settings, tmp_path, monkeypatch
):
    """The new people's ids are read back by address, a slice at a time: each audit row
    names its own person, whatever the case the file wrote the address in."""
    monkeypatch.setattr(importer, "IDS_AT_A_TIME", 3)
    path = tmp_path / "hr.csv"
    rows = [f"Ansatt {n};Ansatt{n}.Etternavn@Kommune.NO;Tinn" for n in range(8)]
    path.write_text("Navn;E-post;Kommune\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = await run_import(settings, path)
    assert code == 0, err
    async with database(client) as db:
        people = {
            p.id: p for p in await db.scalars(select(Person).where(Person.name.like("Ansatt %")))
        }
        logged = list(
            await db.scalars(
                select(AuditEvent).where(
                    AuditEvent.entity == "person", AuditEvent.action == "create"
                )
            )
        )
    assert len(people) == 8
    mine = [e for e in logged if e.entity_id in people]
    assert len(mine) == 8
    for event in mine:
        person = people[event.entity_id]
        assert event.after["email"] == person.email
        assert event.after["name"] == person.name

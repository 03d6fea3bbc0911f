"""Odd input from a hostile or clumsy caller: a precise 4xx, never a 500, and nothing stored."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest
from sqlalchemy import func, select

from medvirkning.db import Base, create_engine, create_sessionmaker
from medvirkning.errors import is_value_the_database_refused
from medvirkning.mail.outbox import Letter, UnsafeHeader, letter_bytes
from medvirkning.people.models import Person
from medvirkning.schema import HIDDEN
from tests.support import assert_refused, database, find_id, post_form

BIG_POSTGRES = 2**31
BIG_SQLITE = 2**63
JSON = {"content-type": "application/json"}
AS_JSON = {"accept": "application/json"}


async def row_counts(client: Any) -> dict[str, int]:
    """How many rows every table holds (sessions aside: signing in writes one)."""
    async with database(client) as db:
        return {
            table.name: await db.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def person(**fields: Any) -> dict[str, Any]:
    return {"name": "Kari Nordmann", "email": "kari.odd@kommune.no", **fields}


# (method, address, what to send, the status, the field named or None for a page)
ODD_REQUESTS: list[tuple[str, str, dict[str, Any], int, str | None]] = [
    ("POST", "/api/people", {"json": person(name="Kari\x00Nordmann")}, 400, "name"),
    ("POST", "/api/people", {"json": person(title="Rådgiver\x00")}, 400, "title"),
    ("GET", "/api/people", {"params": {"q": "a\x00b"}}, 400, "q"),
    ("GET", f"/api/people/{BIG_SQLITE}", {}, 404, None),
    ("GET", f"/api/people/{BIG_POSTGRES}", {}, 404, None),
    ("PATCH", f"/api/people/{BIG_POSTGRES}", {"json": {"title": "x"}}, 404, None),
    ("GET", "/api/people", {"params": {"offset": BIG_SQLITE}}, 400, "offset"),
    ("GET", "/api/people", {"params": {"offset": BIG_POSTGRES}}, 400, "offset"),
    ("GET", "/api/memberships", {"params": {"group_id": BIG_SQLITE}}, 400, "group_id"),
    ("GET", "/api/memberships", {"params": {"group_id": BIG_POSTGRES}}, 400, "group_id"),
    ("GET", "/admin/people", {"params": {"page": BIG_SQLITE}, "headers": AS_JSON}, 400, "page"),
    ("POST", "/api/people", {"json": person(municipality_id=BIG_POSTGRES)}, 400, "municipality_id"),
    ("POST", "/api/people", {"content": b'{"name": "K\xe5ri"}', "headers": JSON}, 400, "body"),
    ("POST", "/api/people", {"content": b"[" * 1000 + b"]" * 1000, "headers": JSON}, 400, "body"),
    ("GET", "/api/people", {"params": {"q": "x" * 50_000}}, 400, "q"),
    ("GET", "/api/people", {"params": {"q": "æ" * 201}}, 400, "q"),
    ("GET", "/static/site.css%00.png", {}, 404, None),
]


@pytest.mark.parametrize(("method", "url", "send", "status", "field"), ODD_REQUESTS)
async def test_odd_input_is_refused_precisely_and_nothing_is_stored(
    client, method, url, send, status, field
):
    before = await row_counts(client)
    response = await client.request(method, url, **send)
    if field:
        body = assert_refused(response, status, field)
        assert body["code"] in ("bad_request", "invalid_input"), body
    else:
        assert response.status_code == status, response.text
    assert await row_counts(client) == before


@pytest.mark.parametrize(
    ("url", "send"),
    [
        ("/svar/2147483648/x", {}),
        ("/kalender/person/2147483648/x.ics", {}),
        ("/svar/1/a%00b", {}),
    ],
)
async def test_anonymous_links_with_impossible_ids_are_not_found(anonymous, url, send):
    response = await anonymous.get(url, headers=AS_JSON, **send)
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "not_found"


async def test_a_nul_in_the_sign_in_address_is_refused_naming_the_field(anonymous):
    before = await row_counts(anonymous)
    response = await post_form(
        anonymous, "/logg-inn", {"email": "a\x00b@example.no"}, headers=AS_JSON
    )
    assert_refused(response, 400, "email")
    assert await row_counts(anonymous) == before


# --- item 8: accepted today, and should not be -----------------------------------------------

BAD_ADDRESSES = [
    "x<attacker@evil.example>",
    "a@b.no,c",
    '"q"@example.no',
    "kåre@kommune.no",
    "a\x00b@kommune.no",
    "a@kommune.no\nBcc: x@evil.example",
    "a b@kommune.no",
]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
async def test_an_address_a_mail_header_could_misread_is_refused(client, address):
    before = await row_counts(client)
    response = await client.post("/api/people", json=person(email=address))
    body = assert_refused(response, 400, "email")
    assert "e-postadresse" in body["errors"][0]["message"]
    invite = await client.post(
        "/api/meetings",
        json={
            "title": "Styringsgruppemøte",
            "starts_at": "2027-03-01T10:00:00+01:00",
            "ends_at": "2027-03-01T11:00:00+01:00",
            "invitee_emails": [address],
        },
    )
    assert_refused(invite, 400, "invitee_emails[0]")
    assert await row_counts(client) == before


@pytest.mark.parametrize(
    "recipient",
    ["a@kommune.no\r\nBcc: x@evil.example", "kåre@kommune.no", "x<a@b.no>", "a\x00@b.no"],
)
def test_the_outbox_refuses_to_write_an_unsafe_address_into_a_header(settings, recipient):
    with pytest.raises(UnsafeHeader):
        letter_bytes(settings, Letter(recipient, "Emne", "tekst", "<p>tekst</p>"))


def test_the_outbox_refuses_a_subject_with_a_line_break(settings):
    with pytest.raises(UnsafeHeader):
        letter_bytes(settings, Letter("a@kommune.no", "Emne\r\nBcc: x@evil.example", "t", "t"))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "\u200b"}, "name"),
        ({"name": "\u200b\u200b\ufeff"}, "name"),
        ({"name": "\u3164"}, "name"),
        ({"name": "Kari\u200bNordmann"}, "name"),
        ({"name": "\u202eKari Nordmann"}, "name"),
        ({"name": "Kari\u200eNordmann"}, "name"),
        ({"name": "Kari\nNordmann"}, "name"),
        ({"name": "Kari Nordmann\r"}, "name"),
        ({"name": "Kari\u2028Nordmann"}, "name"),
        ({"title": "Rådgiver\nHR"}, "title"),
        ({"title": "Rådgiver\u00ad"}, "title"),
    ],
)
async def test_names_with_invisible_characters_or_line_breaks_are_refused(client, fields, field):
    before = await row_counts(client)
    body = assert_refused(await client.post("/api/people", json=person(**fields)), 400, field)
    assert "usynlige tegn" in body["errors"][0]["message"]
    assert await row_counts(client) == before


async def test_names_are_stored_in_one_spelling_so_look_alikes_cannot_hide(client):
    decomposed = unicodedata.normalize("NFD", "Kåre Ødegård")
    assert decomposed != "Kåre Ødegård"
    organisation = await find_id(client, "organisations", q="Sekretariatet")
    response = await client.post(
        "/api/people", json=person(name=decomposed, organisation_id=organisation)
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Kåre Ødegård"
    assert await find_id(client, "people", q="Kåre Ødegård") == response.json()["id"]


@pytest.mark.parametrize(
    ("url", "fields", "field"),
    [
        ("/api/meetings", {"title": "Møte\nBcc: x"}, "title"),
        ("/api/meetings", {"place": "Rådhuset\r\nrom 2"}, "place"),
        ("/api/meetings", {"agenda": "Sak 1\x00"}, "agenda"),
        ("/api/organisations", {"short_name": "KS\n"}, "short_name"),
        ("/api/municipalities", {"number": "٣٣٠٣"}, "number"),
    ],
)
async def test_line_breaks_in_titles_and_places_are_refused(client, url, fields, field):
    base: dict[str, Any] = {
        "/api/meetings": {
            "title": "Møte",
            "starts_at": "2027-03-01T10:00:00+01:00",
            "ends_at": "2027-03-01T11:00:00+01:00",
        },
        "/api/organisations": {"name": "Ny forening", "kind": "union"},
        "/api/municipalities": {"name": "Nykommune", "number": "3399", "language_form": "bokmal"},
    }[url]
    before = await row_counts(client)
    assert_refused(await client.post(url, json={**base, **fields}), 400, field)
    assert await row_counts(client) == before


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded"])
async def test_the_api_takes_only_json(client, content_type):
    before = await row_counts(client)
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post(
        "/api/people", content=b'{"name": "Kari", "email": "kari@kommune.no"}', headers=headers
    )
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "unsupported_media_type"
    assert "application/json" in response.json()["message"]
    assert await row_counts(client) == before


async def test_a_json_type_with_a_suffix_is_json(client):
    organisation = await find_id(client, "organisations", q="Sekretariatet")
    response = await client.post(
        "/api/people",
        content=b'{"name": "Kari", "email": "kari@kommune.no", "organisation_id": %d}'
        % organisation,
        headers={"content-type": "application/merge-patch+json; charset=utf-8"},
    )
    assert response.status_code == 201, response.text


async def test_malformed_json_is_refused_saying_where(client):
    response = await client.post(
        "/api/people", content=b'{"name": "Kari",, "email": "x"}', headers=JSON
    )
    body = assert_refused(response, 400, "body")
    assert re.search(r"byte 16\b", body["errors"][0]["message"]), body


@pytest.mark.parametrize("limit", ["-1", "0", "501", str(2**63)])
async def test_the_outbox_list_is_bounded(client, limit):
    body = assert_refused(await client.get("/api/outbox", params={"limit": limit}), 400, "limit")
    assert body["code"] == "bad_request"


def test_the_hidden_class_covers_every_control_and_format_character():
    hidden = re.compile(f"[{HIDDEN}]")
    missed = [
        hex(point)
        for point in range(0x110000)
        if unicodedata.category(chr(point)) in ("Cc", "Cf", "Zl", "Zp", "Cs")
        and not hidden.match(chr(point))
    ]
    assert missed == []


async def test_deep_json_is_refused_but_brackets_inside_strings_are_only_text(client):
    deep = b'{"name": ' + b"[" * 20 + b"]" * 20 + b"}"
    body = assert_refused(await client.post("/api/people", content=deep, headers=JSON), 400, "body")
    assert "16 nivåer" in body["errors"][0]["message"]
    organisation = await find_id(client, "organisations", q="Sekretariatet")
    title = '[{"' * 40 + "\\"
    response = await client.post(
        "/api/people", json=person(title=title, organisation_id=organisation)
    )
    assert response.status_code == 201, response.text
    assert response.json()["title"] == title


async def test_a_value_the_database_itself_refuses_is_a_400_not_a_500(settings):
    """The last net, for a value the checks above let through: the database's own refusal."""
    engine = create_engine(settings.database_url)
    big = BIG_SQLITE if settings.database_url.startswith("sqlite") else BIG_POSTGRES
    refused: list[BaseException] = []
    try:
        for where in (Person.id == big, Person.name == "a\x00b"):
            async with create_sessionmaker(engine)() as db:
                try:
                    await db.scalar(select(Person.id).where(where))
                except Exception as exc:  # the database's own error, whatever its class
                    refused.append(exc)
    finally:
        await engine.dispose()
    assert refused, "the database took every value"
    assert all(is_value_the_database_refused(exc) for exc in refused), refused

"""The page that adds many people to a group at once: search and tick, or paste addresses.

Without JavaScript: "Søk" posts the form back with every typed value and ticked person kept
(a search in the address would put the CSRF token and pasted addresses in the URL);
"Legg til" saves through the same service as `POST /api/groups/{id}/members` and
redirects to a page that says what happened."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import msgspec
from litestar import Request, Router, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from medvirkning.db import Db
from medvirkning.errors import (
    AppError,
    FieldError,
    InvalidInput,
    NotFound,
    translate_validation_message,
)
from medvirkning.formats import OSLO, date_no
from medvirkning.people.models import Group, MembershipRole
from medvirkning.people.queries import person_labels, search_people
from medvirkning.people.registers import MEMBERSHIPS, PERSON_PICKER
from medvirkning.people.schemas import MembersCreate
from medvirkning.people.services import MembersResult, add_members
from medvirkning.schema import EMAIL
from medvirkning.web import attempt

_EMAIL = re.compile(EMAIL)
_ROLES = {role.value for role in MembershipRole}
SHOWN = 50


def _all(value: Any) -> list[str]:
    """Every value a form sent under one name (one ticked box comes as a plain string)."""
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value]) if str(v).strip()]


def _one(value: Any) -> str:
    values = _all(value)
    return values[-1].strip() if values else ""


def _state(form: Any) -> dict[str, Any]:
    """What the user typed and ticked, to show again."""
    ticked = form.getall("person_ids", []) if hasattr(form, "getall") else form.get("person_ids")
    return {
        "q": _one(form.get("q")),
        "person_ids": list(dict.fromkeys(i for i in _all(ticked) if i.isdigit())),
        "emails": (_all(form.get("emails")) or [""])[-1],
        "role": _one(form.get("role")) or MembershipRole.MEMBER.value,
        "starts_on": _one(form.get("starts_on")) or datetime.now(OSLO).date().isoformat(),
    }


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _parse_date(text: str) -> date | None:
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d.%m.%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _members_create(state: dict[str, Any]) -> tuple[MembersCreate, list[int], list[FieldError]]:
    """The Struct the service takes, the line of each pasted address, and every error of form."""
    errors: list[FieldError] = []
    emails, lines = [], []
    for number, line in enumerate(state["emails"].splitlines(), start=1):
        address = line.strip().strip(",;")
        if not address:
            continue
        if _EMAIL.match(address):
            emails.append(address)
            lines.append(number)
        else:
            message = f"Linje {number}: «{address}» er ikke en e-postadresse."
            errors.append(FieldError("emails", message))
    starts_on = _parse_date(state["starts_on"])
    if starts_on is None:
        errors.append(
            FieldError("starts_on", "Skriv datoen som dd.mm.åååå, for eksempel 01.03.2027.")
        )
    if state["role"] not in _ROLES:
        errors.append(FieldError("role", "Velg en rolle."))
    try:
        data = msgspec.convert(
            {
                "person_ids": [int(i) for i in state["person_ids"]],
                "emails": emails,
                "role": state["role"] if state["role"] in _ROLES else "member",
                "starts_on": starts_on,
            },
            MembersCreate,
        )
    except msgspec.ValidationError as exc:
        error = translate_validation_message(str(exc))
        errors.append(FieldError(error.field.split("[")[0], error.message))
        data = MembersCreate()
    return data, lines, errors


def _by_line(errors: list[FieldError], lines: list[int]) -> list[FieldError]:
    """The service names the nth address; the page names the line it was pasted on."""
    shown = []
    for error in errors:
        name, _, index = error.field.partition("[")
        if name == "emails" and index:
            shown.append(FieldError("emails", f"Linje {lines[int(index[:-1])]}: {error.message}"))
        else:
            shown.append(FieldError(name, error.message))
    return shown


async def _group(db: Db, group_id: int) -> Group:
    group = await db.get(Group, group_id)
    if group is None:
        raise NotFound(f"Fant ingen gruppe med id {group_id}.")
    return group


async def _page(
    db: Db,
    group_id: int,
    state: dict[str, Any],
    error: AppError | None = None,
    notice: dict[str, Any] | None = None,
) -> Template:
    group = await _group(db, group_id)  # loaded after any rollback, so it can be read
    picked_ids = [int(i) for i in state["person_ids"]]
    labels = await person_labels(db, picked_ids)
    picked = [(str(i), labels[i]) for i in picked_ids if i in labels]
    q = state["q"]
    results, matches = await search_people(db, q, PERSON_PICKER.limit) if q else ([], 0)
    messages: dict[str, list[str]] = {}
    for item in error.errors if error else []:
        messages.setdefault(item.field, []).append(item.message)
    return Template(
        "people/members.html",
        context={
            "group": group,
            "state": state,
            "picked": picked,
            "results": [(i, label) for i, label in results if i not in state["person_ids"]],
            "matches": matches,
            "limit": PERSON_PICKER.limit,
            "roles": MembershipRole.options(),
            "error": error,
            "messages": messages,
            "notice": notice,
        },
        status_code=error.status_code if error else 200,
    )


@get("/{group_id:int}/members", name="group_members_new", opt=MEMBERSHIPS.write_access)
async def members_page(
    request: Request[Any, Any, Any], db: Db, group_id: FromPath[int]
) -> Template:
    params = request.query_params
    notice = None
    if "lagt_til" in params:
        already = [int(i) for i in params.get("allerede", "").split(",") if i.isdigit()][:SHOWN]
        names = await person_labels(db, already)
        notice = {
            "added": _number(params["lagt_til"]),
            "from": date_no(_parse_date(params.get("fra", ""))),
            "already": [names[i] for i in already if i in names],
            "already_count": _number(params.get("allerede_antall", "")),
        }
    state = _state(params) if "lagt_til" not in params else _state({})
    return await _page(db, group_id, state, notice=notice)


@post("/{group_id:int}/members", name="group_members_add", opt=MEMBERSHIPS.write_access)
async def add_members_page(
    db: Db, group_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    state = _state(data)
    if "_search" in data:
        return await _page(db, group_id, state)
    payload, lines, form_errors = _members_create(state)
    done: list[MembersResult] = []

    async def save() -> None:
        done.append(await add_members(db, group_id, payload))

    refused = await attempt(db, save)
    if refused is None and not form_errors:
        result = done[0]
        # The address names at most SHOWN of those already members, and counts them all.
        already = ",".join(str(p.id) for p in result.already_members[:SHOWN])
        starts_on = result.added[0].starts_on if result.added else payload.starts_on
        return Redirect(
            f"/admin/groups/{group_id}/members?lagt_til={len(result.added)}"
            f"&allerede={already}&allerede_antall={len(result.already_members)}"
            f"&fra={starts_on.isoformat() if starts_on else ''}",
            status_code=303,
        )
    if refused is not None and not refused.errors:
        raise refused  # not a field's fault (the group is gone): the error page says so
    if refused is None:
        await db.rollback()  # the form itself was wrong: write none of it
    errors = form_errors + _by_line(refused.errors if refused else [], lines)
    return await _page(db, group_id, state, InvalidInput(errors=errors))


group_member_pages = Router(
    path="/admin/groups",
    route_handlers=[members_page, add_members_page],
    include_in_schema=False,
)

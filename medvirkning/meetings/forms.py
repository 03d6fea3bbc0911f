"""The meeting form as the pages send it (a date and two times, one document a line, boxes
ticked) turned into the Struct the API takes, and errors named as the form names fields."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time
from typing import Any

from medvirkning.errors import AppError, BadRequest, FieldError, InvalidInput
from medvirkning.formats import OSLO
from medvirkning.meetings.schemas import MeetingCreate
from medvirkning.web import struct_from_form

MEETING_FIELDS = ["title", "place", "video_link", "agenda", "phase_id", "milestone_id"]


def listed(value: Any) -> list[str]:
    """A form field sent once or several times, as a list."""
    return [str(v) for v in (value if isinstance(value, list) else [value]) if v != ""]


def lines(text: Any) -> list[str]:
    return [line.strip() for line in str(text).splitlines() if line.strip()]


def _documents(text: Any) -> list[dict[str, str]]:
    """One document a line: "Title | https://…" (a bare address is its own title)."""
    documents = []
    for line in lines(text):
        title, _, url = line.rpartition("|") if "|" in line else (line, "", line)
        documents.append({"title": title.strip() or url.strip(), "url": url.strip()})
    return documents


def _day(text: str) -> date:
    """A date as the browser sends it (2027-02-08) or as people write it (08.02.2027)."""
    text = text.strip()
    if "." in text:
        return datetime.strptime(text, "%d.%m.%Y").date()
    return date.fromisoformat(text)


def _moment(data: dict[str, Any], time_field: str) -> str | None:
    try:
        day = _day(str(data.get("date", "")))
        at = time.fromisoformat(str(data.get(time_field, "")).strip().replace(".", ":"))
    except ValueError:
        return None
    return datetime.combine(day, at, OSLO).isoformat()


# The service names the times it checks; the page shows them in its own fields.
PAGE_FIELDS = {"starts_at": "start", "ends_at": "end"}


def on_page(error: AppError) -> AppError:
    """The error with each field named as the form names it, so its link finds the field."""
    error.errors = [FieldError(PAGE_FIELDS.get(e.field, e.field), e.message) for e in error.errors]
    return error


def meeting_from_form(data: dict[str, Any], target: type[Any]) -> Any:
    """The page's fields (date, start, end, one document a line) as the API's Struct."""
    errors = []
    fields: dict[str, Any] = {name: data.get(name, "") for name in MEETING_FIELDS}
    fields["documents"] = _documents(data.get("documents", ""))
    fields["starts_at"], fields["ends_at"] = _moment(data, "start"), _moment(data, "end")
    if fields["starts_at"] is None:
        errors.append(
            FieldError("start", "Skriv dato og klokkeslett, for eksempel 08.02.2026 og 13:00.")
        )
    if fields["ends_at"] is None:
        errors.append(FieldError("end", "Skriv når møtet slutter, for eksempel 14:30."))
    if target is MeetingCreate:
        fields["group_ids"] = data.get("group_ids", [])
        fields["group_kinds"] = data.get("group_kinds", [])
        fields["invitee_emails"] = lines(data.get("invitee_emails", ""))
        fields["repeat"] = data.get("repeat", "")
        fields["repeat_count"] = data.get("repeat_count", "")
        until = str(data.get("repeat_until", "")).strip()
        with contextlib.suppress(ValueError):
            until = _day(until).isoformat() if until else ""
        fields["repeat_until"] = until
    else:
        # The page always sends the version it showed: a save over someone else's is refused.
        fields["version"] = str(data.get("version", "")).strip()
        if not fields["version"]:
            raise BadRequest("Skjemaet er gammelt. Last siden på nytt, og lagre igjen.")
        if data.get("scope") == "all":
            fields["all_to_come"] = "true"
    try:
        payload = struct_from_form(target, fields, [n for n, v in fields.items() if v is not None])
    except InvalidInput as refused:
        errors += [e for e in refused.errors if e.field not in ("starts_at", "ends_at")]
    if errors:
        raise InvalidInput(errors=errors)
    return payload

"""A member's meetings page, and answering from the e-mail's links without signing in.
Every POST that succeeds redirects, so a reload repeats nothing."""

from __future__ import annotations

from typing import Any

from litestar import Router, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from medvirkning.auth.access import EVERYONE, OPEN
from medvirkning.db import Db, utcnow
from medvirkning.dependencies import AppSettings, User
from medvirkning.errors import Forbidden, InvalidInput, NotFound
from medvirkning.meetings import queries, services
from medvirkning.meetings.feeds import feed_url, renew_feed
from medvirkning.meetings.letters import valid_answer_token
from medvirkning.meetings.models import Answer, Invitation
from medvirkning.meetings.schemas import AnswerUpdate

# The answer page speaks the invitee's language form.
WORDS = {
    "bokmal": {
        "labels": {
            "no_answer": "ikke svart",
            "accepted": "kommer",
            "tentative": "kommer kanskje",
            "declined": "kommer ikke",
        },
        "choices": {
            "accepted": "Ja, jeg kommer",
            "tentative": "Kanskje",
            "declined": "Nei, jeg kommer ikke",
        },
    },
    "nynorsk": {
        "labels": {
            "no_answer": "ikkje svart",
            "accepted": "kjem",
            "tentative": "kjem kanskje",
            "declined": "kjem ikkje",
        },
        "choices": {
            "accepted": "Ja, eg kjem",
            "tentative": "Kanskje",
            "declined": "Nei, eg kjem ikkje",
        },
    },
}
NOTICES = {
    "svar": "Svaret ditt er registrert.",
    "kalender": "Du har fått en ny kalenderadresse. Den gamle virker ikke lenger.",
}


def _answer(data: dict[str, Any]) -> AnswerUpdate:
    value = data.get("svar", "")
    if value not in {a.value for a in Answer} or value == Answer.NO_ANSWER:
        raise InvalidInput.for_field("svar", "Velg om du kommer, kanskje kommer eller ikke kommer.")
    return AnswerUpdate(answer=Answer(value))


@get("/moter", opt=EVERYONE, include_in_schema=False)
async def my_meetings_page(
    db: Db, settings: AppSettings, user: User, melding: FromQuery[str] = ""
) -> Template:
    feed = None
    if user.person_id is not None:
        feed = await feed_url(db, settings, "person", user.person_id)
    return Template(
        "meetings/mine.html",
        context={
            "invitations": await queries.my_invitations(db, user),
            "feed": feed,
            "notice": NOTICES.get(melding, ""),
        },
    )


@post("/moter/kalender", opt=EVERYONE, include_in_schema=False)
async def renew_my_feed_page(db: Db, user: User) -> Redirect:
    if user.person_id is None:
        raise Forbidden("En API-nøkkel har ingen egen kalender.")
    await renew_feed(db, "person", user.person_id)
    return Redirect("/moter?melding=kalender", status_code=303)


@post("/moter/svar/{invitation_id:int}", opt=EVERYONE, include_in_schema=False)
async def answer_page_signed_in(
    db: Db, user: User, invitation_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
) -> Redirect:
    invitation = await queries.own_invitation(db, user, invitation_id)
    await services.record_answer(db, invitation, _answer(data))
    return Redirect("/moter?melding=svar", status_code=303)


async def _signed_invitation(
    db: Db, settings: AppSettings, invitation_id: int, token: str
) -> Invitation:
    invitation = await queries.get_invitation(db, invitation_id)
    if invitation is None or not valid_answer_token(settings, invitation_id, token):
        raise NotFound("Lenken er ikke gyldig.")
    return invitation


@get("/svar/{invitation_id:int}/{token:str}", opt=OPEN, include_in_schema=False)
async def answer_link(
    db: Db,
    settings: AppSettings,
    invitation_id: FromPath[int],
    token: FromPath[str],
    svar: FromQuery[str] = "",
    lagret: FromQuery[bool] = False,
) -> Template:
    # Mail scanners open every link: looking records nothing, the button does.
    invitation = await _signed_invitation(db, settings, invitation_id, token)
    chosen = invitation.answer.value if lagret else svar
    words = WORDS[invitation.person.language_form.value]
    over = invitation.meeting.ends_at <= utcnow()
    return Template(
        "meetings/answer.html",
        context={
            "invitation": invitation,
            "chosen": chosen,
            "saved": lagret,
            "over": over,
            **words,
        },
    )


@post("/svar/{invitation_id:int}/{token:str}", opt=OPEN, include_in_schema=False)
async def answer_link_post(
    db: Db,
    settings: AppSettings,
    invitation_id: FromPath[int],
    token: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Redirect:
    invitation = await _signed_invitation(db, settings, invitation_id, token)
    await services.record_answer(db, invitation, _answer(data))
    return Redirect(f"/svar/{invitation_id}/{token}?lagret=true", status_code=303)


member_pages = Router(
    path="/",
    include_in_schema=False,
    route_handlers=[
        my_meetings_page,
        renew_my_feed_page,
        answer_page_signed_in,
        answer_link,
        answer_link_post,
    ],
)

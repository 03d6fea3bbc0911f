"""Distribution use cases: choose the audience, send personal links, remind those who have
not answered, set opening and closing times, make open links, and count the response rate
under the anonymity rule. The service knows who was asked and who answered, never what."""

from __future__ import annotations

import secrets
from collections import Counter
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.db import utcnow
from medvirkning.errors import Conflict, FieldError, InvalidInput, NotFound
from medvirkning.people.models import Membership, Person
from medvirkning.people.queries import active_groups, members_on
from medvirkning.region.models import Municipality
from medvirkning.settings import Settings
from medvirkning.surveys import invitations
from medvirkning.surveys.answering import new_token, oslo_today, published_version, token_hash
from medvirkning.surveys.distribution_schemas import (
    AudienceAdded,
    AudienceCreate,
    MunicipalityRate,
    OpenLinkCreate,
    ResponseRates,
    ScheduleUpdate,
)
from medvirkning.surveys.models import Survey
from medvirkning.surveys.respondents import (
    SurveyAnswered,
    SurveyLink,
    SurveyOpenLink,
    SurveyRecipient,
)
from surveys.anonymity import hidden_groups, total_shown

NO_MUNICIPALITY = "Uten kommune"


class NotPublished(Conflict):
    code = "survey_not_published"
    message = "Publiser undersøkelsen før du sender lenker."


class SurveyClosed(Conflict):
    code = "survey_closed"
    message = "Undersøkelsen er stengt for svar."


async def get_survey(db: AsyncSession, survey_id: int) -> Survey:
    survey = await db.get(Survey, survey_id)
    if survey is None or survey.is_template:
        raise NotFound("Fant ikke undersøkelsen.")
    return survey


async def _people(db: AsyncSession, data: AudienceCreate) -> list[Person]:
    errors: list[FieldError] = []
    people: list[Person] = []
    if data.municipality_ids:
        known = set(
            await db.scalars(
                select(Municipality.id).where(Municipality.id.in_(data.municipality_ids))
            )
        )
        errors += [
            FieldError(f"municipality_ids[{index}]", "Velg en kommune som finnes.")
            for index, number in enumerate(data.municipality_ids)
            if number not in known
        ]
        people += await db.scalars(
            select(Person).where(
                Person.municipality_id.in_(data.municipality_ids), Person.active.is_(True)
            )
        )
    groups, group_errors = await active_groups(db, data.group_ids)
    errors += group_errors
    people += await members_on(db, [group.id for group in groups], oslo_today())
    if data.roles:
        today = oslo_today()
        people += await db.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.role.in_(data.roles),
                Membership.starts_on <= today,
                (Membership.ends_on.is_(None)) | (Membership.ends_on >= today),
                Person.active.is_(True),
            )
        )
    if errors:
        raise InvalidInput(errors=errors)
    return people


async def add_audience(db: AsyncSession, survey_id: int, data: AudienceCreate) -> AudienceAdded:
    """Add the chosen people as recipients; someone already asked is counted, not added."""
    await get_survey(db, survey_id)
    if not any([data.municipality_ids, data.group_ids, data.roles, data.emails]):
        raise InvalidInput.for_field(
            "municipality_ids", "Velg minst én kommune, gruppe eller rolle, eller lim inn e-poster."
        )
    if data.list_municipality_id is not None and not await db.get(
        Municipality, data.list_municipality_id
    ):
        raise InvalidInput.for_field("list_municipality_id", "Velg en kommune som finnes.")
    wanted: dict[str, dict[str, Any]] = {}
    for person in await _people(db, data):
        wanted.setdefault(
            person.email.lower(),
            {"person_id": person.id, "email": person.email, "municipality": person.municipality_id},
        )
    listed = [address.strip().lower() for address in data.emails]
    registered = (
        {
            person.email.lower(): person
            for person in await db.scalars(
                select(Person).where(func.lower(Person.email).in_(listed), Person.active.is_(True))
            )
        }
        if listed
        else {}
    )
    for address in listed:
        known = registered.get(address)
        municipality = known.municipality_id if known else None
        wanted.setdefault(
            address,
            {
                "person_id": known.id if known else None,
                "email": known.email if known else address,
                "municipality": municipality or data.list_municipality_id,
            },
        )
    asked = set(
        await db.scalars(
            select(func.lower(SurveyRecipient.email)).where(
                SurveyRecipient.survey_id == survey_id, SurveyRecipient.email.is_not(None)
            )
        )
    )
    new = [entry for address, entry in wanted.items() if address not in asked]
    db.add_all(
        SurveyRecipient(
            survey_id=survey_id,
            person_id=entry["person_id"],
            email=entry["email"],
            municipality_id=entry["municipality"],
        )
        for entry in new
    )
    await db.flush()
    return AudienceAdded(added=len(new), already=len(wanted) - len(new))


async def _sendable(db: AsyncSession, survey_id: int) -> Survey:
    survey = await get_survey(db, survey_id)
    if await published_version(db, survey_id) is None:
        raise NotPublished()
    if survey.closes_at is not None and survey.closes_at <= utcnow():
        raise SurveyClosed()
    return survey


async def send_links(db: AsyncSession, settings: Settings, survey_id: int) -> int:
    """A personal link to every recipient not yet sent one, through the outbox."""
    survey = await _sendable(db, survey_id)
    waiting = SurveyRecipient.invited_at.is_(None)
    return await _send(db, settings, survey, waiting, SurveyRecipient.invited_at, reminder=False)


async def send_reminders(db: AsyncSession, settings: Settings, survey_id: int) -> int:
    """A reminder, with a fresh link, to each invited recipient who has not answered."""
    survey = await _sendable(db, survey_id)
    answered = select(SurveyAnswered.recipient_id).where(SurveyAnswered.survey_id == survey_id)
    unanswered = SurveyRecipient.invited_at.is_not(None) & SurveyRecipient.id.not_in(answered)
    return await _send(db, settings, survey, unanswered, SurveyRecipient.reminded_at, True)


async def _send(
    db: AsyncSession,
    settings: Settings,
    survey: Survey,
    which: Any,
    stamp: Any,
    reminder: bool,
) -> int:
    """A new link and a letter to each recipient `which` picks; `stamp` gets the time."""
    rows = (
        await db.execute(
            select(SurveyRecipient.id, SurveyRecipient.email)
            .where(
                SurveyRecipient.survey_id == survey.id, SurveyRecipient.email.is_not(None), which
            )
            .order_by(SurveyRecipient.id)
        )
    ).all()
    if not rows:
        return 0
    tokens = [new_token() for _ in rows]
    await db.execute(
        insert(SurveyLink),
        [
            {"recipient_id": recipient_id, "token_hash": token_hash(settings, token)}
            for (recipient_id, _), token in zip(rows, tokens, strict=True)
        ],
    )
    addressed = [(email or "", token) for (_, email), token in zip(rows, tokens, strict=True)]
    letters = invitations.letters(settings, survey, addressed, reminder)
    await invitations.enqueue_letters(db, settings, letters, reminder)
    await db.execute(
        update(SurveyRecipient)
        .where(SurveyRecipient.id.in_([recipient_id for recipient_id, _ in rows]))
        .values({stamp: utcnow()})
        .execution_options(synchronize_session=False)
    )
    return len(rows)


async def set_schedule(db: AsyncSession, survey_id: int, data: ScheduleUpdate) -> Survey:
    survey = await get_survey(db, survey_id)
    if data.opens_at and data.closes_at and data.closes_at <= data.opens_at:
        raise InvalidInput.for_field("closes_at", "Stengetidspunktet må være etter åpningen.")
    survey.opens_at, survey.closes_at = data.opens_at, data.closes_at
    await db.flush()
    return survey


async def create_open_link(
    db: AsyncSession, survey_id: int, data: OpenLinkCreate
) -> SurveyOpenLink:
    await get_survey(db, survey_id)
    if data.municipality_id is not None and not await db.get(Municipality, data.municipality_id):
        raise InvalidInput.for_field("municipality_id", "Velg en kommune som finnes.")
    link = SurveyOpenLink(
        survey_id=survey_id,
        code=secrets.token_urlsafe(24),
        municipality_id=data.municipality_id,
        limit_per_hour=data.limit_per_hour,
    )
    db.add(link)
    await db.flush()
    return link


async def response_rates(db: AsyncSession, survey: Survey) -> ResponseRates:
    """Invited and answered per municipality, live; a municipality (and a second one where
    needed) is hidden by the engine's anonymity rule on the number who answered."""
    names: dict[int | None, str] = dict(
        (await db.execute(select(Municipality.id, Municipality.name))).all()
    )
    invited: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    rows = await db.execute(
        select(
            SurveyRecipient.municipality_id,
            SurveyRecipient.open_link_id,
            SurveyAnswered.survey_id,
        )
        .outerjoin(
            SurveyAnswered,
            (SurveyAnswered.recipient_id == SurveyRecipient.id)
            & (SurveyAnswered.survey_id == survey.id),
        )
        .where(SurveyRecipient.survey_id == survey.id)
    )
    for municipality_id, open_link_id, mark in rows:
        group = names.get(municipality_id, NO_MUNICIPALITY)
        if open_link_id is None:  # asked in person (an open link's visitors were not)
            invited[group] += 1
        if mark is not None:
            answered[group] += 1
    groups = sorted(set(invited) | set(answered))
    hidden = hidden_groups({group: answered[group] for group in groups}, survey.threshold)
    total_answered = sum(answered.values())
    shown_total = total_shown(total_answered, survey.threshold)
    return ResponseRates(
        threshold=survey.threshold,
        invited=sum(invited.values()),
        answered=total_answered if shown_total else None,
        percent=_percent(total_answered, sum(invited.values())) if shown_total else None,
        municipalities=[
            MunicipalityRate(
                municipality=group,
                invited=invited[group],
                answered=None if group in hidden else answered[group],
                percent=None if group in hidden else _percent(answered[group], invited[group]),
                hidden=group in hidden,
            )
            for group in groups
        ],
    )


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None

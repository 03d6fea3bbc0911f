"""The letters of a survey: the personal link and the reminder, in the survey's language
form. They go through the outbox and are purged once sent, so no token stays there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.mail.outbox import Letter, compose, enqueue
from medvirkning.settings import Settings
from medvirkning.surveys.models import Survey

SUBJECTS = {
    "bokmal": {False: "Spørreundersøkelse: {title}", True: "Påminnelse: {title}"},
    "nynorsk": {False: "Spørjeundersøking: {title}", True: "Påminning: {title}"},
}


def answer_url(settings: Settings, token: str) -> str:
    return f"{settings.public_base_url}/undersokelse/{token}"


def letter(
    settings: Settings, survey: Survey, recipient: str, token: str, reminder: bool
) -> Letter:
    form = survey.language_form.value
    return compose(
        settings,
        recipient,
        SUBJECTS[form][reminder].format(title=survey.title),
        f"survey_{form}",
        {
            "title": survey.title,
            "link": answer_url(settings, token),
            "closes_at": survey.closes_at,
            "threshold": survey.threshold,
            "reminder": reminder,
        },
    )


def letters(
    settings: Settings, survey: Survey, addressed: Sequence[tuple[str, str]], reminder: bool
) -> list[Letter]:
    """The same letter to each (address, token), each with its own link: rendered once, the
    link put in after (a token is URL-safe text that needs no escaping)."""
    placeholder = "LINKPLACEHOLDER"
    model = letter(settings, survey, "", placeholder, reminder)
    return [
        replace(
            model,
            recipient=address,
            text=model.text.replace(placeholder, token),
            html=model.html.replace(placeholder, token),
        )
        for address, token in addressed
    ]


async def enqueue_letters(
    db: AsyncSession, settings: Settings, letters: Sequence[Letter], reminder: bool
) -> None:
    # The link is a secret: its text leaves the outbox once the server has the message.
    kind = "survey_reminder" if reminder else "survey_link"
    await enqueue(db, settings, letters, kind=kind, purge_after_send=True)

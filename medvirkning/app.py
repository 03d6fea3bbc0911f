"""The one place where the service is put together: every route, plugin and handler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.static_files import create_static_files_router
from sqlalchemy.exc import SQLAlchemyError

from medvirkning import errors
from medvirkning.anchoring.controllers import (
    anchoring_record_api,
    set_targets_api,
    targets_api,
)
from medvirkning.anchoring.pages import anchoring_pages
from medvirkning.api_docs import ApiDocsPage
from medvirkning.audit_views import audit_router
from medvirkning.auth.access import OPEN, access_guard
from medvirkning.auth.controllers import auth_router
from medvirkning.auth.middleware import AuthenticationMiddleware
from medvirkning.auth.registers import ROLE_GRANTS
from medvirkning.consultations.admin_pages import consultation_admin_pages
from medvirkning.consultations.controllers import consultations_router
from medvirkning.consultations.pages import consultation_pages
from medvirkning.dependencies import provide_db, provide_user
from medvirkning.health import health
from medvirkning.input_limits import check_input
from medvirkning.inputs.controllers import point_to_input_api
from medvirkning.inputs.pages import input_pages
from medvirkning.inputs.registers import DECISIONS, INPUTS, LEARNING_POINTS, THEMES
from medvirkning.jobs import every
from medvirkning.mail.controllers import outbox_router
from medvirkning.mail.worker import run_worker
from medvirkning.meetings.controllers import meetings_router
from medvirkning.meetings.member_pages import member_pages
from medvirkning.meetings.pages import meeting_pages
from medvirkning.meetings.record_pages import record_pages
from medvirkning.meetings.reminders import send_due_reminders
from medvirkning.meetings.replies import poll_replies
from medvirkning.pages import accessibility_statement, home
from medvirkning.people.controllers import add_members_api
from medvirkning.people.pages import group_member_pages
from medvirkning.people.registers import GROUPS, MEMBERSHIPS, PEOPLE
from medvirkning.plan.registers import MILESTONES, PHASES, RISK_FACTORS
from medvirkning.region.registers import MUNICIPALITIES, ORGANISATIONS
from medvirkning.register_api import api_router
from medvirkning.register_pages import page_router
from medvirkning.security import protect
from medvirkning.settings import Settings, load_settings
from medvirkning.surveys.answer_pages import answer_pages
from medvirkning.surveys.builder_pages import survey_pages
from medvirkning.surveys.condition_pages import condition_pages
from medvirkning.surveys.controllers import survey_api
from medvirkning.surveys.distribution_api import distribution_api
from medvirkning.surveys.distribution_pages import distribution_pages
from medvirkning.surveys.mixing import mix_left_waiting
from medvirkning.surveys.question_pages import question_pages
from medvirkning.surveys.results_pages import results_routes
from medvirkning.surveys.retention import EVERY_SECONDS, forget_what_is_no_longer_needed
from medvirkning.transaction import Database
from medvirkning.web import template_config

STATIC = Path(__file__).parent / "static"
REGISTERS = [
    MUNICIPALITIES,
    ORGANISATIONS,
    PEOPLE,
    GROUPS,
    MEMBERSHIPS,
    PHASES,
    MILESTONES,
    RISK_FACTORS,
    ROLE_GRANTS,
    THEMES,
    INPUTS,
    DECISIONS,
    LEARNING_POINTS,
]


def background_jobs(database: Database, settings: Settings, stop: asyncio.Event) -> list[Any]:
    """Every job the service runs beside the requests (off with MEDVIRKNING_OUTBOX_WORKER);
    the calendar replies only when a reply mailbox is set."""
    if not settings.outbox_worker:
        return []

    async def remind() -> None:
        async with database.transaction() as db:
            await send_due_reminders(db, settings)

    async def read_replies() -> None:
        await poll_replies(database, settings)

    async def forget_survey_recipients() -> None:
        async with database.transaction() as db:
            await forget_what_is_no_longer_needed(db)

    jobs = [
        run_worker(database.sessions, settings, stop, database.outbox_wake),
        every("reminders", settings.reminders_every_seconds, stop, remind),
        every("survey retention", EVERY_SECONDS, stop, forget_survey_recipients),
    ]
    if settings.has_reply_mailbox:
        jobs.append(every("calendar replies", settings.replies_every_seconds, stop, read_replies))
    return jobs


async def _guard(connection: Any, handler: Any) -> None:
    """Who may, then what no handler should see: one guard, since Litestar copies the route
    handler for each guard on every request."""
    await access_guard(connection, handler)
    await check_input(connection, handler)


def _settings_of(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()

    @asynccontextmanager
    async def database_and_jobs(app: Litestar) -> AsyncGenerator[None]:
        current: Settings = app.state.settings  # the state's, like every request's
        app.state.database = database = Database.connect(current.database_url)
        app.state.survey_submits = None  # made for this database on first use
        app.state.survey_link_reads = None
        await mix_left_waiting(database)
        stop = asyncio.Event()
        jobs = [asyncio.create_task(job) for job in background_jobs(database, current, stop)]
        try:
            yield
        finally:
            stop.set()
            with suppress(asyncio.CancelledError, TimeoutError):  # a container stop allows 10 s
                await asyncio.wait_for(asyncio.gather(*jobs, return_exceptions=True), timeout=8)
            if app.state.survey_submits is not None:
                with suppress(SQLAlchemyError, OSError):  # then the next start mixes them
                    await app.state.survey_submits.close()
            await database.close()

    app = Litestar(
        route_handlers=[
            health,
            home,
            accessibility_statement,
            auth_router,
            audit_router,
            outbox_router,
            meetings_router,
            consultations_router,
            consultation_pages,
            consultation_admin_pages,
            meeting_pages,
            member_pages,
            record_pages,
            add_members_api,
            group_member_pages,
            survey_api,
            survey_pages,
            question_pages,
            condition_pages,
            results_routes,
            input_pages,
            anchoring_pages,
            point_to_input_api,
            anchoring_record_api,
            targets_api,
            set_targets_api,
            answer_pages,
            distribution_api,
            distribution_pages,
            create_static_files_router(path="/static", directories=[STATIC], opt=OPEN),
            *(api_router(register) for register in REGISTERS),
            *(page_router(register) for register in REGISTERS),
        ],
        middleware=[AuthenticationMiddleware()],
        guards=[_guard],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.secure_cookies,
            cookie_samesite="lax",
            # Scripts call the API with a token, not a cookie; a browser's write to the API
            # from another site loses its session (AuthenticationMiddleware checks Origin).
            exclude=["/api/"],
        ),
        dependencies={
            "db": Provide(provide_db),
            "settings": Provide(_settings_of, sync_to_thread=False),
            "user": Provide(provide_user, sync_to_thread=False),
        },
        exception_handlers={
            errors.AppError: errors.handle_app_error,
            ValidationException: errors.handle_validation_error,
            HTTPException: errors.handle_http_error,
            Exception: errors.handle_internal_error,
        },
        template_config=template_config(),
        openapi_config=OpenAPIConfig(
            title="medvirkning",
            version="0.1.0",
            description="Medvirkning og drøfting i ERP-prosjektet i Kongsbergregionen.",
            path="/schema",
            openapi_router=Router(path="/schema", route_handlers=[], opt=OPEN),
            render_plugins=[ApiDocsPage(), JsonRenderPlugin()],
        ),
        lifespan=[database_and_jobs],
        state=State({"settings": settings}),
        logging_config=LoggingConfig(
            root={"level": settings.log_level.upper(), "handlers": ["queue_listener"]},
            # aiosqlite logs every statement with its values at debug: survey answers too.
            loggers={"aiosqlite": {"level": "WARNING"}},
            log_exceptions="never",  # the 500 handler logs what is unexpected
        ),
    )
    return protect(app)  # security headers and HEAD on every answer, 404s included

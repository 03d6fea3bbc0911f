"""The one place where the service is put together: every route, plugin and handler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning import errors
from medvirkning.audit import Actor, act_as
from medvirkning.audit_views import audit_router
from medvirkning.auth.access import OPEN, access_guard
from medvirkning.auth.controllers import auth_router
from medvirkning.auth.middleware import AuthenticationMiddleware
from medvirkning.auth.registers import ROLE_GRANTS
from medvirkning.db import create_engine, create_sessionmaker
from medvirkning.health import health
from medvirkning.mail.controllers import outbox_router
from medvirkning.mail.worker import run_worker
from medvirkning.meetings.controllers import meetings_router
from medvirkning.meetings.pages import meeting_pages
from medvirkning.meetings.services import run_reminders
from medvirkning.pages import accessibility_statement, home
from medvirkning.people.registers import GROUPS, MEMBERSHIPS, PEOPLE
from medvirkning.plan.registers import MILESTONES, PHASES, RISK_FACTORS
from medvirkning.region.registers import MUNICIPALITIES, ORGANISATIONS
from medvirkning.register_api import api_router
from medvirkning.register_pages import page_router
from medvirkning.settings import Settings, load_settings
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
]


async def provide_db(request: Request[Any, Any, Any], state: State) -> AsyncGenerator[AsyncSession]:
    """One transaction per request: commit when the handler succeeds, roll back otherwise."""
    async with state.sessionmaker() as session:
        if user := request.scope.get("user"):
            act_as(session, Actor(user.label, user.person_id))
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()
        if session.sync_session.info.pop("mail_waiting", False):
            state.outbox_wake.set()


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()

    @asynccontextmanager
    async def database_and_outbox(app: Litestar) -> AsyncGenerator[None]:
        engine = create_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.outbox_wake = asyncio.Event()
        stop = asyncio.Event()
        jobs = []
        if settings.outbox_worker:
            jobs = [
                asyncio.create_task(
                    run_worker(app.state.sessionmaker, settings, stop, app.state.outbox_wake)
                ),
                asyncio.create_task(run_reminders(app.state.sessionmaker, settings, stop)),
            ]
        try:
            yield
        finally:
            stop.set()
            with suppress(asyncio.CancelledError, TimeoutError):  # a container stop allows 10 s
                await asyncio.wait_for(asyncio.gather(*jobs, return_exceptions=True), timeout=8)
            await engine.dispose()

    return Litestar(
        route_handlers=[
            health,
            home,
            accessibility_statement,
            auth_router,
            audit_router,
            outbox_router,
            meetings_router,
            meeting_pages,
            create_static_files_router(path="/static", directories=[STATIC], opt=OPEN),
            *(api_router(register) for register in REGISTERS),
            *(page_router(register) for register in REGISTERS),
        ],
        middleware=[AuthenticationMiddleware()],
        guards=[access_guard],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.secure_cookies,
            cookie_samesite="lax",
            # Scripts call the API with a token, not a cookie; a browser's write to the API
            # from another site loses its session (AuthenticationMiddleware checks Origin).
            exclude=["/api/"],
        ),
        dependencies={"db": Provide(provide_db)},
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
        ),
        lifespan=[database_and_outbox],
        state=State({"settings": settings}),
        logging_config=LoggingConfig(
            root={"level": settings.log_level.upper(), "handlers": ["queue_listener"]},
            log_exceptions="never",  # the 500 handler logs what is unexpected
        ),
    )

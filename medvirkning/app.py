"""The one place where the service is put together: every route, plugin and handler."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router

from medvirkning import errors
from medvirkning.db import create_engine, create_sessionmaker, provide_db
from medvirkning.health import health
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
]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncGenerator[None, None]:
        engine = create_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        try:
            yield
        finally:
            await engine.dispose()

    return Litestar(
        route_handlers=[
            health,
            home,
            accessibility_statement,
            create_static_files_router(path="/static", directories=[STATIC], name="static"),
            *(api_router(register) for register in REGISTERS),
            *(page_router(register) for register in REGISTERS),
        ],
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
        ),
        lifespan=[database],
        state=State({"settings": settings}),
        logging_config=LoggingConfig(
            root={"level": settings.log_level.upper(), "handlers": ["queue_listener"]},
            log_exceptions="never",  # the 500 handler logs what is unexpected,
        ),
    )

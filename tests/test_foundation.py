"""Settings, migrations, seed and health."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from medvirkning.app import create_app
from medvirkning.db import create_engine, create_sessionmaker
from medvirkning.migrate import head_revision, schema_differences, upgrade
from medvirkning.region.models import Municipality
from medvirkning.settings import SettingsError, load_settings


def test_defaults_use_sqlite_in_the_data_folder_and_oslo_time(tmp_path):
    settings = load_settings({"MEDVIRKNING_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'medvirkning.sqlite3'}"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.time_zone == "Europe/Oslo"
    assert settings.mail_backend == "folder"
    assert settings.mail_folder == tmp_path / "mail"
    assert settings.public_base_url == "http://127.0.0.1:8000"


def test_secret_key_is_generated_once_kept_private_and_reused(tmp_path):
    first = load_settings({"MEDVIRKNING_DATA_DIR": str(tmp_path)})
    second = load_settings({"MEDVIRKNING_DATA_DIR": str(tmp_path)})
    assert len(first.secret_key) >= 40
    assert first.secret_key == second.secret_key
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    other = load_settings({"MEDVIRKNING_DATA_DIR": str(tmp_path / "other")})
    assert other.secret_key != first.secret_key


def test_a_given_secret_key_wins(tmp_path):
    settings = load_settings(
        {"MEDVIRKNING_DATA_DIR": str(tmp_path), "MEDVIRKNING_SECRET_KEY": "s" * 50}
    )
    assert settings.secret_key == "s" * 50
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("MEDVIRKNING_PORT", "åtte", "port"),
        ("MEDVIRKNING_MAIL_BACKEND", "pigeon", "mail_backend"),
        ("MEDVIRKNING_DATABSE_URL", "sqlite://", "MEDVIRKNING_DATABSE_URL"),
        ("MEDVIRKNING_OUTBOX_CONNECTIONS", "0", "outbox_connections"),
        ("MEDVIRKNING_OUTBOX_CONNECTIONS", "50", "outbox_connections"),
    ],
)
def test_bad_settings_are_named(tmp_path, name, value, says):
    with pytest.raises(SettingsError, match=says):
        load_settings({"MEDVIRKNING_DATA_DIR": str(tmp_path), name: value})


async def test_migrations_build_exactly_the_schema_the_models_describe(database_url):
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(schema_differences)
    finally:
        await engine.dispose()
    assert differences == []


async def test_upgrading_again_loads_nothing_twice_and_keeps_admin_corrections(database_url):
    engine = create_engine(database_url)
    try:
        sessions = create_sessionmaker(engine)
        async with sessions() as session, session.begin():
            tinn = await session.scalar(select(Municipality).where(Municipality.number == "4026"))
            tinn.name = "Tinn kommune"
        assert await upgrade(engine) == 0
        async with sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Municipality))
            names = set(await session.scalars(select(Municipality.name)))
        assert count == 8
        assert "Tinn kommune" in names
        assert "Tinn" not in names
    finally:
        await engine.dispose()


async def test_health_reports_the_database_and_migration(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "migration": head_revision(),
        "expected_migration": head_revision(),
    }


async def test_health_is_503_when_the_database_is_unreachable(tmp_path):
    settings = load_settings(
        {
            "MEDVIRKNING_DATA_DIR": str(tmp_path),
            # Nothing listens on port 9 of this machine.
            "MEDVIRKNING_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:9/none",
        }
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/health")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_openapi_schema_lists_every_register(client):
    schema = (await client.get("/schema/openapi.json")).json()
    for slug in [
        "municipalities",
        "organisations",
        "people",
        "groups",
        "memberships",
        "phases",
        "milestones",
        "risk-factors",
    ]:
        assert f"/api/{slug}" in schema["paths"], slug
    assert "PersonCreate" in schema["components"]["schemas"]


def test_the_suite_fails_when_postgresql_is_required_but_not_running(tmp_path):
    import os
    import subprocess
    import sys

    env = os.environ | {
        "MEDVIRKNING_TEST_REQUIRE_POSTGRES": "1",
        "MEDVIRKNING_TEST_POSTGRES_URL": "",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-n",
            "0",
            "tests/test_foundation.py",
            "-k",
            "defaults_use_sqlite",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    assert result.returncode != 0
    assert "PostgreSQL is required" in result.stdout + result.stderr


def test_the_serving_process_leaves_out_what_it_rarely_needs():
    # Migrations run in `medvirkning migrate` (a child process of `medvirkning run`); the
    # holiday tables load when a notice is first counted, DOCX and PDF on the first export.
    rare = "{'alembic', 'holidays', 'docx', 'lxml', 'weasyprint'}"
    probe = f"import sys, medvirkning.app; print(sorted({rare} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert loaded.stdout.strip() == "[]", loaded.stderr

"""The `medvirkning` command: migrate, run the service, import people."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
import uvicorn

from medvirkning.db import create_engine, create_sessionmaker
from medvirkning.migrate import upgrade
from medvirkning.settings import Settings, SettingsError, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


async def _migrate(settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    try:
        return await upgrade(engine)
    finally:
        await engine.dispose()


@click.group()
def main() -> None:
    """Medvirkning: involvement and consultation for the common ERP project."""


@main.command()
def migrate() -> None:
    """Bring the database schema up to date and load new seed data."""
    settings = _settings()
    loaded = asyncio.run(_migrate(settings))
    click.echo(f"Database up to date; {loaded} seed records loaded.")


@main.command()
@click.option("--migrate/--no-migrate", "run_migrations", default=True, show_default=True)
def run(run_migrations: bool) -> None:
    """Migrate, then serve on MEDVIRKNING_HOST:MEDVIRKNING_PORT."""
    settings = _settings()
    if run_migrations:
        loaded = asyncio.run(_migrate(settings))
        click.echo(
            f"Database up to date ({settings.database_url.split(':')[0]}); "
            f"{loaded} seed records loaded."
        )
    click.echo(f"Medvirkning runs at {settings.public_base_url}/ (Ctrl+C stops it).")
    from medvirkning.app import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        proxy_headers=True,
    )


@main.command("import-people")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad-lines", is_flag=True, help="Import the good lines even if some are bad.")
def import_people_command(path: Path, skip_bad_lines: bool) -> None:
    """Import people from HR's CSV file (comma or semicolon; UTF-8 or Windows-1252)."""
    from medvirkning.people.importer import ImportFailed, import_people

    settings = _settings()
    data = path.read_bytes()

    async def go() -> tuple[int, list[str]]:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                return await import_people(session, data, skip_bad_lines)
        finally:
            await engine.dispose()

    try:
        imported, problems = asyncio.run(go())
    except ImportFailed as failed:
        for problem in failed.problems:
            click.echo(problem, err=True)
        click.echo(f"Nothing imported: {len(failed.problems)} bad line(s).", err=True)
        sys.exit(1)
    for problem in problems:
        click.echo(f"skipped {problem}", err=True)
    click.echo(f"Imported {imported} people; skipped {len(problems)} bad line(s).")

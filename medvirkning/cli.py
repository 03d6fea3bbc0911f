"""The `medvirkning` command: migrate, run the service, import people."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import subprocess
import sys
from pathlib import Path

import click
import uvicorn

from medvirkning.audit import Actor
from medvirkning.security import uvicorn_log_config
from medvirkning.settings import Settings, SettingsError, load_settings
from medvirkning.transaction import connected

M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _set_up_settings() -> Settings:
    """The settings of a service already migrated here; a clear word, not a traceback, and
    no new data folder or key, when it is not."""
    try:
        settings = load_settings(set_up=False)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    if _no_database_file(settings) or asyncio.run(_revision(settings)) is None:
        raise click.ClickException(
            f"The database ({settings.database_url.split('://')[0]}) has no tables yet: "
            "run `medvirkning migrate` first."
        )
    return settings


def _no_database_file(settings: Settings) -> bool:
    """An SQLite file that is not there (connecting would make an empty one)."""
    return settings.is_sqlite and not Path(settings.database_url.split(":///", 1)[1]).exists()


async def _revision(settings: Settings) -> str | None:
    from medvirkning.migrate import current_revision

    async with connected(settings.database_url) as database, database.engine.connect() as c:
        return await c.run_sync(current_revision)


def _address_file(settings: Settings) -> Path:
    return settings.data_dir / "address"


def _sign_in_address(settings: Settings) -> str:
    """Where the running service says it is (its port may not be this shell's setting)."""
    with contextlib.suppress(OSError):
        return _address_file(settings).read_text().strip() + "/logg-inn"
    return f"{settings.public_base_url}/logg-inn"


async def _migrate(settings: Settings) -> int:
    from medvirkning.migrate import upgrade  # Alembic: only in the commands that migrate

    async with connected(settings.database_url) as database:
        return await upgrade(database.engine)


@click.group()
def main() -> None:
    """Medvirkning: involvement and consultation for the common ERP project."""
    # The database, its WAL files, the key and the mail folder's sign-in links are private.
    os.umask(0o077)


@main.command()
def migrate() -> None:
    """Bring the database schema up to date and load new seed data."""
    settings = _settings()
    loaded = asyncio.run(_migrate(settings))
    click.echo(f"Database up to date; {loaded} seed records loaded.")


@main.command()
@click.option("--migrate/--no-migrate", "run_migrations", default=True, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Server processes (PostgreSQL only) [default: MEDVIRKNING_WORKERS, 1]",
)
def run(run_migrations: bool, workers: int | None) -> None:
    """Migrate, then serve on MEDVIRKNING_HOST:MEDVIRKNING_PORT."""
    _fewer_malloc_arenas()
    settings = _settings()
    workers = workers or settings.workers
    if workers > 1 and settings.is_sqlite:
        raise click.ClickException(
            f"{workers} workers need PostgreSQL (MEDVIRKNING_DATABASE_URL=postgresql+asyncpg://…): "
            "on SQLite every write waits for the one file lock, so more processes add waiting, "
            "not speed. Run with --workers 1."
        )
    # Migrating in a process of its own: Alembic's 10 MiB would otherwise stay in the server.
    migrating = [sys.executable, "-m", "medvirkning", "migrate"]
    if run_migrations and subprocess.run(migrating).returncode != 0:
        raise click.ClickException("The migration failed; the service was not started.")
    click.echo(f"Medvirkning runs at {settings.public_base_url}/ (Ctrl+C stops it).")
    with contextlib.suppress(OSError):
        _address_file(settings).write_text(settings.public_base_url + "\n")
    click.echo(asyncio.run(_how_to_sign_in(settings)))
    from medvirkning.app import create_app

    # With several processes each builds its own app (and outbox worker) from the same
    # settings; they share the outbox and the rate limits through the database.
    app = create_app(settings) if workers == 1 else "medvirkning.app:create_app"
    uvicorn.run(
        app,
        factory=workers > 1,
        workers=workers,
        loop="uvloop",  # several times the plain asyncio loop and h11
        http="httptools",
        ws="none",  # no WebSocket routes: their library stays unloaded
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_config=uvicorn_log_config(),  # the access log without the links' secrets
    )


def _fewer_malloc_arenas() -> None:
    """glibc gives each thread a memory arena of its own, and aiosqlite runs a thread per
    connection: two arenas keep the server about 5 MiB smaller. Set before any thread
    starts; worker processes read it from the environment."""
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, int(os.environ["MALLOC_ARENA_MAX"]))


async def _how_to_sign_in(settings: Settings) -> str:
    from sqlalchemy import func, select

    from medvirkning.auth.models import Role, RoleGrant

    async with connected(settings.database_url) as database, database.transaction() as db:
        admins = await db.scalar(
            select(func.count()).select_from(RoleGrant).where(RoleGrant.role == Role.ADMIN)
        )
    where = (
        f"the link arrives as an .eml file in {settings.mail_folder}"
        if settings.mail_backend == "folder"
        else "the link arrives by e-mail"
    )
    if not admins:
        return (
            "No admin yet. Make one: medvirkning create-admin --name 'Your Name' "
            f"--email you@example.no\nThen sign in at {settings.public_base_url}/logg-inn: {where}."
        )
    return f"Sign in at {settings.public_base_url}/logg-inn: {where}."


@main.command("create-admin")
@click.option("--name", required=True, help="The person's name (if new).")
@click.option("--email", required=True, help="The address the sign-in link goes to.")
@click.option(
    "--municipality", default="", help="Municipality number, for staff of a municipality."
)
def create_admin(name: str, email: str, municipality: str) -> None:
    """Give a person (created if new) the admin role: the way to the first sign-in."""
    from sqlalchemy import select

    from medvirkning.auth.services import ensure_admin
    from medvirkning.region.models import Municipality, Organisation

    settings = _set_up_settings()

    async def go() -> str:
        actor = Actor("kommandolinjen (create-admin)")
        async with connected(settings.database_url) as database, database.transaction(actor) as db:
            municipality_id = organisation_id = None
            if municipality:
                municipality_id = await db.scalar(
                    select(Municipality.id).where(Municipality.number == municipality)
                )
                if municipality_id is None:
                    raise click.ClickException(f"No municipality numbered {municipality}.")
            else:  # the project's own staff sit in the secretariat
                organisation_id = await db.scalar(
                    select(Organisation.id).where(Organisation.name.like("Sekretariatet%"))
                )
            person, granted = await ensure_admin(db, name, email, organisation_id, municipality_id)
            return f"{person.name} <{person.email}> " + (
                "is now an admin." if granted else "was already an admin."
            )

    click.echo(asyncio.run(go()))
    click.echo(f"Sign in at {_sign_in_address(settings)} with {email}.")


@main.command()
def worker() -> None:
    """Send the outbox's e-mail, apart from the web service (set MEDVIRKNING_OUTBOX_WORKER=false
    on the web instances then, or let both run: they share the work safely on PostgreSQL)."""
    import signal

    from medvirkning.mail.worker import run_worker

    settings = _settings()

    async def go() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with connected(settings.database_url) as database:
            await run_worker(database.sessions, settings, stop)

    click.echo(f"Outbox worker sending through the {settings.mail_backend} backend.")
    asyncio.run(go())


@main.command("survey-retention")
def survey_retention() -> None:
    """Delete the drafts of closed surveys and erase who was asked 30 days after closing
    (for cron, when the service's own background jobs are off)."""
    from medvirkning.surveys.retention import forget_what_is_no_longer_needed

    settings = _set_up_settings()

    async def go() -> int:
        async with connected(settings.database_url) as database, database.transaction() as db:
            return await forget_what_is_no_longer_needed(db)

    click.echo(f"{asyncio.run(go())} survey recipients erased.")


@main.command()
def reminders() -> None:
    """Send the meeting reminders that are due now (for cron, when the service's own
    background jobs are off)."""
    from medvirkning.meetings.reminders import send_due_reminders

    settings = _set_up_settings()

    async def go() -> int:
        async with connected(settings.database_url) as database, database.transaction() as db:
            return await send_due_reminders(db, settings)

    click.echo(f"{asyncio.run(go())} reminders written to the outbox.")


@main.command()
def replies() -> None:
    """Read the calendars' answers (iTIP REPLY) in the reply mailbox once (for cron, when the
    service's own background jobs are off)."""
    from medvirkning.mail.imap import MailboxUnavailable
    from medvirkning.meetings.replies import Outcome, poll_replies

    settings = _settings()
    if not settings.has_reply_mailbox:
        raise click.ClickException("No reply mailbox: set MEDVIRKNING_REPLY_IMAP_HOST.")

    async def go() -> dict[Outcome, int]:
        async with connected(settings.database_url) as database:
            return await poll_replies(database, settings)

    try:
        counts = asyncio.run(go())
    except MailboxUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{counts[Outcome.HANDLED]} replies handled, "
        f"{counts[Outcome.UNREADABLE]} moved to {settings.reply_folder_unreadable}."
    )


@main.command("import-people")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad-lines", is_flag=True, help="Import the good lines even if some are bad.")
def import_people_command(path: Path, skip_bad_lines: bool) -> None:
    """Import people from HR's CSV file (comma or semicolon; UTF-8 or Windows-1252)."""
    from medvirkning.people.importer import ImportFailed, import_people

    settings = _set_up_settings()
    data = path.read_bytes()

    async def go() -> tuple[int, list[str]]:
        actor = Actor(f"kommandolinjen (import-people {path.name})")
        async with connected(settings.database_url) as database, database.transaction(actor) as db:
            return await import_people(db, data, skip_bad_lines)

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


@main.command("verify-log")
@click.argument("consultation_id", type=int, required=False)
@click.option("--head", default=None, help="A head from an e-mail: <sequence>:<hash>.")
def verify_log(consultation_id: int | None, head: str | None) -> None:
    """Verify a consultation's log (or every consultation's), naming the first broken entry;
    with --head, also that the log still reaches the head an e-mail carried. Exit code 1
    when a log is broken."""
    from sqlalchemy import select

    from medvirkning.consultations import chain, log
    from medvirkning.consultations.models import Consultation

    settings = _set_up_settings()
    if head is not None and consultation_id is None:
        raise click.ClickException("--head belongs to one consultation: give its id too.")
    if head is not None:
        try:
            chain.parse_head(head)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc

    async def go() -> list[tuple[int, chain.Verdict]]:
        async with connected(settings.database_url) as database, database.transaction() as db:
            wanted = [consultation_id] if consultation_id is not None else None
            found = list(await db.scalars(select(Consultation.id).order_by(Consultation.id)))
            if wanted is not None and consultation_id not in found:
                raise click.ClickException(f"No consultation with id {consultation_id}.")
            return [(i, await log.verify(db, i, head)) for i in wanted or found]

    broken = False
    for number, verdict in asyncio.run(go()):
        if verdict.ok:
            click.echo(f"Drøfting {number}: hel, {verdict.entries} poster, hode {verdict.head}")
        else:
            broken = True
            click.echo(f"Drøfting {number}: BRUTT ved post {verdict.broken}: {verdict.message}")
    if broken:
        sys.exit(1)

"""Settings: one frozen object read from MEDVIRKNING_* environment variables."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Annotated, Literal

import msgspec

PREFIX = "MEDVIRKNING_"


class SettingsError(Exception):
    """A setting has a value the service cannot run with."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    data_dir: Path = Path("data")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: Annotated[int, msgspec.Meta(ge=1)] = 1  # server processes (PostgreSQL for >1)
    base_url: str = ""
    secret_key: str = ""
    time_zone: str = "Europe/Oslo"
    mail_backend: Literal["folder", "smtp"] = "folder"
    mail_folder: Path | None = None
    mail_from: str = "medvirkning@kongsbergregionen.no"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Proxies whose X-Forwarded-For names the client (for the per-client sign-in limit).
    forwarded_allow_ips: str = "127.0.0.1"
    session_idle_hours: float = 8.0
    # How long a process keeps who is behind a session or token (auth/principals.py).
    principal_cache_seconds: Annotated[float, msgspec.Meta(ge=0)] = 5.0
    sign_in_link_minutes: int = 15
    sign_in_limit_per_address: int = 5
    sign_in_limit_per_client: int = 30
    outbox_worker: bool = True
    outbox_max_attempts: int = 8
    outbox_retry_seconds: float = 30.0
    outbox_poll_seconds: float = 5.0
    outbox_batch_size: int = 100
    # SMTP connections a worker sends over at once: one's envelope goes while another's
    # content does.
    outbox_connections: Annotated[int, msgspec.Meta(ge=1, le=8)] = 2
    organizer_email: str = ""
    organizer_name: str = "Prosjektleder, felles ERP i Kongsbergregionen"
    reminder_days_before: int = 2
    reminder_hours_before: int = 24
    reminders_every_seconds: float = 300.0
    # The reply mailbox: calendars send their Accept/Decline (iTIP REPLY) to it; off when empty.
    reply_imap_host: str = ""
    reply_imap_port: int = 993
    reply_imap_security: Literal["tls", "starttls", "none"] = "tls"
    reply_imap_username: str = ""
    reply_imap_password: str = ""
    # XOAUTH2 (Exchange Online): a token from Entra ID's client-credentials flow, or a command's.
    reply_oauth_tenant_id: str = ""
    reply_oauth_client_id: str = ""
    reply_oauth_client_secret: str = ""
    reply_oauth_token_command: str = ""
    # The mailbox's own address: the ORGANIZER of invitations when a reply mailbox is set.
    reply_address: str = ""
    reply_folder_handled: str = "Medvirkning/Behandlet"
    reply_folder_unreadable: str = "Medvirkning/Uleselig"
    replies_every_seconds: float = 60.0
    # The least working days between a consultation's documents sent and its meeting.
    consultation_notice_days: Annotated[int, msgspec.Meta(ge=0, le=60)] = 5

    @property
    def secure_cookies(self) -> bool:
        return self.public_base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def has_reply_mailbox(self) -> bool:
        return bool(self.reply_imap_host)

    @property
    def organizer_address(self) -> str:
        """The ORGANIZER: the reply mailbox when there is one, so calendars answer to it."""
        if self.has_reply_mailbox:
            return self.reply_address or self.organizer_email
        return self.organizer_email

    @property
    def public_base_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")


def load_settings(environ: dict[str, str] | None = None, set_up: bool = True) -> Settings:
    """Read the settings; fill in the derived defaults and the secret key (made on the
    first run; with `set_up=False` a missing key means the service was never set up here)."""
    env = os.environ if environ is None else environ
    raw = {
        name.removeprefix(PREFIX).lower(): value
        for name, value in env.items()
        # MEDVIRKNING_TEST_* belong to the test command, not to the service.
        if name.startswith(PREFIX) and not name.startswith(PREFIX + "TEST_") and value != ""
    }
    known = set(Settings.__struct_fields__)
    if unknown := sorted(set(raw) - known):
        names = ", ".join(PREFIX + n.upper() for n in unknown)
        raise SettingsError(f"Unknown setting(s): {names}")
    try:
        settings = msgspec.convert(raw, Settings, strict=False, dec_hook=_decode)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"Invalid setting: {exc}") from exc
    data_dir = settings.data_dir.resolve()
    database_url = (
        settings.database_url or f"sqlite+aiosqlite:///{data_dir / 'medvirkning.sqlite3'}"
    )
    _check_reply_mailbox(settings)
    organizer_email = settings.organizer_email or settings.mail_from
    reply_address = settings.reply_address or organizer_email
    return msgspec.structs.replace(
        settings,
        organizer_email=organizer_email,
        reply_address=reply_address,
        reply_imap_username=settings.reply_imap_username or reply_address,
        data_dir=data_dir,
        database_url=database_url,
        mail_folder=(settings.mail_folder or data_dir / "mail").resolve(),
        secret_key=settings.secret_key or _stored_secret_key(data_dir, set_up),
    )


def _check_reply_mailbox(settings: Settings) -> None:
    """A reply mailbox needs one way to sign in: a password, Entra ID or a token command."""
    if not settings.has_reply_mailbox:
        return
    entra = (
        settings.reply_oauth_tenant_id,
        settings.reply_oauth_client_id,
        settings.reply_oauth_client_secret,
    )
    if any(entra) and not all(entra):
        raise SettingsError(
            "MEDVIRKNING_REPLY_OAUTH_TENANT_ID, _CLIENT_ID and _CLIENT_SECRET go together"
        )
    ways = [
        bool(settings.reply_imap_password),
        all(entra),
        bool(settings.reply_oauth_token_command),
    ]
    if sum(ways) != 1:
        raise SettingsError(
            "MEDVIRKNING_REPLY_IMAP_HOST needs exactly one of MEDVIRKNING_REPLY_IMAP_PASSWORD, "
            "MEDVIRKNING_REPLY_OAUTH_TENANT_ID (with _CLIENT_ID and _CLIENT_SECRET) or "
            "MEDVIRKNING_REPLY_OAUTH_TOKEN_COMMAND"
        )


def _decode(kind: type, value: object) -> object:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError


def _stored_secret_key(data_dir: Path, set_up: bool) -> str:
    """Generate the key on first run and keep it, so sessions and links survive restarts."""
    path = data_dir / "secret_key"
    if not path.exists() and not set_up:
        raise SettingsError(
            f"The service is not set up in {data_dir}: run `medvirkning migrate` first "
            "(with the same MEDVIRKNING_DATA_DIR and MEDVIRKNING_DATABASE_URL)."
        )
    if not path.exists():
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = data_dir / f".secret_key.{os.getpid()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48))
        # A link appears whole or not at all; another process's key, if first, wins.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
        temporary.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise SettingsError(f"{path} holds no usable secret key; remove it to make a new one")
    return key

"""Where the outbox's messages go: `.eml` files in a folder, or an SMTP server."""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiosmtplib

from medvirkning.settings import Settings

SMTP_TIMEOUT = 30


@dataclass(frozen=True)
class Claimed:
    """A message a worker holds, as a backend sends it."""

    id: int
    message_id: str
    recipient: str
    mime: bytes
    attempts: int


class Connection(Protocol):
    async def send(self, message: Claimed) -> None: ...

    # `send` in two steps: the envelope (nothing delivered yet), then the content, which
    # the server accepts or refuses. The worker records the previous message in between.
    async def envelope(self, message: Claimed) -> None: ...

    async def content(self, message: Claimed) -> None: ...

    async def close(self) -> None: ...

    # Drop the connection at once, without a goodbye the server may never answer.
    def abort(self) -> None: ...


class Backend(Protocol):
    async def connect(self) -> Connection: ...


class FolderBackend:
    """Writes each message as an .eml file a person can open; the name is its Message-ID."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def connect(self) -> FolderBackend:
        await asyncio.to_thread(self.folder.mkdir, mode=0o700, parents=True, exist_ok=True)
        return self

    async def send(self, message: Claimed) -> None:
        name = message.message_id.strip("<>").replace("/", "_") + ".eml"
        await asyncio.to_thread(_write_once, self.folder / name, message.mime)

    async def envelope(self, message: Claimed) -> None:
        return None

    async def content(self, message: Claimed) -> None:
        await self.send(message)

    async def close(self) -> None:
        return None

    def abort(self) -> None:
        return None


def _write_once(path: Path, data: bytes) -> None:
    temporary = path.with_suffix(".tmp")
    # Sign-in e-mails hold working links: only the service's user may read them.
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
        file.write(data)
    os.replace(temporary, path)


class SmtpBackend:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def connect(self) -> SmtpConnection:
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls",
            timeout=SMTP_TIMEOUT,
        )
        await client.connect()
        if s.smtp_username:
            await client.login(s.smtp_username, s.smtp_password)
        return SmtpConnection(client, s.mail_from)


class SmtpConnection:
    def __init__(self, client: aiosmtplib.SMTP, sender: str) -> None:
        self.client = client
        self.sender = sender

    async def send(self, message: Claimed) -> None:
        await self.client.sendmail(self.sender, [message.recipient], message.mime)

    async def envelope(self, message: Claimed) -> None:
        # What sendmail does before DATA: the size (RFC 1870) when offered, a reset on refusal.
        size = [f"size={len(message.mime)}"] if self.client.supports_extension("size") else []
        try:
            await self.client.mail(self.sender, options=size)
            await self.client.rcpt(message.recipient)
        except aiosmtplib.SMTPResponseException:
            await self._reset()
            raise

    async def content(self, message: Claimed) -> None:
        try:
            await self.client.data(message.mime)
        except aiosmtplib.SMTPResponseException:
            await self._reset()
            raise

    async def _reset(self) -> None:
        with contextlib.suppress(ConnectionError, aiosmtplib.SMTPResponseException):
            await self.client.rset()

    async def close(self) -> None:
        try:
            await self.client.quit()
        except aiosmtplib.SMTPException:
            self.client.close()

    def abort(self) -> None:
        self.client.close()


def backend_for(settings: Settings) -> Backend:
    if settings.mail_backend == "smtp":
        return SmtpBackend(settings)
    assert settings.mail_folder is not None
    return FolderBackend(settings.mail_folder)

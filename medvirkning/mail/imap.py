"""The reply mailbox over IMAP (aioimaplib): sign in with a password or XOAUTH2 (a token
from Microsoft Entra ID through msal, or from a command), over TLS, STARTTLS or plain; read
unseen messages without marking them, and move them to folders. Nothing here deletes."""

from __future__ import annotations

import asyncio
import base64
import logging
import shlex
import ssl
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aioimaplib

from medvirkning.settings import Settings

log = logging.getLogger("medvirkning.imap")

# Exchange Online's scope for IMAP with an app's own (client-credentials) token.
EXCHANGE_SCOPE = "https://outlook.office365.com/.default"


class MailboxUnavailable(OSError):
    """The reply mailbox cannot be reached or refuses us: the job tries again next round."""


class Mailbox:
    """The few IMAP commands the job needs, on an aioimaplib client that is signed in."""

    def __init__(self, client: aioimaplib.IMAP4, folders: dict[str, str]) -> None:
        self.client, self.folders = client, folders  # as set -> as the server names them

    async def unseen(self) -> list[str]:
        response = _ok(await self.client.uid_search("UNSEEN", charset=None), "SEARCH")
        return [uid for line in response.lines[:-1] for uid in line.decode().split()]

    async def fetch(self, uid: str) -> bytes | None:
        # PEEK: a message that fails before it is moved stays unseen and is read again.
        response = _ok(await self.client.uid("fetch", uid, "(BODY.PEEK[])"), "FETCH")
        literals = [bytes(line) for line in response.lines if isinstance(line, bytearray)]
        return literals[0] if literals else None

    async def move(self, uid: str, folder_setting: str) -> None:
        folder = self.folders[folder_setting]
        if self.client.has_capability("MOVE"):
            _ok(await self.client.uid("move", uid, folder), "MOVE")
            return
        _ok(await self.client.uid("copy", uid, folder), "COPY")
        _ok(await self.client.uid("store", uid, "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
        if self.client.has_capability("UIDPLUS"):
            _ok(await self.client.uid("expunge", uid), "EXPUNGE")
        else:
            _ok(await self.client.expunge(), "EXPUNGE")


@asynccontextmanager
async def reply_mailbox(settings: Settings, folders: Sequence[str]) -> AsyncIterator[Mailbox]:
    """The reply mailbox signed in, its folders made, its inbox selected."""
    host, port = settings.reply_imap_host, settings.reply_imap_port
    if settings.reply_imap_security == "tls":
        client: aioimaplib.IMAP4 = aioimaplib.IMAP4_SSL(
            host, port, timeout=30, ssl_context=ssl.create_default_context()
        )
    else:
        client = aioimaplib.IMAP4(host, port, timeout=30)
    try:
        await client.wait_hello_from_server()
        if settings.reply_imap_security == "starttls":
            await _starttls(client, host)
        await _sign_in(client, settings)
        await client.protocol.capability()  # the capabilities of a signed-in session
        separator = await _separator(client)
        names = {folder: _folder_name(folder, separator) for folder in folders}
        for name in names.values():
            await client.create(name)  # refused when it exists: that is fine
        _ok(await client.select("INBOX"), "SELECT")
    except (aioimaplib.AioImapException, TimeoutError, OSError) as exc:  # OSError: refused, TLS
        close(client)
        raise MailboxUnavailable(f"reply mailbox {host}:{port}: {exc}") from exc
    try:
        yield Mailbox(client, names)
    except (aioimaplib.AioImapException, TimeoutError, ConnectionError) as exc:
        raise MailboxUnavailable(f"reply mailbox {host}:{port}: {exc}") from exc
    finally:
        try:
            await client.logout()
        except (aioimaplib.AioImapException, TimeoutError, OSError):
            log.debug("the reply mailbox closed before logout")
        close(client)


def close(client: aioimaplib.IMAP4) -> None:
    """Close our end now: the server's close after LOGOUT may arrive after the loop ends."""
    transport = getattr(client.protocol, "transport", None)
    if transport is not None and not transport.is_closing():
        transport.close()


async def _starttls(client: aioimaplib.IMAP4, host: str) -> None:
    """aioimaplib 2.0 has no STARTTLS: ask for it, then wrap the connection ourselves."""
    protocol = client.protocol
    command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
    _ok(await protocol.execute(command), "STARTTLS")
    transport = await asyncio.get_running_loop().start_tls(
        protocol.transport, protocol, ssl.create_default_context(), server_hostname=host
    )
    protocol.transport = transport
    await protocol.capability()


async def _sign_in(client: aioimaplib.IMAP4, settings: Settings) -> None:
    user = settings.reply_imap_username
    if settings.reply_imap_password:
        _ok(await client.login(user, settings.reply_imap_password), "LOGIN")
        return
    token = await oauth_token(settings)
    protocol = client.protocol
    command = _XOAuth2(protocol, user, token)
    _ok(await asyncio.wait_for(protocol.execute(command, scrub=token), 30), "XOAUTH2")
    protocol.state = aioimaplib.AUTH


class _XOAuth2(aioimaplib.Command):
    """AUTHENTICATE XOAUTH2. aioimaplib's own leaves a refusal hanging: the server sends its
    error as a challenge and waits for an empty answer before it says NO."""

    def __init__(self, protocol: Any, user: str, token: str) -> None:
        sasl = base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()).decode()
        super().__init__("AUTHENTICATE", protocol.new_tag(), "XOAUTH2", sasl, loop=protocol.loop)
        self.protocol = protocol

    def append_to_resp(self, line: bytes, result: str = "Pending") -> None:
        if line.startswith(b"+"):
            self.protocol.transport.write(b"\r\n")
        super().append_to_resp(line, result)


async def oauth_token(settings: Settings) -> str:
    """An OAuth2 access token for XOAUTH2: from a command's stdout, or from Entra ID."""
    if settings.reply_oauth_token_command:
        process = await asyncio.create_subprocess_exec(
            *shlex.split(settings.reply_oauth_token_command),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        if process.returncode != 0 or not stdout.strip():
            raise MailboxUnavailable(f"the token command failed: {stderr.decode()[-300:]}")
        return stdout.decode().strip()
    return await asyncio.to_thread(_entra_token, settings)


_entra_apps: dict[tuple[str, str], Any] = {}


def _entra_token(settings: Settings) -> str:
    import msal

    key = (settings.reply_oauth_tenant_id, settings.reply_oauth_client_id)
    if key not in _entra_apps:  # one app per process: msal keeps the token until it expires
        _entra_apps[key] = msal.ConfidentialClientApplication(
            settings.reply_oauth_client_id,
            authority=f"https://login.microsoftonline.com/{settings.reply_oauth_tenant_id}",
            client_credential=settings.reply_oauth_client_secret,
        )
    result = _entra_apps[key].acquire_token_for_client(scopes=[EXCHANGE_SCOPE])
    if "access_token" not in result:
        raise MailboxUnavailable(f"Entra ID gave no token: {result.get('error_description')}")
    return str(result["access_token"])


async def _separator(client: aioimaplib.IMAP4) -> str:
    """The server's hierarchy separator: the folder settings are written with '/'."""
    response = await client.list('""', '""')
    for line in response.lines:  # (\Noselect) "/" ""
        parts = line.decode(errors="replace").split('"')
        if line.startswith(b"(") and len(parts) >= 3 and len(parts[1]) == 1:
            return parts[1]
    return "/"


def _folder_name(name: str, separator: str) -> str:
    encoded = _modified_utf7(name.strip("/").replace("/", separator))
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _modified_utf7(name: str) -> str:
    """IMAP's folder-name encoding (RFC 3501 5.1.3), so "Behandlet/Uleselige" may hold æøå."""
    out, pending = [], ""

    def flush() -> None:
        nonlocal pending
        if pending:
            data = base64.b64encode(pending.encode("utf-16-be")).decode().rstrip("=")
            out.append("&" + data.replace("/", ",") + "-")
            pending = ""

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending += char
    flush()
    return "".join(out)


def _ok(response: Any, command: str) -> Any:
    if response.result != "OK":
        detail = b" ".join(line for line in response.lines if isinstance(line, bytes))
        raise MailboxUnavailable(f"{command} refused: {detail.decode(errors='replace')}")
    return response

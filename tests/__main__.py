"""The test command: `python -m tests [pytest arguments]`.

Runs ruff, mypy and hadolint, starts a throwaway PostgreSQL server and a throwaway Dovecot
IMAP server (installing them with apt-get when they are missing and we run as root), makes
sure Chromium is there for the page tests, then runs pytest once over both databases. In CI
(CI=true) or with --require-postgres, a missing PostgreSQL, Dovecot or Chromium fails the
run instead of being skipped.
"""

from __future__ import annotations

import base64
import contextlib
import glob
import grp
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def say(message: str) -> None:
    print(f"[tests] {message}", flush=True)


def run(*command: str, **kwargs: object) -> int:
    say(" ".join(command))
    return subprocess.call(command, cwd=ROOT, **kwargs)  # type: ignore[call-overload]


def is_root() -> bool:
    return os.geteuid() == 0


def apt_install(*packages: str) -> None:
    if not is_root() or not shutil.which("apt-get"):
        return
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    say(f"installing {' '.join(packages)} with apt-get")
    subprocess.call(["apt-get", "update", "-qq"], env=env)
    subprocess.call(
        ["apt-get", "install", "-y", "-qq", *packages], env=env, stdout=subprocess.DEVNULL
    )


def postgres_bin() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def throwaway_postgres(required: bool) -> Iterator[str | None]:
    """A PostgreSQL server in a temporary folder, on a free port; its URL, or None."""
    bindir = postgres_bin()
    if bindir is None:
        apt_install("postgresql")
        bindir = postgres_bin()
    if bindir is None:
        if required:
            sys.exit("[tests] PostgreSQL is required but its server is not installed.")
        say(
            "PostgreSQL server not found: the PostgreSQL half is SKIPPED. Install the "
            "`postgresql` package (or run as root, which installs it) to run it."
        )
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="medvirkning-pg-"))
    as_user: list[str] = []
    if is_root():  # initdb refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            subprocess.check_call(["useradd", "--system", "--no-create-home", "postgres"])
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    try:
        subprocess.check_call(
            [
                *as_user,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            stdout=subprocess.DEVNULL,
        )
        subprocess.check_call(
            [
                *as_user,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-l",
                str(folder / "server.log"),
                "start",
            ],
            stdout=subprocess.DEVNULL,
        )
    except subprocess.CalledProcessError:
        log = folder / "server.log"
        if log.exists():
            print(log.read_text(), file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)
        if required:
            sys.exit("[tests] PostgreSQL is required but the throwaway server did not start.")
        say("the throwaway PostgreSQL server did not start: the PostgreSQL half is SKIPPED.")
        yield None
        return
    say(f"throwaway PostgreSQL on 127.0.0.1:{port}")
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.call(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(folder, ignore_errors=True)


DOVECOT = "/usr/sbin/dovecot"
DOVECOT_CONF = """\
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
auth_mechanisms = plain login xoauth2
# XOAUTH2 as Exchange Online asks for it: a token signed with the key in keys/ (HS256).
passdb {{
  driver = oauth2
  mechanisms = xoauth2
  args = {folder}/oauth2.conf
}}
# Any user name logs in with the one password: each test takes a fresh user, so a fresh mailbox.
passdb {{
  driver = static
  mechanisms = plain login
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={folder}/mail/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    user = {user}
  }}
  unix_listener stats-writer {{
    user = {user}
  }}
}}
"""


def _self_signed(folder: Path) -> Path | None:
    """A certificate for 127.0.0.1, so the tests reach Dovecot over TLS; None without openssl."""
    if not shutil.which("openssl"):
        return None
    certificate = folder / "cert.pem"
    made = subprocess.call(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(folder / "key.pem"), "-out", str(certificate),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return certificate if made == 0 else None


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def throwaway_dovecot(required: bool) -> Iterator[dict[str, str]]:
    """A Dovecot IMAP server in a temporary folder, on a free port: the test environment
    variables that name it, or none when it is not installed."""
    if not Path(DOVECOT).exists():
        apt_install("dovecot-imapd")
    if not Path(DOVECOT).exists():
        if required:
            sys.exit("[tests] Dovecot is required for the reply-mailbox tests but is missing.")
        say(
            "Dovecot not found: the reply-mailbox tests are SKIPPED. Install the "
            "`dovecot-imapd` package (or run as root, which installs it) to run them."
        )
        yield {}
        return
    # Dovecot runs its every process as one unprivileged user: nobody when we are root.
    account = pwd.getpwnam("nobody") if is_root() else pwd.getpwuid(os.geteuid())
    user, group = account.pw_name, grp.getgrgid(account.pw_gid).gr_name
    folder = Path(tempfile.mkdtemp(prefix="medvirkning-dovecot-"))
    port, password = free_port(), "hemmelig"
    tls_port, certificate = free_port(), _self_signed(folder)
    ssl = f"ssl = yes\nssl_cert = <{certificate}\nssl_key = <{folder / 'key.pem'}"
    oauth_key = base64.b64encode(secrets.token_bytes(32)).decode()
    keys = folder / "keys" / "default" / "HS256"
    keys.mkdir(parents=True)
    (keys / "default").write_text(oauth_key)
    (folder / "oauth2.conf").write_text(
        f"introspection_mode = local\nlocal_validation_key_dict = fs:posix:prefix={folder}/keys/\n"
        "username_attribute = email\n"
    )
    config = folder / "dovecot.conf"
    config.write_text(
        DOVECOT_CONF.format(
            folder=folder,
            user=user,
            group=group,
            password=password,
            port=port,
            tls_port=tls_port if certificate else 0,
            ssl=ssl if certificate else "ssl = no",
        )
    )
    as_user = ["runuser", "-u", user, "--"] if is_root() else []
    if is_root():
        subprocess.check_call(["chown", "-R", user, str(folder)])
    started = subprocess.call([*as_user, DOVECOT, "-c", str(config)]) == 0
    deadline = time.monotonic() + 10
    while started and not _listening(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not started or not _listening(port):
        log = folder / "dovecot.log"
        if log.exists():
            print(log.read_text(), file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)
        if required:
            sys.exit("[tests] Dovecot is required but the throwaway server did not start.")
        say("the throwaway Dovecot did not start: the reply-mailbox tests are SKIPPED.")
        yield {}
        return
    say(f"throwaway Dovecot IMAP on 127.0.0.1:{port}")
    try:
        yield {
            "MEDVIRKNING_TEST_IMAP_HOST": "127.0.0.1",
            "MEDVIRKNING_TEST_IMAP_PORT": str(port),
            "MEDVIRKNING_TEST_IMAP_PASSWORD": password,
            "MEDVIRKNING_TEST_IMAP_OAUTH_KEY": oauth_key,
            # The same server over TLS (and STARTTLS on the first port), signed by this file.
            "MEDVIRKNING_TEST_IMAP_TLS_PORT": str(tls_port) if certificate else "",
            "MEDVIRKNING_TEST_IMAP_CA_FILE": str(certificate or ""),
        }
    finally:
        subprocess.call([*as_user, DOVECOT, "-c", str(config), "stop"])
        shutil.rmtree(folder, ignore_errors=True)


def ensure_chromium(required: bool) -> bool:
    if not Path(CHROMIUM).exists():
        apt_install("chromium")
    if Path(CHROMIUM).exists():
        return True
    if required:
        sys.exit("[tests] Chromium is required for the page tests but is not installed.")
    say("Chromium not found: the browser tests are SKIPPED (apt-get install chromium).")
    return False


def ensure_node(required: bool) -> None:
    """Node reads our invitations with ical.js, the parser inside Thunderbird."""
    if not shutil.which("node") or not shutil.which("npm"):
        apt_install("nodejs", "npm")
    if shutil.which("node") and shutil.which("npm"):
        return
    if required:
        sys.exit("[tests] Node.js and npm are required for the ical.js tests but are missing.")
    say("Node.js not found: the ical.js half of the calendar tests is SKIPPED.")


def ensure_pango() -> None:
    """WeasyPrint (the PDF/A export) loads Pango from the system."""
    import ctypes.util

    if not ctypes.util.find_library("pango-1.0"):
        apt_install("libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core")


def main(argv: list[str]) -> int:
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    required = ci or "--require-postgres" in argv
    pytest_args = [a for a in argv if a != "--require-postgres"]
    checks = [
        ("ruff", "format", "--check", "."),
        ("ruff", "check", "."),
        ("mypy",),
        ("hadolint", "Dockerfile"),
    ]
    bindir = Path(sys.executable).parent
    for check in checks:
        if run(str(bindir / check[0]), *check[1:]) != 0:
            say(f"{check[0]} failed")
            return 1
    browser = ensure_chromium(required)
    ensure_node(required)
    ensure_pango()
    with throwaway_postgres(required) as postgres_url, throwaway_dovecot(required) as imap:
        env = (
            os.environ
            | imap
            | {
                "MEDVIRKNING_TEST_POSTGRES_URL": postgres_url or "",
                "MEDVIRKNING_TEST_REQUIRE_POSTGRES": "1" if required else "0",
                "MEDVIRKNING_TEST_CHROMIUM": CHROMIUM if browser else "",
                "MEDVIRKNING_TEST_REQUIRE_BROWSER": "1" if required else "0",
                "MEDVIRKNING_TEST_REQUIRE_IMAP": "1" if required else "0",
            }
        )
        # Two processes for the two cores, unless the caller chose (-n 0 runs in one).
        parallel = [] if any(a.startswith("-n") for a in pytest_args) else ["-n", "2"]
        code = run(sys.executable, "-m", "pytest", *parallel, *pytest_args, env=env)
    if code == 5:
        say("pytest collected no tests: that is a failure.")
        return 1
    if code == 0 and not postgres_url:
        say("passed on SQLite only: the PostgreSQL half was SKIPPED.")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The README's Quick start: exactly two commands; the first runs the service from a clean copy."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^## Quick start\n.*?^```[^\n]*\n(.*?)^```", readme, re.S | re.M)
    assert block, "README has no Quick start code block"
    return [
        line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")
    ]


def test_quick_start_has_the_run_command_then_the_test_command():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert commands[0].endswith("medvirkning run")
    assert commands[1].endswith("python -m tests")
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci


def clean_copy(target: Path) -> Path:
    """The files git knows of, as a fresh clone would have them (uncommitted edits included)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def start(command: str, cwd: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEDVIRKNING_", "VIRTUAL_ENV"))}
    env["MEDVIRKNING_PORT"] = str(port)
    return subprocess.Popen(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_healthy(process: subprocess.Popen[str], base: str) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError("the service did not become healthy")


def stop(process: subprocess.Popen[str]) -> str:
    os.killpg(process.pid, signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    return out


def counts(browser: httpx.Client) -> dict[str, int]:
    return {
        slug: browser.get(f"/api/{slug}", params={"include_inactive": True, "total": True}).json()[
            "total"
        ]
        for slug in ["municipalities", "organisations", "phases", "milestones", "risk-factors"]
    }


def sign_in_link(mail_folder: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for path in mail_folder.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            if match := re.search(r"(http://\S+/logg-inn/\S+)", text):
                return match.group(1)
        time.sleep(0.2)
    raise AssertionError("no sign-in e-mail in the mail folder")


def sign_in(base: str, mail_folder: Path, address: str) -> httpx.Client:
    """As a person does: ask for a link, open the e-mail, follow the link, press the button."""
    browser = httpx.Client(base_url=base, timeout=10)
    browser.get("/logg-inn")
    asked = browser.post(
        "/logg-inn",
        data={"email": address, "_csrf_token": browser.cookies["csrftoken"]},
        follow_redirects=True,  # to the page that says the link is on its way
    )
    assert "Sjekk e-posten din" in asked.text
    link = sign_in_link(mail_folder)
    assert "Logg inn" in browser.get(link).text
    used = browser.post(link, data={"_csrf_token": browser.cookies["csrftoken"]})
    assert used.status_code == 303
    return browser


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to list the files")
def test_first_command_serves_the_seeded_registers_and_a_restart_loads_nothing_twice(tmp_path):
    run_command = quick_start_commands()[0]
    copy = clean_copy(tmp_path / "medvirkning")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"

    first = start(run_command, copy, port)
    try:
        wait_healthy(first, base)
        made = subprocess.run(
            [
                ".venv/bin/medvirkning",
                "create-admin",
                "--name",
                "Pia Prosjektleder",
                "--email",
                "pia@kongsbergregionen.no",
            ],
            cwd=copy,
            capture_output=True,
            text=True,
            check=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("MEDVIRKNING_")},
        )
        assert "is now an admin" in made.stdout
        browser = sign_in(base, copy / "data" / "mail", "pia@kongsbergregionen.no")
        seeded = counts(browser)
        page = browser.get("/admin/municipalities")
        assert "Hjartdal" in page.text
        assert "Rollag" in page.text
    finally:
        out = stop(first)
    assert "create-admin" in out  # it told the newcomer how to get in
    assert seeded["municipalities"] == 8
    assert seeded["phases"] == 3
    assert seeded["risk-factors"] == 5
    assert seeded["milestones"] > 20
    assert "127.0.0.1" in out
    assert (copy / "data" / "medvirkning.sqlite3").exists()

    second = start(run_command, copy, port)
    try:
        wait_healthy(second, base)
        again = counts(browser)  # the session survives a restart
    finally:
        out = stop(second)
    browser.close()
    assert "0 seed records loaded" in out
    assert "/logg-inn" in out
    assert again == seeded

"""The README's Quick start: exactly two commands; the first runs the service from a clean copy."""

from __future__ import annotations

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


def counts(base: str) -> dict[str, int]:
    return {
        slug: httpx.get(f"{base}/api/{slug}", params={"include_inactive": True}).json()["total"]
        for slug in ["municipalities", "organisations", "phases", "milestones", "risk-factors"]
    }


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
        seeded = counts(base)
        page = httpx.get(f"{base}/admin/municipalities")
        assert "Hjartdal" in page.text
        assert "Rollag" in page.text
    finally:
        out = stop(first)
    assert seeded["municipalities"] == 8
    assert seeded["phases"] == 3
    assert seeded["risk-factors"] == 5
    assert seeded["milestones"] > 20
    assert "127.0.0.1" in out
    assert (copy / "data" / "medvirkning.sqlite3").exists()

    second = start(run_command, copy, port)
    try:
        wait_healthy(second, base)
        again = counts(base)
    finally:
        out = stop(second)
    assert "0 seed records loaded" in out
    assert again == seeded

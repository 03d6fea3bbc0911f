"""`medvirkning run --workers N`: several server processes on PostgreSQL, refused on SQLite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from medvirkning.cli import main
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_several_workers_are_refused_on_sqlite(tmp_path):
    env = {"MEDVIRKNING_DATA_DIR": str(tmp_path)}
    for args, extra in ((["run", "--workers", "2"], {}), (["run"], {"MEDVIRKNING_WORKERS": "3"})):
        result = CliRunner().invoke(main, args, env=env | extra)
        assert result.exit_code == 1, result.output
        assert "need PostgreSQL" in result.output
        assert "Medvirkning runs at" not in result.output


def _workers_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [
        int(child)
        for child in children
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()  # not its tracker
    ]


def test_two_workers_serve_on_postgresql(settings, tmp_path):
    if settings.is_sqlite:
        pytest.skip("several workers need PostgreSQL (the refusal on SQLite is tested above)")
    port = free_port()
    env = os.environ | {
        "MEDVIRKNING_DATA_DIR": str(tmp_path / "run"),
        "MEDVIRKNING_DATABASE_URL": settings.database_url,
        "MEDVIRKNING_PORT": str(port),
        "MEDVIRKNING_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "medvirkning", "run", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while len(_workers_of(process.pid)) < 2 or not _healthy(base):
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "two workers did not start"
            time.sleep(0.2)
        assert len(_workers_of(process.pid)) == 2
        answers = [httpx.get(f"{base}/health", timeout=5).json()["status"] for _ in range(6)]
        assert answers == ["ok"] * 6
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.communicate(timeout=30)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False

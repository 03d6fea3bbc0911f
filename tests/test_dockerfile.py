"""The Dockerfile: linted by hadolint (from PyPI), slim, non-root, migrates then serves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_hadolint_finds_nothing():
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([str(hadolint), "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_slim_runs_as_a_user_and_checks_its_health():
    text = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in text
    assert "\nUSER 10001\n" in text
    assert "HEALTHCHECK" in text
    assert "/health" in text
    assert 'CMD ["medvirkning", "run"]' in text

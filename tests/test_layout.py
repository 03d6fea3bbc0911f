"""The layout rules that keep the code where the README says it is."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_SURVEYS = ("medvirkning", "litestar", "sqlalchemy")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_survey_engine_imports_nothing_from_the_service_the_framework_or_the_orm():
    offending = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted((ROOT / "surveys").rglob("*.py"))
        for name in _imported_modules(path)
        if name.split(".")[0] in FORBIDDEN_IN_SURVEYS
    ]
    assert offending == []


def test_the_check_sees_an_import_of_the_service(tmp_path):
    module = tmp_path / "engine.py"
    module.write_text("from medvirkning.db import Db\nimport litestar\n", encoding="utf-8")
    assert _imported_modules(module) == {"medvirkning.db", "litestar"}


def test_no_module_of_ours_is_over_about_400_lines():
    long = [
        f"{path.relative_to(ROOT)}: {lines}"
        for path in sorted(
            [*(ROOT / "medvirkning").rglob("*.py"), *(ROOT / "surveys").rglob("*.py")]
        )
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > 420
    ]
    assert long == []

"""Every benchmark in `tests/bench/` runs at a tiny size, so none can silently break.

Figures are only checked to exist: timing belongs to `python -m tests.bench`, not to tests."""

from __future__ import annotations

import math

from tests.bench.__main__ import bench_import, bench_list
from tests.bench.invitations import bench_invitations
from tests.bench.serving import bench_serving, load_client, trivial


def assert_figures(figures: dict[str, float]) -> None:
    assert figures["ratio"] > 0
    assert all(math.isfinite(value) and value > 0 for value in figures.values()), figures


async def test_the_import_benchmark_runs_and_gives_its_ratio(tmp_path, capsys):
    assert_figures(await bench_import(tmp_path, people=20, rounds=1))
    assert "import 20 people from CSV" in capsys.readouterr().out


async def test_the_people_list_benchmark_runs_signed_in_and_gives_its_ratio(tmp_path, capsys):
    assert_figures(await bench_list(tmp_path, people=20, rounds=2))
    assert "list 100 people x 2" in capsys.readouterr().out


async def test_the_invitation_benchmark_runs_and_gives_its_ratio(tmp_path, capsys):
    assert_figures(await bench_invitations(tmp_path, invitees=3))
    assert "invitations to 3" in capsys.readouterr().out


async def test_the_serving_benchmark_runs_under_load_and_gives_its_ratios(
    database_url, tmp_path, capsys
):
    client = load_client()
    a = (await trivial(1, client, ("trivial",)))["trivial"].rps
    figures = await bench_serving(tmp_path, database_url, a, seconds=1, people=20, client=client)
    assert_figures(figures)
    out = capsys.readouterr().out
    for name in ["API token", "limit=100, session", "/admin/municipalities, session"]:
        assert name in out, out
    assert "SQL statements a request" in out


async def test_the_anchoring_benchmark_runs_at_both_sizes(tmp_path, capsys):
    from tests.bench.anchoring import bench_anchoring

    figures = await bench_anchoring(tmp_path, factor=0.001, rounds=1)
    assert figures["sqlite_statements_1x"] == figures["sqlite_statements_10x"]
    assert_figures({"ratio": figures["ratio"], "peak": figures["sqlite_csv_mib_1x"]})
    assert "anchoring record on sqlite" in capsys.readouterr().out


async def test_the_survey_answers_benchmark_runs_under_load_and_gives_its_ratio(
    database_url, tmp_path, capsys
):
    from tests.bench.answers import bench_answers

    a = (await trivial(1, "httpx", ("trivial",)))["trivial"].rps
    assert_figures(await bench_answers(tmp_path, database_url, a, seconds=1, respondents=40))
    assert "answers through the service" in capsys.readouterr().out


async def test_the_survey_links_benchmark_runs_and_gives_its_ratio(tmp_path, capsys):
    from tests.bench.answers import bench_links

    assert_figures(await bench_links(tmp_path, recipients=4))
    assert "survey links to 4" in capsys.readouterr().out


async def test_the_survey_submit_profile_runs_and_counts_statements_and_calls(
    database_url, tmp_path, capsys
):
    from tests.bench.profile import survey_submit

    figures = await survey_submit(tmp_path, database_url, [], rounds=2)
    assert all(math.isfinite(value) and value > 0 for value in figures.values()), figures
    assert "survey submit, one at a time" in capsys.readouterr().out

"""The anchoring record compiled at 1x and 10x of (10,000 inputs, 1,000 meetings, 20,000
invitations, 50,000 survey answers, 8 municipalities), on SQLite and PostgreSQL.

Targets: the same number of SQL statements at both sizes; time at 10x at most 12 times the
time at 1x; the peak memory of the streamed learning-points CSV flat across the sizes.
`python -m tests.bench.anchoring [--factor F]` runs it alone."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, text

from medvirkning.anchoring.chapter import chapter_csv
from medvirkning.anchoring.record import compile_record
from medvirkning.inputs.models import (
    Decision,
    DecisionBody,
    DecisionMunicipality,
    FollowUp,
    Input,
    LearningPoint,
    LessonKind,
    SourceKind,
    StakeholderKind,
    Theme,
)
from medvirkning.meetings.models import Invitation, Meeting
from medvirkning.people.models import GroupKind
from medvirkning.plan.models import Phase, RiskFactor
from medvirkning.settings import Settings
from medvirkning.surveys.models import Survey, SurveyAnswer, SurveyVersion
from medvirkning.transaction import Database
from tests import scenario
from tests.__main__ import throwaway_postgres
from tests.bench.databases import fresh_database
from tests.bench.serving import postgres_database
from tests.bench.steady import steady_cpus

ONE_X = {
    "inputs": 10_000,
    "meetings": 1_000,
    "invitations": 20_000,
    "answers": 50_000,
    "learning_points": 2_000,
    "decisions": 500,
}
TIME_TARGET = 12.0
START = date(2023, 9, 1)
DAYS = 1_150  # from the first phase's start to the autumn of 2026
CHUNK = 5_000


async def _chunked(db: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await db.execute(insert(model), rows[start : start + CHUNK])


async def fill(database: Database, sizes: dict[str, int]) -> None:
    """Bulk rows spread over the 8 municipalities and the three phases."""
    async with database.transaction() as db:
        municipalities = list((await scenario.municipality_ids(db)).values())
        people = [
            p for m in municipalities for p in await scenario.add_people(db, 20, m, prefix=f"k{m}")
        ]
        await scenario.add_group(
            db,
            f"Referansegruppe {uuid.uuid4().hex[:6]}",
            people,
            GroupKind.REFERENCE_GROUP,
            starts_on=START,
        )
        per_meeting = max(1, sizes["invitations"] // max(1, sizes["meetings"]))
        meetings = [
            {
                "uid": f"{uuid.uuid4()}@bench",
                "title": f"Møte {n}",
                "starts_at": datetime(2023, 9, 1, 9, tzinfo=UTC) + timedelta(days=n % DAYS),
                "ends_at": datetime(2023, 9, 1, 10, tzinfo=UTC) + timedelta(days=n % DAYS),
            }
            for n in range(sizes["meetings"])
        ]
        ids = list(
            await db.scalars(
                insert(Meeting).returning(Meeting.id, sort_by_parameter_order=True), meetings
            )
        )
        await _chunked(
            db,
            Invitation,
            [
                {
                    "meeting_id": meeting_id,
                    "person_id": people[(n * 7 + j) % len(people)],
                    "attended": (n + j) % 3 != 0,
                }
                for n, meeting_id in enumerate(ids)
                for j in range(per_meeting)
            ],
        )
        theme = await db.scalar(select(Theme.id).limit(1))
        statuses = list(FollowUp)
        await _chunked(
            db,
            Input,
            [
                {
                    "text": f"Innspill {n}",
                    "stakeholder_kind": StakeholderKind.STAFF,
                    "municipality_id": municipalities[n % 8],
                    "theme_id": theme,
                    "source_kind": SourceKind.OTHER,
                    "received_on": START + timedelta(days=n % DAYS),
                    "status": statuses[n % 4],
                    "reference": "Krav 1",
                    "reason": "Utenfor omfang",
                }
                for n in range(sizes["inputs"])
            ],
        )
        survey = await db.scalar(
            insert(Survey)
            .values(title="Medarbeiderundersøkelse", opens_at=datetime(2024, 1, 10, tzinfo=UTC))
            .returning(Survey.id)
        )
        version = await db.scalar(
            insert(SurveyVersion)
            .values(survey_id=survey, number=1, definition="{}")
            .returning(SurveyVersion.id)
        )
        await _chunked(
            db,
            SurveyAnswer,
            [
                {
                    "id": uuid.uuid4().hex,
                    "survey_version_id": version,
                    "municipality_id": municipalities[n % 8],
                    "answered_on": date(2024, 1, 15),
                    "answers": "{}",
                }
                for n in range(sizes["answers"])
            ],
        )
        decisions = list(
            await db.scalars(
                insert(Decision).returning(Decision.id, sort_by_parameter_order=True),
                [
                    {
                        "body": DecisionBody.COUNCIL,
                        "decided_on": START + timedelta(days=n % DAYS),
                        "title": f"Vedtak {n}",
                    }
                    for n in range(sizes["decisions"])
                ],
            )
        )
        # Each decision concerns one to three municipalities in turn.
        await _chunked(
            db,
            DecisionMunicipality,
            [
                {"decision_id": decision_id, "municipality_id": municipalities[(n + j) % 8]}
                for n, decision_id in enumerate(decisions)
                for j in range(1 + n % 3)
            ],
        )
        phases = list(await db.scalars(select(Phase.id)))
        factors = list(await db.scalars(select(RiskFactor.id)))
        await _chunked(
            db,
            LearningPoint,
            [
                {
                    "kind": LessonKind.NEGATIVE,
                    "what_happened": f"=Læring {n}: " + "tekst " * 20,
                    "phase_id": phases[n % 3],
                    "risk_factor_id": factors[n % 5],
                    "recommendation": "Start tidlig",
                    "recorded_on": START + timedelta(days=n % DAYS),
                }
                for n in range(sizes["learning_points"])
            ],
        )


async def best_times(databases: dict[int, Database], rounds: int) -> dict[int, float]:
    """Each size's best compilation time, the sizes taking turns: a moment when the shared
    machine is slow then falls on both sizes, not on one."""
    best = dict.fromkeys(databases, float("inf"))
    for _ in range(rounds):
        for size, database in databases.items():
            async with database.sessions() as db:
                start = time.perf_counter()
                await compile_record(db, Settings())
                best[size] = min(best[size], time.perf_counter() - start)
    return best


async def statements_and_memory(database: Database) -> tuple[int, float]:
    """Statements one compilation sends, and the streamed CSV's peak memory (MiB)."""
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    async with database.sessions() as db:
        bind = (await db.connection()).engine.sync_engine
        event.listen(bind, "before_cursor_execute", count)
        await compile_record(db, Settings())
        event.remove(bind, "before_cursor_execute", count)
    tracemalloc.start()
    async for _chunk in chapter_csv(database):
        pass
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statements, peak


async def bench_anchoring(
    folder: Path, postgres_url: str | None = None, factor: float = 1.0, rounds: int = 5
) -> dict[str, float]:
    figures: dict[str, float] = {}
    for kind in ["sqlite", "postgresql"] if postgres_url else ["sqlite"]:
        databases: dict[int, Database] = {}
        try:
            for size in (1, 10):
                sizes = {k: max(1, int(v * factor * size)) for k, v in ONE_X.items()}
                name = f"anchoring{size}_{uuid.uuid4().hex[:6]}"
                url = (
                    await postgres_database(postgres_url, name)
                    if kind == "postgresql" and postgres_url
                    else await fresh_database(folder, name)
                )
                databases[size] = database = Database.connect(url)
                await fill(database, sizes)
                if kind == "postgresql":
                    # What autovacuum does within a minute of a bulk load: without it the
                    # planner guesses row counts, and the first size measured loses to chance.
                    async with database.sessions() as db, db.begin():
                        await db.execute(text("ANALYZE"))
            times = await best_times(databases, rounds)
            (s1, m1), (s10, m10) = [await statements_and_memory(databases[n]) for n in (1, 10)]
        finally:
            for database in databases.values():
                await database.close()
        t1, t10 = times[1], times[10]
        ratio = t10 / t1
        print(
            f"anchoring record on {kind}: {s1} SQL statements at 1x, {s10} at 10x "
            f"(target: the same); {t1 * 1000:.0f} ms at 1x, {t10 * 1000:.0f} ms at 10x (best "
            f"of {rounds}, the sizes taking turns), ratio {ratio:.2f} (target <= "
            f"{TIME_TARGET:g}); streamed CSV peak memory {m1:.1f} MiB at 1x, {m10:.1f} MiB at 10x"
        )
        figures |= {
            f"{kind}_ratio": ratio,
            f"{kind}_statements_1x": s1,
            f"{kind}_statements_10x": s10,
            f"{kind}_csv_mib_1x": m1,
            f"{kind}_csv_mib_10x": m10,
        }
    figures["ratio"] = figures["sqlite_ratio"]
    return figures


async def main(postgres_url: str | None, factor: float) -> None:
    with tempfile.TemporaryDirectory() as name:
        await bench_anchoring(Path(name), postgres_url, factor)


if __name__ == "__main__":
    # `--factor 0.1` runs at a tenth of the sizes (a shared machine's quick look).
    factor = float(sys.argv[sys.argv.index("--factor") + 1]) if "--factor" in sys.argv else 1.0
    with (
        steady_cpus(),
        throwaway_postgres(required="--require-postgres" in sys.argv) as postgres_url,
    ):
        asyncio.run(main(postgres_url, factor))

"""The JSON lists read plain rows instead of ORM objects: every register must list exactly
what its ORM objects gave, linked records, versions, filters, search and paging included."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select

from medvirkning.app import REGISTERS
from medvirkning.auth.access import Principal, UnionScope
from medvirkning.auth.models import Role
from medvirkning.inputs.models import (
    FollowUp,
    Input,
    LearningPoint,
    LessonKind,
    SourceKind,
    StakeholderKind,
    Theme,
)
from medvirkning.plan.models import Phase
from medvirkning.region.models import Organisation
from medvirkning.register import ListQuery, list_records, to_read
from medvirkning.register_rows import list_reads, plan_for
from tests.scenario import add_group, add_people, municipality_ids
from tests.support import database, sign_in_as


async def test_every_register_lists_by_rows_what_its_orm_objects_gave(client):
    await sign_in_as(client, Role.UNION_REP, union="Fagforbundet", municipality="Rollag")
    async with database(client) as db, db.begin():
        union = await db.scalar(select(Organisation.id).where(Organisation.name == "Fagforbundet"))
        kongsberg = (await municipality_ids(db))["Kongsberg"]
        people = await add_people(
            db, 6, kongsberg, each=lambda n: {"title": f"Rådgiver {n}", "union_id": union}
        )
        await add_group(db, "Referansegruppe lønn", people[:3], municipality_id=kongsberg)
        theme = await db.scalar(select(Theme.id).where(Theme.name == "Lønn"))
        phase = await db.scalar(select(Phase.id).order_by(Phase.number).limit(1))
        await db.execute(
            insert(Input).values(
                text="Lønnskjøring må testes",
                stakeholder_kind=StakeholderKind.UNION,
                municipality_id=kongsberg,
                theme_id=theme,
                phase_id=phase,
                source_kind=SourceKind.EMAIL,
                received_on=date(2025, 5, 2),
                status=FollowUp.RECEIVED,
            )
        )
        await db.execute(
            insert(LearningPoint).values(
                kind=LessonKind.POSITIVE,
                what_happened="Lokale møter i hver kommune",
                phase_id=phase,
                recorded_on=date(2025, 6, 1),
            )
        )
    readers = [
        Principal("admin", frozenset({Role.ADMIN})),
        Principal(
            "tillitsvalgt", frozenset({Role.UNION_REP}), union_scopes=(UnionScope(union, None),)
        ),
    ]
    queries = [
        ListQuery(limit=500),
        ListQuery(q="a", include_inactive=True, total=True, limit=3, offset=1),
    ]
    async with database(client) as db:
        for register in REGISTERS:
            assert plan_for(register) is not None, register.slug  # none falls back to the ORM
            for user in readers:
                for query in queries:
                    rows, total = await list_records(db, register, query, user)
                    expected = [to_read(register, row) for row in rows]
                    assert await list_reads(db, register, query, user) == (expected, total)
            everything, _ = await list_records(db, register, queries[0], readers[0])
            assert everything, f"{register.slug}: nothing to compare"
            for name, column in register.filters.items():  # ?group_id=3
                row = everything[-1]
                # On a many-to-many field (a decision's municipalities) one of the row's ids.
                many = not hasattr(row, column.key)
                value = getattr(row, f"{column.key}s")[-1] if many else getattr(row, column.key)
                query = ListQuery(filters={name: value})
                rows, _ = await list_records(db, register, query, readers[0])
                expected = [to_read(register, row) for row in rows]
                assert await list_reads(db, register, query, readers[0]) == (expected, None)

"""The JSON lists read plain rows instead of ORM objects: every register must list exactly
what its ORM objects gave, linked records, versions, filters, search and paging included."""

from __future__ import annotations

from sqlalchemy import select

from medvirkning.app import REGISTERS
from medvirkning.auth.access import Principal, UnionScope
from medvirkning.auth.models import Role
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
                query = ListQuery(filters={name: getattr(everything[-1], column.key)})
                rows, _ = await list_records(db, register, query, readers[0])
                expected = [to_read(register, row) for row in rows]
                assert await list_reads(db, register, query, readers[0]) == (expected, None)

"""The theme, input, decision and learning-point registers."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.access import ADMIN, ADMIN_AND_STEERING, EVERYONE, allow
from medvirkning.auth.models import Role
from medvirkning.errors import FieldError
from medvirkning.formats import date_no
from medvirkning.inputs.models import (
    Decision,
    DecisionMunicipality,
    FollowUp,
    Input,
    LearningPoint,
    SourceKind,
    Theme,
)
from medvirkning.inputs.schemas import (
    DecisionCreate,
    DecisionRead,
    DecisionUpdate,
    InputCreate,
    InputRead,
    InputUpdate,
    LearningPointCreate,
    LearningPointRead,
    LearningPointUpdate,
    ThemeCreate,
    ThemeRead,
    ThemeUpdate,
)
from medvirkning.people.models import Group
from medvirkning.people.registers import group_options
from medvirkning.plan.models import Phase, RiskFactor
from medvirkning.plan.registers import phase_options
from medvirkning.region.models import Municipality
from medvirkning.region.registers import municipality_options
from medvirkning.register import Column, FormField, Register, Unique, Values, must_exist, options
from medvirkning.register_links import must_all_exist

MEMBERS_TOO = allow(Role.ADMIN, Role.MEMBER)
READ_LEARNING = allow(Role.ADMIN, Role.STEERING, Role.MEMBER)


async def theme_options(db: AsyncSession) -> list[tuple[str, str]]:
    return await options(db, Theme, lambda t: t.name, order_by=Theme.name)


async def risk_factor_options(db: AsyncSession) -> list[tuple[str, str]]:
    return await options(
        db, RiskFactor, lambda r: f"{r.number}. {r.risk}", order_by=RiskFactor.number
    )


def _short(text: str, length: int = 80) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


async def _input_rules(db: AsyncSession, values: Values, before: Any) -> list[FieldError]:
    errors = await must_exist(db, Theme, values, before, "theme_id", "Velg et tema som finnes.")
    errors += await must_exist(
        db, Municipality, values, before, "municipality_id", "Velg en kommune som finnes."
    )
    errors += await must_exist(db, Group, values, before, "group_id", "Velg en gruppe som finnes.")
    errors += await must_exist(db, Phase, values, before, "phase_id", "Velg en fase som finnes.")
    status = values.get("status")
    if status == FollowUp.TAKEN_IN and not values.get("reference"):
        message = "Skriv hvor innspillet er tatt inn: et krav, planen eller et vedtak."
        errors.append(FieldError("reference", message))
    if status == FollowUp.REJECTED and not values.get("reason"):
        errors.append(FieldError("reason", "Skriv hvorfor innspillet er avvist."))
    from_point = before is not None and before.meeting_point_id is not None
    if values.get("source_kind") == SourceKind.MEETING_POINT and not from_point:
        message = "Et punkt fra et møte registreres fra møtesiden, med «Registrer som innspill»."
        errors.append(FieldError("source_kind", message))
    return errors


async def _decision_rules(db: AsyncSession, values: Values, before: Any) -> list[FieldError]:
    return await must_all_exist(
        db,
        Municipality,
        values,
        before,
        "municipality_ids",
        "Velg kommuner som finnes.",
        "Velg minst én kommune vedtaket gjelder.",
    )


async def _learning_rules(db: AsyncSession, values: Values, before: Any) -> list[FieldError]:
    errors = await must_exist(db, Phase, values, before, "phase_id", "Velg en fase som finnes.")
    return errors + await must_exist(
        db, RiskFactor, values, before, "risk_factor_id", "Velg en risikofaktor som finnes."
    )


THEMES = Register(
    slug="themes",
    title="Temaer for innspill",
    singular="tema",
    model=Theme,
    create=ThemeCreate,
    update=ThemeUpdate,
    read=ThemeRead,
    search=(Theme.name,),
    order_by=(Theme.name,),
    columns=(Column("Tema", lambda t: t.name),),
    fields=(FormField("name", "Navn"),),
    unique=(Unique("name", "Det finnes allerede et tema med dette navnet.", ignore_case=True),),
    read_access=EVERYONE,
    label=lambda t: t.name,
    new_label="Nytt tema",
)

INPUTS = Register(
    slug="inputs",
    title="Innspill",
    singular="innspill",
    model=Input,
    create=InputCreate,
    update=InputUpdate,
    read=InputRead,
    search=(Input.text, Input.reference, Input.source_note),
    order_by=(Input.received_on.desc(), Input.id.desc()),
    columns=(
        Column("Mottatt", lambda i: date_no(i.received_on)),
        Column("Innspill", lambda i: _short(i.text)),
        Column("Kommune", lambda i: i.municipality.name if i.municipality else "Hele regionen"),
        Column("Tema", lambda i: i.theme.name),
        Column("Oppfølging", lambda i: i.status.label),
    ),
    fields=(
        FormField("text", "Hva ble sagt", kind="textarea"),
        FormField("stakeholder_kind", "Hvem sa det", kind="select"),
        FormField(
            "municipality_id",
            "Kommune",
            kind="select",
            options=municipality_options,
            hint="La stå tom når innspillet gjelder hele regionen.",
        ),
        FormField("group_id", "Gruppe", kind="select", options=group_options),
        FormField("theme_id", "Tema", kind="select", options=theme_options),
        FormField("phase_id", "Fase", kind="select", options=phase_options),
        FormField("source_kind", "Kilde", kind="select"),
        FormField(
            "source_note",
            "Om kilden",
            hint="For eksempel emnet i e-posten, drøftingen eller spørsmålet i undersøkelsen.",
        ),
        FormField("received_on", "Mottatt", kind="date", hint="La stå tom for i dag."),
        FormField("status", "Oppfølging", kind="select"),
        FormField(
            "reference",
            "Tatt inn i",
            hint="Når innspillet er tatt inn: kravet, planen eller vedtaket, med nummer.",
        ),
        FormField("reason", "Begrunnelse", kind="textarea", hint="Når innspillet er avvist."),
    ),
    rules=(_input_rules,),
    filters={
        "municipality_id": Input.municipality_id,
        "group_id": Input.group_id,
        "theme_id": Input.theme_id,
        "status": Input.status,
    },
    read_access=ADMIN_AND_STEERING,
    label=lambda i: f"innspill {i.id}",
    new_label="Nytt innspill",
)

DECISIONS = Register(
    slug="decisions",
    title="Vedtak",
    singular="vedtak",
    model=Decision,
    create=DecisionCreate,
    update=DecisionUpdate,
    read=DecisionRead,
    search=(Decision.title, Decision.summary, Decision.case_number),
    order_by=(Decision.decided_on.desc(), Decision.id),
    columns=(
        Column("Dato", lambda d: date_no(d.decided_on)),
        Column("Organ", lambda d: d.body.label),
        Column("Saksnr.", lambda d: d.case_number),
        Column("Sak", lambda d: d.title),
        Column("Gjelder", lambda d: d.concerns),
    ),
    fields=(
        FormField("body", "Organ", kind="select"),
        FormField("decided_on", "Dato", kind="date"),
        FormField("case_number", "Saksnummer", hint="For eksempel 035/23."),
        FormField("title", "Sak"),
        FormField("summary", "Vedtaket kort", kind="textarea"),
        FormField(
            "municipality_ids",
            "Kommunene vedtaket gjelder",
            kind="checkboxes",
            options=municipality_options,
            hint="Kryss av alle åtte når vedtaket gjelder hele regionen.",
        ),
        FormField("document_url", "Lenke til dokumentet", kind="url"),
    ),
    rules=(_decision_rules,),
    # A municipality's decisions: those whose set includes it.
    filters={"municipality_id": DecisionMunicipality.municipality_id, "body": Decision.body},
    read_access=EVERYONE,
    write_access=ADMIN,
    label=lambda d: d.title,
    new_label="Nytt vedtak",
)

LEARNING_POINTS = Register(
    slug="learning-points",
    title="Læringspunkter",
    singular="læringspunkt",
    model=LearningPoint,
    create=LearningPointCreate,
    update=LearningPointUpdate,
    read=LearningPointRead,
    search=(LearningPoint.what_happened, LearningPoint.recommendation),
    order_by=(LearningPoint.recorded_on.desc(), LearningPoint.id.desc()),
    columns=(
        Column("Registrert", lambda p: date_no(p.recorded_on)),
        Column("Fase", lambda p: p.phase.number),
        Column("Hva skjedde", lambda p: _short(p.what_happened)),
        Column("Prioritet", lambda p: p.priority.label),
    ),
    fields=(
        FormField("kind", "Type erfaring", kind="select"),
        FormField("what_happened", "Hva skjedde", kind="textarea"),
        FormField("cause", "Årsak", kind="textarea"),
        FormField("effect", "Virkning", kind="textarea"),
        FormField("warning_signs", "Tidlige varsler", kind="textarea"),
        FormField("known_risk", "Var det en kjent risiko", kind="select"),
        FormField("recommendation", "Anbefaling", kind="textarea"),
        FormField("phase_id", "Fase", kind="select", options=phase_options),
        FormField("risk_factor_id", "Risikofaktor", kind="select", options=risk_factor_options),
        FormField("priority", "Prioritet", kind="select"),
        FormField("recorded_on", "Dato", kind="date", hint="La stå tom for i dag."),
    ),
    rules=(_learning_rules,),
    filters={"phase_id": LearningPoint.phase_id, "risk_factor_id": LearningPoint.risk_factor_id},
    read_access=READ_LEARNING,
    write_access=MEMBERS_TOO,
    label=lambda p: f"læringspunkt {p.id}",
    new_label="Nytt læringspunkt",
)

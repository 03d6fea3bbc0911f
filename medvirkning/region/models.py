from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medvirkning.choices import Choice, LanguageForm, choice_column
from medvirkning.db import Base, Timestamped


class OrganisationKind(Choice):
    STEERING_BODY = "steering_body", "styringsorgan"
    SECRETARIAT = "secretariat", "sekretariat"
    NETWORK = "network", "nettverk"
    IT_SERVICE = "it_service", "IT-tjeneste"
    REGIONAL_FUNCTION = "regional_function", "regional funksjon"
    UNION_FEDERATION = "union_federation", "forhandlingssammenslutning"
    UNION = "union", "fagforening"


class Municipality(Timestamped, Base):
    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    language_form: Mapped[LanguageForm] = mapped_column(choice_column(LanguageForm))
    active: Mapped[bool] = mapped_column(default=True)


class Organisation(Timestamped, Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    short_name: Mapped[str] = mapped_column(String(40), default="")
    kind: Mapped[OrganisationKind] = mapped_column(choice_column(OrganisationKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Organisation | None] = relationship(
        remote_side=[id], lazy="joined", join_depth=1
    )

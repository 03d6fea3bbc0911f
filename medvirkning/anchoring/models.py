"""The targets the anchoring record's gap rules measure against, set by an admin."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from medvirkning.db import Base, Timestamped


class AnchoringTarget(Timestamped, Base):
    __tablename__ = "anchoring_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The rule's code (medvirkning.anchoring.source.Target.code); a rule without a row
    # measures against its default.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    value: Mapped[int]

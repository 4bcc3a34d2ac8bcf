"""Report jobs and the stored .docx files (in the database, so any web node can serve them)."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from webapp.extensions import db
from webapp.models._types import UTCDateTime, str_enum, utcnow
from webapp.models.rounds import Round
from webapp.models.users import User


class ReportJobState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"pending": "I kö", "running": "Byggs", "done": "Klar",
                "failed": "Misslyckades"}[self.value]


class ReportPhase(enum.StrEnum):
    QUEUED = "queued"
    COLLECTING = "collecting"
    WRITING = "writing"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"queued": "I kö", "collecting": "Samlar in godkända svar",
                "writing": "Skriver dokumentet", "done": "Klar",
                "failed": "Misslyckades"}[self.value]


class ReportTemplate(db.Model):
    """A .docx the unit uploads: its styles, fonts, logo and margins shape the report."""

    __tablename__ = "report_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    active: Mapped[bool] = mapped_column(default=False)


class ReportJob(db.Model):
    __tablename__ = "report_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    registry_number: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[ReportJobState] = mapped_column(
        str_enum(ReportJobState),
        default=ReportJobState.PENDING, index=True,
    )
    phase: Mapped[ReportPhase] = mapped_column(str_enum(ReportPhase), default=ReportPhase.QUEUED,
                                               server_default="queued")
    # The scope asked for: empty means every focus area / organisation of the round.
    focus_area_ids: Mapped[str] = mapped_column(String(400), default="", server_default="")
    organisation_ids: Mapped[str] = mapped_column(String(400), default="", server_default="")
    include_provenance: Mapped[bool] = mapped_column(default=False, server_default=false())
    template_id: Mapped[int | None] = mapped_column(ForeignKey("report_template.id"))
    attempts: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)

    round: Mapped[Round] = relationship()
    requested_by: Mapped[User | None] = relationship()
    file: Mapped[ReportFile | None] = relationship(back_populates="job", uselist=False)
    template: Mapped[ReportTemplate | None] = relationship()

    @staticmethod
    def id_list(text: str) -> list[int]:
        return [int(p) for p in text.split(",") if p.strip().isdigit()]


class ReportFile(db.Model):
    __tablename__ = "report_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(
        ForeignKey("report_job.id", ondelete="CASCADE"), unique=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    # Deferred: listing versions must not pull megabytes of .docx per row.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    job: Mapped[ReportJob] = relationship(back_populates="file")

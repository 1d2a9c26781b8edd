"""The catalog in the database (mirrors services_catalog; loaded whole, never row by row)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime


class Document(db.Model):
    __tablename__ = "documents"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_kk: Mapped[str] = mapped_column(Text)
    name_ru: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    state_system: Mapped[str | None] = mapped_column(String(120))


class Service(db.Model):
    __tablename__ = "services"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_kk: Mapped[str] = mapped_column(Text)
    name_ru: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    provider_kk: Mapped[str] = mapped_column(Text)
    provider_ru: Mapped[str] = mapped_column(Text)
    provider_en: Mapped[str] = mapped_column(Text)
    # {kk: [...], ru: [...], en: [...]}: search words only (services_catalog.search)
    keywords: Mapped[dict | None] = mapped_column(JSON)

    versions: Mapped[list[ServiceVersion]] = relationship(
        back_populates="service", order_by="ServiceVersion.effective_from",
        cascade="all, delete-orphan")


class ServiceVersion(db.Model):
    __tablename__ = "service_versions"
    __table_args__ = (
        UniqueConstraint("service_code", "effective_from"),
        CheckConstraint("effective_to IS NULL OR effective_from <= effective_to", name="period"),
        CheckConstraint("deadline_value >= 0", name="deadline_value"),
        CheckConstraint("deadline_unit IN ('minutes', 'hours', 'working_days', 'calendar_days')",
                        name="deadline_unit"),
        CheckConstraint("max_wait_minutes > 0 AND max_service_minutes > 0", name="limits"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_code: Mapped[str] = mapped_column(ForeignKey("services.code", ondelete="CASCADE"))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    legal_basis: Mapped[str] = mapped_column(Text)
    deadline_value: Mapped[int] = mapped_column(Integer)
    deadline_unit: Mapped[str] = mapped_column(String(20))
    max_wait_minutes: Mapped[int] = mapped_column(Integer)
    max_service_minutes: Mapped[int] = mapped_column(Integer)
    fee_amount: Mapped[float] = mapped_column(Numeric(14, 2, asdecimal=False))
    fee_currency: Mapped[str] = mapped_column(String(3))
    # The fee as the law writes it, in МРП (fee_amount is then mrp × the МРП of the year).
    fee_mrp: Mapped[float | None] = mapped_column(Numeric(10, 3, asdecimal=False))
    fee_exemptions: Mapped[list | None] = mapped_column(JSON)  # [{when: {kk,ru,en}, amount, mrp}]
    # Where the facts come from (docs/catalog.md): null for a base-format, unverified version.
    legal_basis_text: Mapped[dict | None] = mapped_column(JSON)  # {kk, ru, en}; legal_basis holds en
    sources: Mapped[list | None] = mapped_column(JSON)
    provenance: Mapped[dict | None] = mapped_column(JSON)
    result_kk: Mapped[str] = mapped_column(Text)
    result_ru: Mapped[str] = mapped_column(Text)
    result_en: Mapped[str] = mapped_column(Text)
    channels: Mapped[list[str]] = mapped_column(JSON)

    service: Mapped[Service] = relationship(back_populates="versions")
    documents: Mapped[list[VersionDocument]] = relationship(
        order_by="VersionDocument.position", cascade="all, delete-orphan")
    refusal_grounds: Mapped[list[RefusalGround]] = relationship(
        order_by="RefusalGround.position", cascade="all, delete-orphan")


class VersionDocument(db.Model):
    """One document of a version: required, an any_of member, conditional, or obtained by the office."""

    __tablename__ = "version_documents"
    __table_args__ = (
        CheckConstraint("kind IN ('required', 'any_of', 'conditional', 'obtained_by_office')",
                        name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("service_versions.id", ondelete="CASCADE"),
                                            index=True)
    document_code: Mapped[str] = mapped_column(ForeignKey("documents.code"))
    kind: Mapped[str] = mapped_column(String(20))
    group_number: Mapped[int | None] = mapped_column(Integer)  # entries of one any_of group share it
    condition_kk: Mapped[str | None] = mapped_column(Text)
    condition_ru: Mapped[str | None] = mapped_column(Text)
    condition_en: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)

    document: Mapped[Document] = relationship()


class RefusalGround(db.Model):
    __tablename__ = "refusal_grounds"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("service_versions.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    text_kk: Mapped[str] = mapped_column(Text)
    text_ru: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)


class MrpRate(db.Model):
    """The monthly calculation index (МРП) of a year, as catalog data with its source."""

    __tablename__ = "mrp_rates"
    __table_args__ = (CheckConstraint("amount > 0", name="amount"),)

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    amount: Mapped[int] = mapped_column(Integer)
    source: Mapped[dict] = mapped_column(JSON)


class CalendarOverride(db.Model):
    """An administrator's correction of the official calendar for one day."""

    __tablename__ = "calendar_overrides"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_working_day: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

"""Offices, staff accounts and the relatives staff declare (clause 2.4.1)."""
from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime

ROLES = ("desk", "supervisor", "admin", "steward")

supervised_offices = Table(
    "supervised_offices", db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("office_code", ForeignKey("offices.code", ondelete="CASCADE"), primary_key=True),
)


class Office(db.Model):
    __tablename__ = "offices"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_kk: Mapped[str] = mapped_column(Text)
    name_ru: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(120), default="")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('desk', 'supervisor', 'admin', 'steward')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))  # for digests and escalations
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    office_code: Mapped[str | None] = mapped_column(ForeignKey("offices.code"))
    language: Mapped[str] = mapped_column(String(2), default="ru")
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on sign-out, password change and (de)activation: older session cookies stop working.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    office: Mapped[Office | None] = relationship()
    supervised: Mapped[list[Office]] = relationship(secondary=supervised_offices)
    relatives: Mapped[list[RelativeDeclaration]] = relationship(
        back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive accounts cannot sign in
        return self.active

    def get_id(self) -> str:
        """Flask-Login keeps "id:session_version" in the session, so revoking is server-side."""
        return f"{self.id}:{self.session_version or 0}"


# `Admin` and `admin` are one login (migration 0004).
Index("uq_users_login_lower", func.lower(User.login), unique=True)


class RelativeDeclaration(db.Model):
    """A close relative a staff member declared: only the keyed hash of their IIN is kept."""

    __tablename__ = "relative_declarations"
    __table_args__ = (UniqueConstraint("user_id", "applicant_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    applicant_hash: Mapped[str] = mapped_column(String(64), index=True)
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="relatives")

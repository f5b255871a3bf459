"""Database models: conversations, porting requests, documents, staff, outbox."""

import hashlib
import hmac
import json
import secrets
import uuid
from datetime import UTC
from datetime import datetime

from flask import current_app
from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from assistant.crypto import FieldCipher
from assistant.extensions import db

STATUSES = (
    "submitted",
    "in_review",
    "sent_to_carrier",
    "foc_confirmed",
    "completed",
    "rejected",
    "cancelled",
)
OPEN_STATUSES = ("submitted", "in_review", "sent_to_carrier", "foc_confirmed")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _new_id() -> str:
    return uuid.uuid4().hex


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cipher() -> FieldCipher:
    return FieldCipher(current_app.config["ENCRYPTION_KEYS"])


class SecretsMixin:
    """Secret fields kept as one encrypted JSON document."""

    secret_blob: Mapped[str | None] = mapped_column(Text)

    @property
    def secrets(self) -> dict:
        if not self.secret_blob:
            return {}
        return json.loads(cipher().decrypt(self.secret_blob))

    @secrets.setter
    def secrets(self, values: dict) -> None:
        kept = {key: value for key, value in values.items() if value}
        self.secret_blob = cipher().encrypt(json.dumps(kept)) if kept else None


class Conversation(SecretsMixin, db.Model):
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)
    token_hash: Mapped[str] = mapped_column(String(64))
    flow: Mapped[str] = mapped_column(String(40), default="intake")
    state: Mapped[str] = mapped_column(String(60))
    slots: Mapped[dict] = mapped_column(JSON, default=dict)
    transcript: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    abandoned_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": version}

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    def token_matches(self, token: str) -> bool:
        return hmac.compare_digest(self.token_hash, hash_token(token))


class PortRequest(SecretsMixin, db.Model):
    __table_args__ = (UniqueConstraint("conversation_id", "group_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id"))
    group_index: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    number_type: Mapped[str] = mapped_column(String(20), index=True)
    business_name: Mapped[str] = mapped_column(String(200), index=True)
    contact_email: Mapped[str] = mapped_column(String(254), index=True)
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    findings: Mapped[list] = mapped_column(JSON, default=list)
    signature_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime]
    signer_ip: Mapped[str] = mapped_column(String(64))
    signer_agent: Mapped[str] = mapped_column(String(400))
    loa_pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    rejection_code: Mapped[str | None] = mapped_column(String(40))
    rejection_note: Mapped[str | None] = mapped_column(Text)
    foc_date: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    numbers: Mapped[list["RequestNumber"]] = relationship(
        back_populates="request",
        cascade="all, delete-orphan",
        order_by="RequestNumber.position",
    )
    events: Mapped[list["StatusEvent"]] = relationship(
        back_populates="request",
        cascade="all, delete-orphan",
        order_by="StatusEvent.id",
    )

    @property
    def signed_loa(self) -> bytes | None:
        """The signed LOA; stored encrypted because it prints the PIN."""
        if self.loa_pdf is None:
            return None
        return cipher().decrypt_bytes(self.loa_pdf)

    @signed_loa.setter
    def signed_loa(self, pdf: bytes | None) -> None:
        self.loa_pdf = None if pdf is None else cipher().encrypt_bytes(pdf)

    @staticmethod
    def new_reference() -> str:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        return "PR-" + "".join(secrets.choice(alphabet) for _ in range(8))

    @property
    def e164s(self) -> list[str]:
        return [row.e164 for row in self.numbers]


class RequestNumber(db.Model):
    __table_args__ = (Index("ix_request_number_e164", "e164"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("port_request.id"))
    position: Mapped[int]
    e164: Mapped[str] = mapped_column(String(20))

    request: Mapped[PortRequest] = relationship(back_populates="numbers")


class StatusEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("port_request.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    foc_date: Mapped[str | None] = mapped_column(String(10))
    actor: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[PortRequest] = relationship(back_populates="events")


class Document(db.Model):
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversation.id"), index=True
    )
    group_index: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    findings: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def content(self) -> bytes | None:
        """The file as uploaded; stored encrypted, since bills print account numbers."""
        if self.data is None:
            return None
        return cipher().decrypt_bytes(self.data)

    @content.setter
    def content(self, value: bytes | None) -> None:
        self.data = None if value is None else cipher().encrypt_bytes(value)


class StaffUser(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(400))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Flask-Login's interface.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)


class AuditEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("port_request.id"))
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    message_id: Mapped[str] = mapped_column(String(200))
    recipients: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(400))
    raw: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

"""handoff: cases, case messages, saved replies, encrypted addresses (bot/handoff/models.py)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_ONLY = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        "handoff_cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisations.id"), nullable=False
        ),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_answer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="SET NULL")),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_person_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("text_purged", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_handoff_cases_pseudonym", "handoff_cases", ["pseudonym"])
    op.create_index(
        "ix_handoff_cases_organisation_status", "handoff_cases", ["organisation_id", "status"]
    )
    # One open case per person, even with two gateways opening it at the same moment.
    op.create_index(
        "uq_handoff_cases_one_open_per_person",
        "handoff_cases",
        ["pseudonym"],
        unique=True,
        sqlite_where=OPEN_ONLY,
        postgresql_where=OPEN_ONLY,
    )
    op.create_table(
        "handoff_case_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("handoff_cases.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("author", sa.String(8), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="SET NULL")),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("machine_translation", sa.Text(), nullable=True),
        sa.Column("machine_translation_language", sa.String(8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_as", sa.String(16), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_handoff_case_messages_case_id", "handoff_case_messages", ["case_id"])
    op.create_table(
        "handoff_saved_replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "organisation_id",
            sa.Integer(),
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("title", sa.String(80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="SET NULL")),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("organisation_id", "language", "title"),
    )
    op.create_table(
        "handoff_case_addresses",
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("handoff_cases.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("handoff_case_addresses")
    op.drop_table("handoff_saved_replies")
    op.drop_index("ix_handoff_case_messages_case_id", "handoff_case_messages")
    op.drop_table("handoff_case_messages")
    op.drop_index("uq_handoff_cases_one_open_per_person", "handoff_cases")
    op.drop_index("ix_handoff_cases_organisation_status", "handoff_cases")
    op.drop_index("ix_handoff_cases_pseudonym", "handoff_cases")
    op.drop_table("handoff_cases")

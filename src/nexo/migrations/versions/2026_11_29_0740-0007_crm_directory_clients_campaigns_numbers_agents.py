"""crm directory: clients, campaigns, whatsapp numbers, agents

Besides the tables, the client search index of each database: on PostgreSQL the pg_trgm extension
(for the GIN trigram index on `crm_clients.search_text`); on SQLite an FTS5 trigram table over the
same column, external-content (it stores no copy of the text), kept in step by triggers.

Future migrations that rebuild `crm_clients` on SQLite (batch mode copies the table) must recreate
the three triggers below, which a table copy drops.

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-29 07:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nexo.core.db.types

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE crm_clients_fts USING fts5("
    "search_text, content='crm_clients', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER crm_clients_fts_ai AFTER INSERT ON crm_clients BEGIN "
    "INSERT INTO crm_clients_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER crm_clients_fts_ad AFTER DELETE ON crm_clients BEGIN "
    "INSERT INTO crm_clients_fts(crm_clients_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER crm_clients_fts_au AFTER UPDATE OF search_text ON crm_clients BEGIN "
    "INSERT INTO crm_clients_fts(crm_clients_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO crm_clients_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)


def _dialect() -> str:
    return op.get_bind().dialect.name


def upgrade() -> None:
    op.create_table(
        "crm_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("business_hours", sa.JSON(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("sla_first_response_seconds", sa.Integer(), nullable=True),
        sa.Column("sla_resolution_seconds", sa.Integer(), nullable=True),
        sa.Column("bot_enabled", sa.Boolean(), nullable=False),
        sa.Column("bot_flow_id", sa.Integer(), nullable=True),
        sa.Column("routing_strategy", sa.String(length=16), nullable=False),
        sa.Column("welcome_message", sa.Text(), nullable=True),
        sa.Column("offline_message", sa.Text(), nullable=True),
        sa.Column("deleted_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_crm_campaigns_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_campaigns")),
    )
    with op.batch_alter_table("crm_campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_campaigns_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "uq_crm_campaigns_tenant_id_code",
            ["tenant_id", "code"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )

    op.create_table(
        "crm_client_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("on_duplicate", sa.String(length=8), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("encoding", sa.String(length=16), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("rows_processed", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("next_segment", sa.Integer(), nullable=False),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_crm_client_imports_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_client_imports")),
    )
    with op.batch_alter_table("crm_client_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_client_imports_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "crm_client_totals",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("clients", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_crm_client_totals_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_crm_client_totals")),
    )
    op.create_table(
        "crm_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("lead_status", sa.String(length=16), nullable=False),
        sa.Column("lead_score", sa.Integer(), nullable=False),
        sa.Column("ltv", nexo.core.db.types.ScaledDecimal(), nullable=False),
        sa.Column("total_purchases", sa.Integer(), nullable=False),
        sa.Column("last_purchase_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("segment", sa.String(length=50), nullable=True),
        sa.Column("custom_fields", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("is_blocked", sa.Boolean(), nullable=False),
        sa.Column("opt_in", sa.Boolean(), nullable=False),
        sa.Column("total_chats", sa.Integer(), nullable=False),
        sa.Column("last_contact_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_crm_clients_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_clients")),
        sa.UniqueConstraint("tenant_id", "phone_number", name=op.f("uq_crm_clients_tenant_id_phone_number")),
    )
    if _dialect() == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table("crm_clients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_clients_search_text_trgm",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            sqlite_where=sa.text("0"),
        )
        batch_op.create_index(batch_op.f("ix_crm_clients_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_crm_clients_tenant_id_id", ["tenant_id", "id"], unique=False)
        batch_op.create_index(
            "ix_crm_clients_tenant_id_lead_status", ["tenant_id", "lead_status"], unique=False
        )
        batch_op.create_index("ix_crm_clients_tenant_id_segment", ["tenant_id", "segment"], unique=False)

    op.create_table(
        "crm_whatsapp_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("connection_status", sa.String(length=16), nullable=False),
        sa.Column("provider_config", sa.JSON(), nullable=False),
        sa.Column("secrets_encrypted", sa.Text(), nullable=False),
        sa.Column("daily_message_limit", sa.Integer(), nullable=True),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True),
        sa.Column("total_messages_sent", sa.Integer(), nullable=False),
        sa.Column("total_messages_received", sa.Integer(), nullable=False),
        sa.Column("last_connected_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("is_healthy", sa.Boolean(), nullable=True),
        sa.Column("last_response_time_ms", sa.Integer(), nullable=True),
        sa.Column("last_check_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_crm_whatsapp_numbers_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_whatsapp_numbers")),
    )
    with op.batch_alter_table("crm_whatsapp_numbers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_whatsapp_numbers_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "uq_crm_whatsapp_numbers_tenant_id_phone_number",
            ["tenant_id", "phone_number"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )

    op.create_table(
        "crm_campaign_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("whatsapp_number_id", sa.Integer(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["crm_campaigns.id"],
            name=op.f("fk_crm_campaign_numbers_campaign_id_crm_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_crm_campaign_numbers_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["whatsapp_number_id"],
            ["crm_whatsapp_numbers.id"],
            name=op.f("fk_crm_campaign_numbers_whatsapp_number_id_crm_whatsapp_numbers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_campaign_numbers")),
        sa.UniqueConstraint(
            "campaign_id",
            "whatsapp_number_id",
            name=op.f("uq_crm_campaign_numbers_campaign_id_whatsapp_number_id"),
        ),
    )
    with op.batch_alter_table("crm_campaign_numbers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_campaign_numbers_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_crm_campaign_numbers_whatsapp_number_id"), ["whatsapp_number_id"], unique=False
        )

    op.create_table(
        "crm_client_import_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["crm_client_imports.id"],
            name=op.f("fk_crm_client_import_segments_import_id_crm_client_imports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_crm_client_import_segments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_client_import_segments")),
        sa.UniqueConstraint("import_id", "seq", name=op.f("uq_crm_client_import_segments_import_id_seq")),
    )
    with op.batch_alter_table("crm_client_import_segments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_client_import_segments_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "crm_client_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=50), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["crm_clients.id"],
            name=op.f("fk_crm_client_tags_client_id_crm_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_crm_client_tags_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_client_tags")),
        sa.UniqueConstraint("client_id", "tag", name=op.f("uq_crm_client_tags_client_id_tag")),
    )
    with op.batch_alter_table("crm_client_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_client_tags_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_crm_client_tags_tenant_id_tag", ["tenant_id", "tag"], unique=False)

    op.create_table(
        "crm_agent_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("agent_status", sa.String(length=16), nullable=False),
        sa.Column("agent_status_reason", sa.String(length=200), nullable=True),
        sa.Column("status_changed_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("max_concurrent_chats", sa.Integer(), nullable=False),
        sa.Column("auto_assign_enabled", sa.Boolean(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_crm_agent_profiles_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_crm_agent_profiles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_crm_agent_profiles")),
    )
    with op.batch_alter_table("crm_agent_profiles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_agent_profiles_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "crm_agent_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("started_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("changed_by", sa.String(length=64), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_crm_agent_status_changes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_crm_agent_status_changes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_agent_status_changes")),
    )
    with op.batch_alter_table("crm_agent_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_agent_status_changes_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_agent_status_changes_user_id_started_at", ["user_id", "started_at"], unique=False
        )

    op.create_table(
        "crm_campaign_agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("max_concurrent_chats", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["crm_campaigns.id"],
            name=op.f("fk_crm_campaign_agents_campaign_id_crm_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_crm_campaign_agents_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_crm_campaign_agents_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_campaign_agents")),
        sa.UniqueConstraint(
            "campaign_id", "user_id", name=op.f("uq_crm_campaign_agents_campaign_id_user_id")
        ),
    )
    with op.batch_alter_table("crm_campaign_agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_campaign_agents_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_crm_campaign_agents_user_id"), ["user_id"], unique=False)
    if _dialect() == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)


def downgrade() -> None:
    if _dialect() == "sqlite":
        for trigger in ("crm_clients_fts_ai", "crm_clients_fts_ad", "crm_clients_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS crm_clients_fts")
    with op.batch_alter_table("crm_campaign_agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_campaign_agents_user_id"))
        batch_op.drop_index(batch_op.f("ix_crm_campaign_agents_tenant_id"))

    op.drop_table("crm_campaign_agents")
    with op.batch_alter_table("crm_agent_status_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_agent_status_changes_user_id_started_at")
        batch_op.drop_index(batch_op.f("ix_crm_agent_status_changes_tenant_id"))

    op.drop_table("crm_agent_status_changes")
    with op.batch_alter_table("crm_agent_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_agent_profiles_tenant_id"))

    op.drop_table("crm_agent_profiles")
    with op.batch_alter_table("crm_client_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_client_tags_tenant_id_tag")
        batch_op.drop_index(batch_op.f("ix_crm_client_tags_tenant_id"))

    op.drop_table("crm_client_tags")
    with op.batch_alter_table("crm_client_import_segments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_client_import_segments_tenant_id"))

    op.drop_table("crm_client_import_segments")
    with op.batch_alter_table("crm_campaign_numbers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_campaign_numbers_whatsapp_number_id"))
        batch_op.drop_index(batch_op.f("ix_crm_campaign_numbers_tenant_id"))

    op.drop_table("crm_campaign_numbers")
    with op.batch_alter_table("crm_whatsapp_numbers", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_crm_whatsapp_numbers_tenant_id_phone_number",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_crm_whatsapp_numbers_tenant_id"))

    op.drop_table("crm_whatsapp_numbers")
    with op.batch_alter_table("crm_clients", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_clients_tenant_id_segment")
        batch_op.drop_index("ix_crm_clients_tenant_id_lead_status")
        batch_op.drop_index("ix_crm_clients_tenant_id_id")
        batch_op.drop_index(batch_op.f("ix_crm_clients_tenant_id"))
        batch_op.drop_index(
            "ix_crm_clients_search_text_trgm",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            sqlite_where=sa.text("0"),
        )

    op.drop_table("crm_clients")
    op.drop_table("crm_client_totals")
    with op.batch_alter_table("crm_client_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_client_imports_tenant_id"))

    op.drop_table("crm_client_imports")
    with op.batch_alter_table("crm_campaigns", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_crm_campaigns_tenant_id_code",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_crm_campaigns_tenant_id"))

    op.drop_table("crm_campaigns")

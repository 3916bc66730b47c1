"""media agency: clientes, agencias, proveedores, medios and rate cards, contratos, campañas, ordenes

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-29 07:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nexo.core.db.types

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_agencias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nombre", sa.String(length=200), nullable=False),
        sa.Column("rfc", sa.String(length=13), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("telefono", sa.String(length=32), nullable=True),
        sa.Column("contacto", sa.String(length=200), nullable=True),
        sa.Column("comision_pct", nexo.core.db.types.ScaledDecimal(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_media_agencias_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_agencias")),
    )
    with op.batch_alter_table("media_agencias", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_agencias_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "media_clientes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nombre", sa.String(length=200), nullable=False),
        sa.Column("razon_social", sa.String(length=200), nullable=True),
        sa.Column("rfc", sa.String(length=13), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("telefono", sa.String(length=32), nullable=True),
        sa.Column("contacto", sa.String(length=200), nullable=True),
        sa.Column("industria", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notas", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_media_clientes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_clientes")),
    )
    with op.batch_alter_table("media_clientes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_clientes_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_media_clientes_tenant_nombre", ["tenant_id", "nombre"], unique=False)

    op.create_table(
        "media_proveedores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nombre", sa.String(length=200), nullable=False),
        sa.Column("razon_social", sa.String(length=200), nullable=True),
        sa.Column("rfc", sa.String(length=13), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("telefono", sa.String(length=32), nullable=True),
        sa.Column("contacto", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_media_proveedores_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_proveedores")),
    )
    with op.batch_alter_table("media_proveedores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_proveedores_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "media_campanas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cliente_id", sa.Integer(), nullable=False),
        sa.Column("agencia_id", sa.Integer(), nullable=True),
        sa.Column("nombre", sa.String(length=200), nullable=False),
        sa.Column("objetivo", sa.Text(), nullable=True),
        sa.Column("fecha_inicio", sa.Date(), nullable=False),
        sa.Column("fecha_fin", sa.Date(), nullable=False),
        sa.Column("presupuesto", nexo.core.db.types.ScaledDecimal(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agencia_id"],
            ["media_agencias.id"],
            name=op.f("fk_media_campanas_agencia_id_media_agencias"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["cliente_id"],
            ["media_clientes.id"],
            name=op.f("fk_media_campanas_cliente_id_media_clientes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_media_campanas_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_campanas")),
    )
    with op.batch_alter_table("media_campanas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_campanas_agencia_id"), ["agencia_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_campanas_cliente_id"), ["cliente_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_campanas_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "media_contratos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folio", sa.String(length=50), nullable=False),
        sa.Column("tipo", sa.String(length=16), nullable=False),
        sa.Column("cliente_id", sa.Integer(), nullable=True),
        sa.Column("proveedor_id", sa.Integer(), nullable=True),
        sa.Column("descripcion", sa.Text(), nullable=True),
        sa.Column("fecha_inicio", sa.Date(), nullable=False),
        sa.Column("fecha_fin", sa.Date(), nullable=False),
        sa.Column("monto", nexo.core.db.types.ScaledDecimal(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cliente_id"],
            ["media_clientes.id"],
            name=op.f("fk_media_contratos_cliente_id_media_clientes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["proveedor_id"],
            ["media_proveedores.id"],
            name=op.f("fk_media_contratos_proveedor_id_media_proveedores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_media_contratos_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_contratos")),
    )
    with op.batch_alter_table("media_contratos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_contratos_cliente_id"), ["cliente_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_contratos_proveedor_id"), ["proveedor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_contratos_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "media_medios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nombre", sa.String(length=200), nullable=False),
        sa.Column("tipo", sa.String(length=16), nullable=False),
        sa.Column("proveedor_id", sa.Integer(), nullable=True),
        sa.Column("cobertura", sa.String(length=100), nullable=True),
        sa.Column("descripcion", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proveedor_id"],
            ["media_proveedores.id"],
            name=op.f("fk_media_medios_proveedor_id_media_proveedores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_media_medios_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_medios")),
    )
    with op.batch_alter_table("media_medios", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_medios_proveedor_id"), ["proveedor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_medios_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_medios_tipo"), ["tipo"], unique=False)

    op.create_table(
        "media_ordenes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cliente_id", sa.Integer(), nullable=False),
        sa.Column("campana_id", sa.Integer(), nullable=True),
        sa.Column("proveedor_id", sa.Integer(), nullable=False),
        sa.Column("medio_id", sa.Integer(), nullable=False),
        sa.Column("contrato_id", sa.Integer(), nullable=True),
        sa.Column("fecha", sa.Date(), nullable=False),
        sa.Column("fecha_inicio", sa.Date(), nullable=True),
        sa.Column("fecha_fin", sa.Date(), nullable=True),
        sa.Column("estado", sa.String(length=16), nullable=False),
        sa.Column("descripcion", sa.Text(), nullable=True),
        sa.Column("total", nexo.core.db.types.ScaledDecimal(), nullable=False),
        sa.Column("costo", nexo.core.db.types.ScaledDecimal(), nullable=False),
        sa.Column("factura_folio", sa.String(length=50), nullable=True),
        sa.Column("motivo_cancelacion", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nexo.core.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campana_id"],
            ["media_campanas.id"],
            name=op.f("fk_media_ordenes_campana_id_media_campanas"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["cliente_id"],
            ["media_clientes.id"],
            name=op.f("fk_media_ordenes_cliente_id_media_clientes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["contrato_id"],
            ["media_contratos.id"],
            name=op.f("fk_media_ordenes_contrato_id_media_contratos"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["medio_id"],
            ["media_medios.id"],
            name=op.f("fk_media_ordenes_medio_id_media_medios"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["proveedor_id"],
            ["media_proveedores.id"],
            name=op.f("fk_media_ordenes_proveedor_id_media_proveedores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_media_ordenes_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_ordenes")),
    )
    with op.batch_alter_table("media_ordenes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_ordenes_campana_id"), ["campana_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_ordenes_cliente_id"), ["cliente_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_ordenes_contrato_id"), ["contrato_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_ordenes_estado"), ["estado"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_ordenes_medio_id"), ["medio_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_ordenes_proveedor_id"), ["proveedor_id"], unique=False)
        batch_op.create_index("ix_media_ordenes_tenant_fecha", ["tenant_id", "fecha"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_ordenes_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "media_tarifas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("medio_id", sa.Integer(), nullable=False),
        sa.Column("concepto", sa.String(length=200), nullable=False),
        sa.Column("unidad", sa.String(length=50), nullable=False),
        sa.Column("costo_unitario", nexo.core.db.types.ScaledDecimal(), nullable=False),
        sa.Column("precio_unitario", nexo.core.db.types.ScaledDecimal(), nullable=False),
        sa.Column("vigente_desde", sa.Date(), nullable=True),
        sa.Column("vigente_hasta", sa.Date(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["medio_id"],
            ["media_medios.id"],
            name=op.f("fk_media_tarifas_medio_id_media_medios"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_media_tarifas_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_tarifas")),
    )
    with op.batch_alter_table("media_tarifas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_tarifas_medio_id"), ["medio_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_tarifas_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "media_orden_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("orden_id", sa.Integer(), nullable=False),
        sa.Column("posicion", sa.Integer(), nullable=False),
        sa.Column("descripcion", sa.String(length=200), nullable=False),
        sa.Column("tarifa_id", sa.Integer(), nullable=True),
        sa.Column("cantidad", nexo.core.db.types.ScaledDecimal(), nullable=False),
        sa.Column("costo_unitario", nexo.core.db.types.ScaledDecimal(), nullable=False),
        sa.Column("precio_unitario", nexo.core.db.types.ScaledDecimal(), nullable=False),
        sa.Column("importe", nexo.core.db.types.ScaledDecimal(), nullable=False),
        sa.Column("costo", nexo.core.db.types.ScaledDecimal(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["orden_id"],
            ["media_ordenes.id"],
            name=op.f("fk_media_orden_items_orden_id_media_ordenes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tarifa_id"],
            ["media_tarifas.id"],
            name=op.f("fk_media_orden_items_tarifa_id_media_tarifas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_media_orden_items_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_orden_items")),
    )
    with op.batch_alter_table("media_orden_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_orden_items_orden_id"), ["orden_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_orden_items_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("media_orden_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_orden_items_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_media_orden_items_orden_id"))

    op.drop_table("media_orden_items")
    with op.batch_alter_table("media_tarifas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_tarifas_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_media_tarifas_medio_id"))

    op.drop_table("media_tarifas")
    with op.batch_alter_table("media_ordenes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_ordenes_tenant_id"))
        batch_op.drop_index("ix_media_ordenes_tenant_fecha")
        batch_op.drop_index(batch_op.f("ix_media_ordenes_proveedor_id"))
        batch_op.drop_index(batch_op.f("ix_media_ordenes_medio_id"))
        batch_op.drop_index(batch_op.f("ix_media_ordenes_estado"))
        batch_op.drop_index(batch_op.f("ix_media_ordenes_contrato_id"))
        batch_op.drop_index(batch_op.f("ix_media_ordenes_cliente_id"))
        batch_op.drop_index(batch_op.f("ix_media_ordenes_campana_id"))

    op.drop_table("media_ordenes")
    with op.batch_alter_table("media_medios", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_medios_tipo"))
        batch_op.drop_index(batch_op.f("ix_media_medios_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_media_medios_proveedor_id"))

    op.drop_table("media_medios")
    with op.batch_alter_table("media_contratos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_contratos_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_media_contratos_proveedor_id"))
        batch_op.drop_index(batch_op.f("ix_media_contratos_cliente_id"))

    op.drop_table("media_contratos")
    with op.batch_alter_table("media_campanas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_campanas_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_media_campanas_cliente_id"))
        batch_op.drop_index(batch_op.f("ix_media_campanas_agencia_id"))

    op.drop_table("media_campanas")
    with op.batch_alter_table("media_proveedores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_proveedores_tenant_id"))

    op.drop_table("media_proveedores")
    with op.batch_alter_table("media_clientes", schema=None) as batch_op:
        batch_op.drop_index("ix_media_clientes_tenant_nombre")
        batch_op.drop_index(batch_op.f("ix_media_clientes_tenant_id"))

    op.drop_table("media_clientes")
    with op.batch_alter_table("media_agencias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_agencias_tenant_id"))

    op.drop_table("media_agencias")

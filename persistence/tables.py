"""Table definitions (SQLAlchemy Core). Migrations in persistence/migrations mirror these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BigInteger primary keys become INTEGER on SQLite so they stay rowid aliases.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Money = Numeric(18, 4)
Timestamp = DateTime(timezone=True)

channels = Table(
    "channels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", Timestamp, nullable=False),
)

categories = Table(
    "categories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("parent_id", Integer, ForeignKey("categories.id"), nullable=True),
)

products = Table(
    "products",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("handle", String(200), nullable=False, unique=True),
    Column("title", String(500), nullable=False),
    Column("description", Text, nullable=True),
    Column("category_id", Integer, ForeignKey("categories.id"), nullable=True, index=True),
    Column("created_at", Timestamp, nullable=False),
)

variants = Table(
    "variants",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("product_id", BigInteger, ForeignKey("products.id"), nullable=False, index=True),
    Column("sku", String(64), nullable=False, unique=True),
    Column("title", String(500), nullable=False),
    Column("unit_cost", Money, nullable=True),
    Column("is_kit", Boolean, nullable=False, default=False),
)

kit_components = Table(
    "kit_components",
    metadata,
    Column("kit_id", BigInteger, ForeignKey("variants.id"), primary_key=True),
    Column("component_id", BigInteger, ForeignKey("variants.id"), primary_key=True),
    Column("quantity", Integer, nullable=False),
    Index("ix_kit_components_component", "component_id"),
)

prices = Table(
    "prices",
    metadata,
    Column("variant_id", BigInteger, ForeignKey("variants.id"), primary_key=True),
    Column("channel_id", Integer, ForeignKey("channels.id"), primary_key=True),
    Column("amount", Money, nullable=False),
    CheckConstraint("amount >= 0", name="amount_not_negative"),
)

locations = Table(
    "locations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    Column("can_ship", Boolean, nullable=False),
    Column("can_pickup", Boolean, nullable=False),
    Column("daily_capacity", Integer, nullable=True),
    Column("open_fulfillments", Integer, nullable=False, default=0),
    Column("address", JSON, nullable=True),
    Column("created_at", Timestamp, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=True),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=True),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("created_at", Timestamp, nullable=False),
    Column("revoked_at", Timestamp, nullable=True),
)

inventory_views = Table(
    "inventory_views",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False, unique=True),
    Column("code", String(64), nullable=False),
    Column("location_ids", JSON, nullable=False),
    Column("safety_buffer", Integer, nullable=False, default=0),
    Column("safety_buffer_percent", Integer, nullable=False, default=0),
    Column("max_available", Integer, nullable=True),
    Column("excluded_skus", JSON, nullable=False),
    Column("excluded_location_kinds", JSON, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

inventory_positions = Table(
    "inventory_positions",
    metadata,
    Column("variant_id", BigInteger, ForeignKey("variants.id"), primary_key=True),
    Column("location_id", Integer, ForeignKey("locations.id"), primary_key=True),
    Column("on_hand", Integer, nullable=False, default=0),
    Column("allocated", Integer, nullable=False, default=0),
    Column("reserved", Integer, nullable=False, default=0),
    Column("safety_stock", Integer, nullable=False, default=0),
    Column("unsellable", Integer, nullable=False, default=0),
    Column("last_as_of", Timestamp, nullable=True),
    Column("updated_at", Timestamp, nullable=False),
    Index("ix_inventory_positions_location", "location_id", "variant_id"),
)

# The five quantities of the position formula, in the order domain position_available takes.
POSITION_QUANTITIES = (
    inventory_positions.c.on_hand,
    inventory_positions.c.allocated,
    inventory_positions.c.reserved,
    inventory_positions.c.safety_stock,
    inventory_positions.c.unsellable,
)

# The movement journal: every change to onHand, for audit and for re-applying movements
# recorded after a late absolute count.
inventory_movements = Table(
    "inventory_movements",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("variant_id", BigInteger, nullable=False),
    Column("location_id", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("delta", Integer, nullable=False),
    Column("event_id", String(200), nullable=True),
    Column("reason", String(200), nullable=True),
    Column("as_of", Timestamp, nullable=True),
    Column("recorded_at", Timestamp, nullable=False),
    # Whose event id it is (domain Actor.caller_id): ids are unique per caller, not globally.
    Column("scope", String(100), nullable=True),
    Index("ix_inventory_movements_position", "variant_id", "location_id", "recorded_at"),
    UniqueConstraint("scope", "event_id", name="uq_inventory_movements_scope_event_id"),
)

incoming_supply = Table(
    "incoming_supply",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("variant_id", BigInteger, ForeignKey("variants.id"), nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("expected_at", Date, nullable=False),
    Column("reference", String(200), nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Index("ix_incoming_supply_position", "variant_id", "location_id", "expected_at"),
)

# Last published channel ATP per SKU, and the uncapped sums it is derived from; kept
# incrementally so that ingest only touches what changed.
channel_atp = Table(
    "channel_atp",
    metadata,
    Column("channel_id", Integer, primary_key=True),
    Column("variant_id", BigInteger, primary_key=True),
    Column("raw_total", BigInteger, nullable=False, default=0),
    Column("raw_ship", BigInteger, nullable=False, default=0),
    Column("raw_pickup", BigInteger, nullable=False, default=0),
    Column("available", BigInteger, nullable=False, default=0),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("topic", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    # Set together by the relay: `seq` orders the event log every worker tails, in commit
    # order; `published_at` (when it was sequenced) drives the purge and the lag metric.
    Column("published_at", Timestamp, nullable=True),
    Column("seq", BigInteger, nullable=True),
    Index("ix_outbox_unpublished", "published_at", "id"),
    Index("ix_outbox_seq", "seq", unique=True),
)

# One row: the last sequence number handed out (kept apart from outbox rows, which are purged).
outbox_sequence = Table(
    "outbox_sequence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("log_id", String(32), nullable=False),  # random: names the log on Redis
)

# Scoped idempotency keys (domain/idempotency.py): one row per (caller, operation, key),
# written in the transaction of the work it guards, with a hash of the request and a
# reference to its result.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(100), primary_key=True),
    Column("operation", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("result_ref", String(200), nullable=True),
    Column("created_at", Timestamp, nullable=False),
)

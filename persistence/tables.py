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
    text,
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
    # Added by 0008 (returns); NULL: the default for the location's kind.
    Column("accepts_returns", Boolean, nullable=True),
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
    # Customer tokens: the shopper's normalized e-mail (not a key: the customer row is
    # created at the first checkout, the token may come before it).
    Column("customer_email", String(320), nullable=True),
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
    # How many events the row carries: 1, `payload` is the event; more, `payload` is the
    # JSON array of a run of events of `topic` raised together (persistence/outbox.py).
    Column("events", Integer, nullable=False, default=1, server_default="1"),
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


# ---------------------------------------------------------------- orders (0006)
# Ids minted by the domain (domain/ids.py): time-ordered UUID text, so `ORDER BY id DESC`
# is newest first and the primary key index grows at its right end.
Uid = String(36)

customers = Table(
    "customers",
    metadata,
    Column("id", Uid, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),  # normalized
    Column("name", String(200), nullable=True),
    Column("created_at", Timestamp, nullable=False),
)

carts = Table(
    "carts",
    metadata,
    Column("id", Uid, primary_key=True),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("customer_id", Uid, ForeignKey("customers.id"), nullable=True),
    Column("email", String(320), nullable=True),  # normalized; binds the cart to a shopper
    Column("shipping_address", JSON, nullable=True),
    Column("coupon_codes", JSON, nullable=False),
    Column("reserved_until", Timestamp, nullable=True),
    Column("next_line_number", Integer, nullable=False),
    Column("order_id", Uid, nullable=True),  # set at checkout
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Column("source_code", String(64), nullable=True),  # 0009: campaign promotions
)

cart_lines = Table(
    "cart_lines",
    metadata,
    Column("cart_id", Uid, ForeignKey("carts.id", ondelete="CASCADE"), primary_key=True),
    Column("id", String(16), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("method", String(16), nullable=False),
    Column("pickup_location_id", Integer, ForeignKey("locations.id"), nullable=True),
)

# Units a cart holds at a position until `expires_at`; the position's `reserved` is the sum
# of its rows. Expired rows are released by the sweeper (or by a checkout that locks the
# position first), each exactly once: whoever deletes the row gives the units back.
reservations = Table(
    "reservations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("cart_id", Uid, nullable=False),
    Column("variant_id", BigInteger, nullable=False),
    Column("location_id", Integer, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    Index("ix_reservations_cart", "cart_id"),
    Index("ix_reservations_expires", "expires_at"),
    Index("ix_reservations_position", "variant_id", "location_id"),
)

# Orders still owing the shopper something (reports' "at risk"; the partial index below).
OPEN_ORDER_SQL = (
    "status IN ('PENDING', 'ON_HOLD', 'CONFIRMED', 'IN_FULFILLMENT', 'PARTIALLY_SHIPPED', "
    "'BACKORDERED')"
)

# What reports read from the orders indexes (migration 0010).
REPORTED_ORDER_COLUMNS = [
    "id",
    "channel_id",
    "currency",
    "status",
    "source_code",
    "subtotal",
    "discount_total",
    "shipping_total",
    "tax_total",
    "total",
]

orders = Table(
    "orders",
    metadata,
    Column("id", Uid, primary_key=True),
    Column("number", String(80), nullable=False, unique=True),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(24), nullable=False),
    Column("status_changed_at", Timestamp, nullable=False),  # for stuckForMinutes
    Column("customer_id", Uid, ForeignKey("customers.id"), nullable=True),
    Column("email", String(320), nullable=True),
    Column("shipping_address", JSON, nullable=True),
    Column("delivery_option", String(64), nullable=True),
    Column("coupon_codes", JSON, nullable=False),
    Column("source_code", String(64), nullable=True),
    Column("external_reference", String(200), nullable=True),
    Column("cart_id", Uid, nullable=True),
    Column("subtotal", Money, nullable=False),
    Column("discount_total", Money, nullable=False),
    Column("shipping_total", Money, nullable=False),
    Column("tax_total", Money, nullable=False),
    Column("total", Money, nullable=False),
    Column("shipping_charge", Money, nullable=False),
    Column("shipping_discount", Money, nullable=False),
    Column("shipping_tax", Money, nullable=False),
    Column("prices_include_tax", Boolean, nullable=False),
    Column("hold_reason", String(500), nullable=True),
    Column("appeased", Money, nullable=False),
    Column("shipping_captured", Boolean, nullable=False),
    Column("authorization_released", Boolean, nullable=False),
    Column("rejected_location_ids", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    # (0010) The latest delivery date (end of day) or pickup readyBy promised at placement;
    # null when nothing was promised (marketplace orders without an option).
    Column("promised_by", Timestamp, nullable=True),
    # A marketplace order imported twice is refused even under another idempotency key.
    UniqueConstraint("channel_id", "external_reference", name="uq_orders_external_reference"),
    Index("ix_orders_channel", "channel_id", "id"),
    Index("ix_orders_customer", "customer_id", "id"),
    Index("ix_orders_status", "status", "status_changed_at"),
    # (0010) Covering on PostgreSQL (INCLUDE): reports read the orders of a period, or of a
    # channel's period, from the index alone. Open orders by promise: small, partial
    # (finished orders leave it). docs/reports.md.
    Index("ix_orders_created", "created_at", postgresql_include=REPORTED_ORDER_COLUMNS),
    Index(
        "ix_orders_channel_created",
        "channel_id",
        "created_at",
        postgresql_include=REPORTED_ORDER_COLUMNS,
    ),
    Index(
        "ix_orders_open_promised",
        "promised_by",
        postgresql_where=text(OPEN_ORDER_SQL),
        sqlite_where=text(OPEN_ORDER_SQL),
    ),
)

# (0012) What the line and fulfillment reports read from the placement indexes below.
PLACED_LINE_COLUMNS = [
    "channel_id",
    "position",
    "sku",
    "quantity",
    "quantity_shipped",
    "quantity_cancelled",
    "quantity_returned",
    "quantity_unfilled",
]
PLACED_FULFILLMENT_COLUMNS = ["channel_id", "location_id", "location_code", "method", "updated_at"]
DELIVERED_FULFILLMENT_SQL = "status IN ('SHIPPED', 'PICKED_UP')"

# Per line: gross (subtotal), discount and tax as charged, so refunds and captures prorate
# from what the shopper was actually charged.
order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Uid, primary_key=True),
    Column("order_id", Uid, ForeignKey("orders.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("method", String(16), nullable=False),
    Column("pickup_location_id", Integer, ForeignKey("locations.id"), nullable=True),
    Column("unit_price", Money, nullable=False),
    Column("subtotal", Money, nullable=False),
    Column("discount", Money, nullable=False),
    Column("total", Money, nullable=False),
    Column("tax", Money, nullable=False),
    Column("charge", Money, nullable=False),
    Column("quantity_cancelled", Integer, nullable=False),
    Column("quantity_shipped", Integer, nullable=False),
    Column("quantity_returned", Integer, nullable=False),
    # (0010) Units cancelled because no location could send them (a fill failure), as
    # opposed to cancelled by the shopper or staff, or a pickup never collected.
    Column("quantity_unfilled", Integer, nullable=False, server_default="0"),
    # (0012) The order's placement time and channel, copied at insert (they never change):
    # the returns and fill-rate reports read a period's lines from one index range, with
    # no join to orders (docs/reports.md).
    Column("placed_at", Timestamp, nullable=False),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False),
    # (0012: no longer covering; the reports read the placement indexes below.)
    Index("ix_order_lines_order", "order_id", "position"),
    # (0010) The few lines no location could fill (the fill-rate report's short orders).
    Index(
        "ix_order_lines_unfilled",
        "order_id",
        postgresql_where=text("quantity_unfilled > 0"),
        sqlite_where=text("quantity_unfilled > 0"),
    ),
    # (0012) A period's lines, and one channel's, covering on PostgreSQL (version 15 has
    # no skip scan: one channel in the first index reads every channel's range).
    Index("ix_order_lines_placed", "placed_at", postgresql_include=PLACED_LINE_COLUMNS),
    Index(
        "ix_order_lines_channel_placed",
        "channel_id",
        "placed_at",
        postgresql_include=PLACED_LINE_COLUMNS[1:],
    ),
)

fulfillments = Table(
    "fulfillments",
    metadata,
    Column("id", Uid, primary_key=True),
    Column("order_id", Uid, ForeignKey("orders.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("location_code", String(64), nullable=False),
    Column("method", String(16), nullable=False),
    Column("status", String(24), nullable=False),
    Column("carrier", String(100), nullable=True),
    Column("tracking_number", String(200), nullable=True),
    Column("pickup_code", String(16), nullable=True),
    Column("pickup_attempts", Integer, nullable=False),
    Column("ready_at", Timestamp, nullable=True),
    Column("reason", String(500), nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    # (0012) The order's placement time and channel, as on order_lines.
    Column("placed_at", Timestamp, nullable=False),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False),
    Index("ix_fulfillments_order", "order_id", "position"),
    # (0012) Delivered fulfillments by the placement of their order (order to shipment):
    # partial, so a checkout's new fulfillment does not write it; it enters on shipping.
    Index(
        "ix_fulfillments_placed_delivered",
        "placed_at",
        postgresql_include=PLACED_FULFILLMENT_COLUMNS,
        postgresql_where=text(DELIVERED_FULFILLMENT_SQL),
        sqlite_where=text(DELIVERED_FULFILLMENT_SQL),
    ),
    Index(
        "ix_fulfillments_channel_placed_delivered",
        "channel_id",
        "placed_at",
        postgresql_include=PLACED_FULFILLMENT_COLUMNS[1:],
        postgresql_where=text(DELIVERED_FULFILLMENT_SQL),
        sqlite_where=text(DELIVERED_FULFILLMENT_SQL),
    ),
    Index("ix_fulfillments_location", "location_id", "status"),
    Index("ix_fulfillments_ready", "status", "ready_at"),
)

fulfillment_lines = Table(
    "fulfillment_lines",
    metadata,
    Column("fulfillment_id", Uid, ForeignKey("fulfillments.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("order_line_id", Uid, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
)

backorders = Table(
    "backorders",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", Uid, ForeignKey("orders.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("order_line_id", Uid, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("expected_on", Date, nullable=False),
    Index("ix_backorders_order", "order_id", "position"),
    Index("ix_backorders_sku", "sku", "expected_on"),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Uid, primary_key=True),
    Column("order_id", Uid, ForeignKey("orders.id"), nullable=False),
    Column("gateway", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("authorization", String(200), nullable=False),
    Column("authorized", Money, nullable=False),
    Column("captured", Money, nullable=False),
    Column("refunded", Money, nullable=False),
    Column("declined", Boolean, nullable=False),
    Column("voided", Boolean, nullable=False),
    Column("closed", Boolean, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Index("ix_payments_order", "order_id"),
)

payment_transactions = Table(
    "payment_transactions",
    metadata,
    Column("payment_id", Uid, ForeignKey("payments.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("amount", Money, nullable=False),
    Column("reference", String(200), nullable=False),
    Column("at", Timestamp, nullable=False),
)

# Append-only: every change of an order, with who made it.
order_history = Table(
    "order_history",
    metadata,
    Column("order_id", Uid, ForeignKey("orders.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("at", Timestamp, nullable=False),
    Column("type", String(64), nullable=False),
    Column("message", String(1000), nullable=False),
    Column("actor", String(200), nullable=True),
)

# A channel's order configuration; a channel without a row uses the defaults
# (persistence/repositories/channel_settings.py).
channel_order_settings = Table(
    "channel_order_settings",
    metadata,
    Column("channel_id", Integer, ForeignKey("channels.id"), primary_key=True),
    Column("taxes", JSON, nullable=False),
    Column("sourcing", JSON, nullable=False),
    Column("delivery_options", JSON, nullable=False),
    Column("pickup", JSON, nullable=False),
    Column("number_prefix", String(32), nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

# Fulfillments assigned per location and day (UTC), against Location.dailyCapacity: a row
# locked by the checkout that counts on it, never a cached figure.
fulfillment_counters = Table(
    "fulfillment_counters",
    metadata,
    Column("location_id", Integer, ForeignKey("locations.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("assigned", Integer, nullable=False),
)

order_number_sequences = Table(
    "order_number_sequences",
    metadata,
    Column("channel_id", Integer, ForeignKey("channels.id"), primary_key=True),
    Column("last_number", BigInteger, nullable=False),
)


# ---------------------------------------------------------------- ledger (0007)
# Append-only (docs/ledger.md): a correction is a reversing entry, one per entry at most.
journal_entries = Table(
    "journal_entries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", Timestamp, nullable=False),
    Column("event", String(64), nullable=False),
    Column("reference", String(64), nullable=False),
    Column("memo", String(500), nullable=False),
    Column("reverses", BigInteger, ForeignKey("journal_entries.id"), nullable=True, unique=True),
    Index("ix_journal_entries_reference", "reference", "id"),
    Index("ix_journal_entries_at", "at"),  # the export's date range (0011)
)

journal_lines = Table(
    "journal_lines",
    metadata,
    Column("entry_id", BigInteger, ForeignKey("journal_entries.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("account", String(40), nullable=False),
    Column("debit", Money, nullable=False),
    Column("credit", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Index("ix_journal_lines_currency_account", "currency", "account"),
)

# General-ledger export batches (docs/ledger.md, "Export"): the range asked for, what it
# took, the checksum of its file; each entry belongs to at most one batch (its primary key).
ledger_exports = Table(
    "ledger_exports",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("date_from", Date, nullable=False),
    Column("date_to", Date, nullable=False),
    Column("starts_at", Timestamp, nullable=False),
    Column("ends_at", Timestamp, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("entries", Integer, nullable=False),
    Column("lines", Integer, nullable=False),
    Column("first_entry_id", BigInteger, nullable=True),
    Column("last_entry_id", BigInteger, nullable=True),
    Column("checksum", String(64), nullable=False),
    UniqueConstraint("date_from", "date_to", name="uq_ledger_exports_date_from"),
)

ledger_export_entries = Table(
    "ledger_export_entries",
    metadata,
    Column("entry_id", BigInteger, ForeignKey("journal_entries.id"), primary_key=True),
    Column("batch_id", BigInteger, ForeignKey("ledger_exports.id"), nullable=False),
    Index("ix_ledger_export_entries_batch", "batch_id", "entry_id"),
)

# ---------------------------------------------------------------- returns (0008)
# A return of an order's shipped units (docs/returns.md). `status` moves REQUESTED ->
# RECEIVED -> REFUNDED under the order's row lock; the refund is written once by a
# conditional update (WHERE status = 'RECEIVED').
returns = Table(
    "returns",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", Uid, ForeignKey("orders.id"), nullable=False),
    Column("order_number", String(80), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("location_code", String(64), nullable=True),  # announced; NULL = mail-back
    Column("received_at_location", String(64), nullable=True),
    Column("refund", Money, nullable=True),
    Column("exchange_order_id", Uid, ForeignKey("orders.id"), nullable=True),
    Column("exchange_lines", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Index("ix_returns_order", "order_id", "id"),
)

return_lines = Table(
    "return_lines",
    metadata,
    Column("return_id", BigInteger, ForeignKey("returns.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("order_line_id", Uid, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("received", Integer, nullable=True),
    Column("disposition", String(24), nullable=True),
)

# ---------------------------------------------------------------- promotions (0009)
# docs/promotions.md ("Wiring"). Codes are stored normalized (trimmed, upper case). A coupon
# code names one promotion for ever (unique, ended promotions included): a printed code keeps
# one meaning and redemptions by code stay unambiguous. `channels` keeps the codes as given
# (what the API shows); `promotion_channels` is the same list as rows, for the per-channel
# read pricing does on every cart and checkout.
promotions = Table(
    "promotions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("value", Money, nullable=False),
    Column("channels", JSON, nullable=False),
    Column("coupon_code", String(64), nullable=True, unique=True),
    Column("usage_limit", Integer, nullable=True),
    Column("times_used", Integer, nullable=False),
    Column("starts_at", Timestamp, nullable=True),
    Column("ends_at", Timestamp, nullable=True),
    Column("min_subtotal", Money, nullable=True),
    Column("skus", JSON, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("buy_quantity", Integer, nullable=True),
    Column("get_quantity", Integer, nullable=True),
    Column("exclusive", Boolean, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("source_code", String(64), nullable=True),
    Column("created_at", Timestamp, nullable=False),
    # The usage limit holds even against a buggy writer, not only the conditional UPDATE.
    CheckConstraint(
        "times_used >= 0 AND (usage_limit IS NULL OR times_used <= usage_limit)",
        name="within_usage_limit",
    ),
)

promotion_channels = Table(
    "promotion_channels",
    metadata,
    Column("promotion_id", BigInteger, ForeignKey("promotions.id"), primary_key=True),
    Column("channel_id", Integer, ForeignKey("channels.id"), primary_key=True),
    Index("ix_promotion_channels_channel", "channel_id", "promotion_id"),
)

# One row per promotion an order used, with what it took off (reports, audits). Written
# in the checkout's transaction, with the counted use.
promotion_redemptions = Table(
    "promotion_redemptions",
    metadata,
    Column("promotion_id", BigInteger, ForeignKey("promotions.id"), primary_key=True),
    Column("order_id", Uid, ForeignKey("orders.id"), primary_key=True),
    Column("amount", Money, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Index("ix_promotion_redemptions_order", "order_id"),
)

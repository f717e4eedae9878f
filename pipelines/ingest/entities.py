"""The registry: every source system and entity, their columns and rules, defined once.

The export contract (shared/spec/exports.md) as data. The landing folders, the Airflow
Assets and watchers, the metrics schedule, the staging models, the incremental scope, the
default as_of, the validation batches and docs/landing.md are derived from ENTITIES; adding
an entity is an entry here plus what docs/extending.md lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pipelines.quoting import plain_name

Kind = Literal["text", "timestamp", "amount", "int", "enum", "code"]

SQL_TYPES: dict[Kind, str] = {
    "text": "varchar",
    "timestamp": "timestamptz",
    "amount": "decimal(18, 2)",
    "int": "integer",
    "enum": "varchar",
    "code": "varchar",
}

CHANNELS = ("web", "app", "store", "phone", "email", "chat")


@dataclass(frozen=True)
class Field:
    """One canonical column: its kind and the rule a value must meet to be loaded."""

    name: str
    kind: Kind = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None
    code_length: int | None = None
    default: str | None = None
    # Free text that staging masks (control characters, e-mails, phone numbers).
    clean: bool = False


@dataclass(frozen=True)
class Entity:
    """One export of one source system, with its landing folder and key."""

    name: str
    system: str
    folder: str
    key: str
    fields: tuple[Field, ...]
    # The timestamp that places a row in time: the data's range and default as_of.
    stamp: str
    # What one row of staging.stg_<name> is, for its table COMMENT.
    description: str
    version: str | None = None

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def duplicate_key(self) -> tuple[str, ...]:
        """Columns that must be unique inside one file."""
        return (self.key, self.version) if self.version else (self.key,)


def _score(name: str, low: int, high: int) -> Field:
    return Field(name, "int", low=low, high=high)


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity(
            name="customers",
            system="crm",
            folder="crm/customers",
            key="customer_id",
            version="updated_at",
            stamp="updated_at",
            description=(
                "CRM customer versions: core.customers picks the latest version up to as_of, so "
                "a newer updated_at replaces an older one."
            ),
            fields=(
                Field("customer_id", required=True),
                Field("created_at", "timestamp", required=True),
                Field("updated_at", "timestamp", required=True),
                Field("country", "code", code_length=2),
                Field("segment", clean=True),
                Field("preferred_channel", "enum", choices=CHANNELS),
                Field("status", "enum", choices=("active", "churned")),
                Field("churned_at", "timestamp"),
                Field(
                    "churn_reason",
                    "enum",
                    choices=("competitor", "price", "service", "product", "moved", "other"),
                ),
            ),
        ),
        Entity(
            name="events",
            system="crm",
            folder="crm/events",
            key="event_id",
            stamp="occurred_at",
            description="Every CRM event once.",
            fields=(
                Field("event_id", required=True),
                Field("customer_id", required=True),
                Field("occurred_at", "timestamp", required=True),
                Field(
                    "event_type",
                    "enum",
                    required=True,
                    choices=(
                        "support_contact",
                        "complaint",
                        "referral",
                        "cancellation",
                        "reactivation",
                        "winback_offer",
                        "outreach",
                    ),
                ),
                Field("channel", "enum", choices=CHANNELS),
                Field("resolved_at", "timestamp"),
                Field("handoffs", "int", low=0),
                Field("referred_customer_id"),
            ),
        ),
        Entity(
            name="orders",
            system="shop",
            folder="shop/orders",
            key="order_id",
            stamp="ordered_at",
            description="Every shop order once.",
            fields=(
                Field("order_id", required=True),
                Field("customer_id", required=True),
                Field("ordered_at", "timestamp", required=True),
                Field("net_amount", "amount", required=True),
                Field(
                    "status",
                    "enum",
                    choices=("completed", "cancelled", "returned"),
                    default="completed",
                ),
                Field("channel", "enum", choices=("web", "app", "store")),
                Field("gross_amount", "amount"),
                Field("discount_amount", "amount"),
                Field("currency", "code", code_length=3),
                Field("item_count", "int", low=0),
            ),
        ),
        Entity(
            name="returns",
            system="shop",
            folder="shop/returns",
            key="return_id",
            stamp="returned_at",
            description="Every shop return once.",
            fields=(
                Field("return_id", required=True),
                Field("order_id", required=True),
                Field("returned_at", "timestamp", required=True),
                Field("amount", "amount", required=True),
                Field("reason", clean=True),
            ),
        ),
        Entity(
            name="responses",
            system="survey",
            folder="survey/responses",
            key="response_id",
            stamp="responded_at",
            description="Every survey response once.",
            fields=(
                Field("response_id", required=True),
                Field("responded_at", "timestamp", required=True),
                Field("customer_id"),
                Field("touchpoint", "enum", choices=("post_purchase", "support", "relationship")),
                Field("channel", clean=True),
                _score("nps_score", 0, 10),
                _score("csat", 1, 5),
                _score("product_quality", 1, 5),
                _score("process_quality", 1, 5),
                _score("personal_service", 1, 5),
                Field("comment", clean=True),
                Field("language", clean=True),
            ),
        ),
    )
}
# The landing folders by source system, as the Airflow watchers and the generator see them.
SYSTEMS: dict[str, dict[str, str]] = {}
for _entity in ENTITIES.values():
    SYSTEMS.setdefault(_entity.system, {})[_entity.name] = _entity.folder
# The file an exporter touches in an entity's folder when its delivery is complete.
FLAG_NAME = "_ready"

LOAD_COLUMNS = ("_file_id bigint not null", "_record bigint not null")
# Columns a file carries beyond the contract, as one JSON object (see pipelines/ingest/drift.py).
EXTRA_COLUMN = "_extra json"


def raw_table_ddl(entity: Entity) -> str:
    """DDL of raw.<entity>: every loaded row of every file, canonical and typed."""
    columns_sql = [
        *LOAD_COLUMNS,
        *(f"{plain_name(f.name)} {SQL_TYPES[f.kind]}" for f in entity.fields),
        EXTRA_COLUMN,
    ]
    return f"create table if not exists raw.{plain_name(entity.name)} ({', '.join(columns_sql)})"

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
    # What the column holds; the staging column's COMMENT adds the rules above to it.
    description: str = ""


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


def _score(name: str, low: int, high: int, description: str) -> Field:
    return Field(name, "int", low=low, high=high, description=description)


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
                Field(
                    "customer_id",
                    required=True,
                    description="The customer's id, shared by the CRM, the shop and the survey.",
                ),
                Field(
                    "created_at",
                    "timestamp",
                    required=True,
                    description="When the CRM created the customer.",
                ),
                Field(
                    "updated_at",
                    "timestamp",
                    required=True,
                    description="When the CRM changed the customer; the time of this version.",
                ),
                Field(
                    "country",
                    "code",
                    code_length=2,
                    description="The customer's country as an ISO 3166 alpha-2 code.",
                ),
                Field(
                    "segment", clean=True, description="The customer's segment as the CRM names it."
                ),
                Field(
                    "preferred_channel",
                    "enum",
                    choices=CHANNELS,
                    description="The channel the customer prefers to be contacted on.",
                ),
                Field(
                    "status",
                    "enum",
                    choices=("active", "churned"),
                    description="The customer's status in this version.",
                ),
                Field(
                    "churned_at",
                    "timestamp",
                    description="When the customer churned, as this version says.",
                ),
                Field(
                    "churn_reason",
                    "enum",
                    choices=("competitor", "price", "service", "product", "moved", "other"),
                    description="Why the customer churned, as this version says.",
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
                Field("event_id", required=True, description="The CRM event's id."),
                Field("customer_id", required=True, description="The customer the event concerns."),
                Field(
                    "occurred_at",
                    "timestamp",
                    required=True,
                    description="When the event happened.",
                ),
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
                    description=(
                        "What happened; outreach is the company contacting the customer (e.g. a "
                        "call-back after a survey), cancellation an explicit churn."
                    ),
                ),
                Field(
                    "channel",
                    "enum",
                    choices=CHANNELS,
                    description="The channel the event happened on.",
                ),
                Field(
                    "resolved_at",
                    "timestamp",
                    description="When the contact or complaint was resolved.",
                ),
                Field(
                    "handoffs",
                    "int",
                    low=0,
                    description="How often the contact was handed on to another agent or team.",
                ),
                Field(
                    "referred_customer_id",
                    description="For a referral, the customer who was referred.",
                ),
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
                Field("order_id", required=True, description="The shop's order id."),
                Field(
                    "customer_id", required=True, description="The customer who placed the order."
                ),
                Field(
                    "ordered_at",
                    "timestamp",
                    required=True,
                    description="When the order was placed.",
                ),
                Field(
                    "net_amount",
                    "amount",
                    required=True,
                    description="The order's amount after discounts, before returns (stg_returns holds those).",
                ),
                Field(
                    "status",
                    "enum",
                    choices=("completed", "cancelled", "returned"),
                    default="completed",
                    description="The order's status; a cancelled order is no purchase.",
                ),
                Field(
                    "channel",
                    "enum",
                    choices=("web", "app", "store"),
                    description="Where the order was placed.",
                ),
                Field("gross_amount", "amount", description="The order's amount before discounts."),
                Field(
                    "discount_amount", "amount", description="The discount granted on the order."
                ),
                Field(
                    "currency",
                    "code",
                    code_length=3,
                    description="The currency of the order's amounts as an ISO 4217 code; a row in another than the reporting currency is rejected at ingest.",
                ),
                Field("item_count", "int", low=0, description="Items in the order."),
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
                Field("return_id", required=True, description="The shop's return id."),
                Field(
                    "order_id", required=True, description="The order the return is booked against."
                ),
                Field(
                    "returned_at",
                    "timestamp",
                    required=True,
                    description="When the return was booked.",
                ),
                Field(
                    "amount",
                    "amount",
                    required=True,
                    description="The amount refunded; core.purchases deducts it from the order's revenue.",
                ),
                Field(
                    "reason",
                    clean=True,
                    description="Why the customer returned goods, as the shop records it.",
                ),
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
                Field("response_id", required=True, description="The survey response's id."),
                Field(
                    "responded_at",
                    "timestamp",
                    required=True,
                    description="When the customer responded.",
                ),
                Field(
                    "customer_id",
                    description="The responding customer; anonymous responses have none.",
                ),
                Field(
                    "touchpoint",
                    "enum",
                    choices=("post_purchase", "support", "relationship"),
                    description="What the survey asked about: a purchase, a support contact or the relationship as a whole.",
                ),
                Field(
                    "channel",
                    clean=True,
                    description="The channel the survey was answered on, as the survey tool names it.",
                ),
                _score(
                    "nps_score",
                    0,
                    10,
                    "How likely the customer would recommend the company (the NPS question); 10 is the most likely.",
                ),
                _score(
                    "csat",
                    1,
                    5,
                    "Satisfaction with the touchpoint (CSAT); 5 is very satisfied, 1 very dissatisfied.",
                ),
                _score(
                    "product_quality",
                    1,
                    5,
                    "Rating of the product quality; 5 is the best.",
                ),
                _score(
                    "process_quality",
                    1,
                    5,
                    "Rating of the process (ordering, delivery, support); 5 is the best.",
                ),
                _score(
                    "personal_service",
                    1,
                    5,
                    "Rating of the personal service; 5 is the best.",
                ),
                Field("comment", clean=True, description="The customer's comment."),
                Field(
                    "language",
                    clean=True,
                    description="The response's language, as the survey tool gives it.",
                ),
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

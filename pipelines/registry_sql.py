"""SQL derived from the registry: sql/templates/*.sql filled in for every entity."""

from __future__ import annotations

import yaml

from pipelines.config import SQL_DIR
from pipelines.ingest.entities import ENTITIES, Entity, Field
from pipelines.quoting import fill, plain_name

TEMPLATES = SQL_DIR / "templates"
STAGING_TEMPLATE = TEMPLATES / "staging.sql"
STAMPS_TEMPLATE = TEMPLATES / "entity_stamps.sql"
NEW_KEYS_TEMPLATE = TEMPLATES / "new_keys.sql"
BATCH_TEMPLATE = TEMPLATES / "validation_batch.sql"
DEFAULT_AS_OF = SQL_DIR / "setup" / "default_as_of.sql"
# The column the staging template adds to the entity's fields.
FILE_ID_DESCRIPTION = (
    "The export the row comes from (audit.files.file_id); for a key delivered several times, "
    "the latest one."
)


def staging_description(entity: Entity) -> str:
    unique = " and ".join(entity.duplicate_key)
    return (
        f"{entity.description} One row per {unique}; if one arrives in several files, the "
        "latest export wins (files ordered by name, which carries the export date, then content "
        f"hash). Typed and renamed by the ingest; raw.{entity.name} keeps every delivered version."
    )


def column_description(field: Field) -> str:
    """A staging column's COMMENT: what the field holds, then the rules the ingest enforced."""
    sentences = [field.description or f"The export's {field.name}."]
    if field.kind == "timestamp":
        sentences.append(
            "An instant; a value without an offset is read in the time zone of the source's "
            "mapping (sources/sources.yaml, UTC unless it names one)."
        )
    if field.kind == "amount":
        sentences.append("In the reporting currency.")
    if field.choices:
        sentences.append(f"One of {', '.join(field.choices)}.")
    if field.low is not None and field.high is not None:
        sentences.append(f"From {field.low} to {field.high}.")
    elif field.low is not None:
        sentences.append(f"At least {field.low}.")
    elif field.high is not None:
        sentences.append(f"At most {field.high}.")
    if field.code_length:
        sentences.append(f"A code of {field.code_length} capital letters.")
    if field.clean:
        sentences.append(
            "Control characters removed, e-mail addresses and phone numbers masked as [email] "
            "and [phone]."
        )
    if field.default:
        sentences.append(f"An empty value in the export means {field.default}.")
    elif not field.required:
        sentences.append("NULL where the export leaves it empty.")
    return " ".join(sentences)


def staging_columns(entity: Entity) -> dict[str, str]:
    """Every column of staging.stg_<entity> with its COMMENT, in the table's order."""
    return {
        **{f.name: column_description(f) for f in entity.fields},
        "file_id": FILE_ID_DESCRIPTION,
    }


def replace_sql(fields: list[Field], expression_sql: str) -> str:
    """`replace (<expression> as <name>, ...)` for the fields, or nothing without any."""
    if not fields:
        return ""
    items_sql = ", ".join(
        f"{fill(expression_sql, name=plain_name(f.name))} as {plain_name(f.name)}" for f in fields
    )
    return f"replace ({items_sql})"


def staging_sql(entity: Entity) -> str:
    """The text of staging.stg_<entity>: a header as the model files have one, then the SELECT."""
    header = {
        "description": staging_description(entity),
        "incremental": {"scope": entity.name, "key": entity.key},
        "columns": staging_columns(entity),
    }
    cleaned_sql = replace_sql([f for f in entity.fields if f.clean], "clean_text({name})")
    # The header is a comment: the model's documentation, not SQL.
    header_sql = yaml.safe_dump(header, sort_keys=False, width=88)
    body_sql = fill(
        STAGING_TEMPLATE.read_text(encoding="utf-8"),
        table=plain_name(entity.name),
        key=plain_name(entity.key),
        unique=", ".join(plain_name(c) for c in entity.duplicate_key),
        raw_unique=", ".join(f"raw_rows.{plain_name(c)}" for c in entity.duplicate_key),
        cleaned=cleaned_sql,
    )
    return f"/*\n{header_sql}*/\n{body_sql}"


def default_as_of_sql() -> str:
    """sql/setup/default_as_of.sql over every entity's timestamps."""
    template = STAMPS_TEMPLATE.read_text(encoding="utf-8")
    stamps_sql = "\nunion all\n".join(
        fill(template, table=plain_name(e.name), stamp=plain_name(e.stamp))
        for e in ENTITIES.values()
    )
    return fill(DEFAULT_AS_OF.read_text(encoding="utf-8"), stamps=stamps_sql)


def new_keys_sql() -> dict[str, str]:
    """Per entity, the statement that puts the keys of its new files into the build's scope."""
    template = NEW_KEYS_TEMPLATE.read_text(encoding="utf-8")
    return {
        e.name: fill(template, table=plain_name(e.name), key=plain_name(e.key))
        for e in ENTITIES.values()
    }


def validation_batch_sql(entity: Entity) -> str:
    """The rows of a batch as the entity's suite sees them, amounts as doubles."""
    amounts_sql = replace_sql([f for f in entity.fields if f.kind == "amount"], "{name}::double")
    return fill(
        BATCH_TEMPLATE.read_text(encoding="utf-8"),
        table=plain_name(entity.name),
        amounts=amounts_sql,
    )

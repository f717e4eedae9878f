"""Staging models derived from the registry: sql/templates/staging.sql filled in per entity."""

from __future__ import annotations

import yaml

from pipelines.config import SQL_DIR
from pipelines.ingest.entities import Entity
from pipelines.quoting import fill, plain_name

STAGING_TEMPLATE = SQL_DIR / "templates" / "staging.sql"


def staging_description(entity: Entity) -> str:
    unique = " and ".join(entity.duplicate_key)
    return (
        f"{entity.description} One row per {unique}; if one arrives in several files, the "
        "latest export wins (files ordered by name, which carries the export date, then content "
        f"hash). Typed and renamed by the ingest; raw.{entity.name} keeps every delivered version."
    )


def staging_sql(entity: Entity) -> str:
    """The text of staging.stg_<entity>: a header as the model files have one, then the SELECT."""
    header = {
        "description": staging_description(entity),
        "incremental": {"scope": entity.name, "key": entity.key},
    }
    cleaned = [f for f in entity.fields if f.clean]
    cleaned_sql = (
        "replace ("
        + ", ".join(f"clean_text({plain_name(f.name)}) as {plain_name(f.name)}" for f in cleaned)
        + ")"
        if cleaned
        else ""
    )
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

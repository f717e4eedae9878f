"""Schema drift: columns an export adds, lacks, or delivers in another type, and the policy for each.

The policy lives in sources/sources.yaml under `schema_drift` (a default and optional
per-entity overrides) and `privacy`; docs/sources.md describes both.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Literal

import duckdb

from pipelines.errors import LoyaltyError
from pipelines.ingest.checks import SEPARATOR
from pipelines.ingest.entities import ENTITIES, Entity
from pipelines.ingest.mappings import normalize
from pipelines.ingest.yaml_files import known_options, section, share, whole_number
from pipelines.quoting import ident, literal

EMAIL_NAMES = ("email", "e_mail", "mail", "email_address")


@dataclass(frozen=True)
class DriftPolicy:
    """What happens to a file whose columns differ from the contract."""

    unknown_column: Literal["keep", "quarantine"] = "keep"
    type_change: Literal["quarantine", "reject_rows"] = "quarantine"
    type_change_share: float = 0.9
    type_change_min_values: int = 5


@dataclass(frozen=True)
class Privacy:
    """How e-mail columns an export carries beyond the contract are stored in raw."""

    email_columns: Literal["keep_raw", "hash", "drop"] = "keep_raw"


@dataclass(frozen=True)
class Drift:
    """One difference between a file's columns and the contract, and what was done about it."""

    column: str
    change: Literal["added", "missing_required", "type_changed"]
    action: Literal["kept_in_raw", "quarantined", "rows_rejected"]
    detail: str


CHOICES = {
    "unknown_column": ("keep", "quarantine"),
    "type_change": ("quarantine", "reject_rows"),
    "email_columns": ("keep_raw", "hash", "drop"),
}


def checked_options(where: str, options: object, allowed: set[str]) -> dict[str, object]:
    """Options of one policy, each checked for its type and allowed values."""
    checked = dict(known_options(where, section(where, options), allowed))
    for key, value in checked.items():
        if key in CHOICES and value not in CHOICES[key]:
            raise LoyaltyError(f"{where}: {key} must be one of {', '.join(CHOICES[key])}")
    if "type_change_share" in checked:
        checked["type_change_share"] = share(
            f"{where}: type_change_share", checked["type_change_share"]
        )
    if "type_change_min_values" in checked:
        checked["type_change_min_values"] = whole_number(
            f"{where}: type_change_min_values", checked["type_change_min_values"], 1
        )
    return checked


def load_policies(config: dict, sources_file: Path) -> dict[str, DriftPolicy]:
    """Entity -> drift policy: the `schema_drift.default`, overridden per entity."""
    where = f"{sources_file} schema_drift"
    policies = section(where, config.get("schema_drift"))
    allowed = {f.name for f in fields(DriftPolicy)}
    unknown_entities = set(policies) - {"default", *ENTITIES}
    if unknown_entities:
        raise LoyaltyError(
            f"{sources_file}: schema_drift names unknown entities {', '.join(sorted(map(str, unknown_entities)))}"
        )
    default = DriftPolicy(**checked_options(where, policies.get("default"), allowed))  # type: ignore[arg-type]
    return {
        name: replace(default, **checked_options(where, policies.get(name), allowed))  # type: ignore[arg-type]
        for name in ENTITIES
    }


def load_privacy(config: dict, sources_file: Path) -> Privacy:
    options = checked_options(
        f"{sources_file} privacy", config.get("privacy"), {f.name for f in fields(Privacy)}
    )
    return Privacy(**options)  # type: ignore[arg-type]


def unknown_columns(header: list[str], mapped: dict[str, int]) -> list[tuple[int, str]]:
    """(index, name) of every header column no canonical column is mapped from."""
    used = set(mapped.values())
    return [(i, name) for i, name in enumerate(header) if i not in used and name.strip()]


def is_email_column(name: str) -> bool:
    return normalize(name) in EMAIL_NAMES or normalize(name).endswith("_email")


def extra_sql(unknown: list[tuple[int, str]], privacy: Privacy, salt: str) -> str:
    """SQL for raw's `_extra`: the unknown columns as one JSON object, e-mails per the privacy policy."""
    pairs_sql = []
    for index, name in unknown:
        value_sql = f"c{index:d}"
        if is_email_column(name):
            if privacy.email_columns == "drop":
                continue
            if privacy.email_columns == "hash":
                value_sql = f"sha256({literal(salt)} || lower(trim({value_sql})))"
        pairs_sql.append(f"{literal(name)}, {value_sql}")
    return f"json_object({', '.join(pairs_sql)})" if pairs_sql else "null::json"


def added_columns(unknown: list[tuple[int, str]], policy: DriftPolicy) -> list[Drift]:
    action = "kept_in_raw" if policy.unknown_column == "keep" else "quarantined"
    detail = (
        "kept in raw._extra and ignored downstream"
        if action == "kept_in_raw"
        else "the schema_drift policy quarantines files with unknown columns"
    )
    return [Drift(name, "added", action, detail) for _, name in unknown]


def missing_required(columns: list[str]) -> list[Drift]:
    return [
        Drift(c, "missing_required", "quarantined", "a required column is missing") for c in columns
    ]


def type_changes(
    con: duckdb.DuckDBPyConnection, entity: Entity, policy: DriftPolicy
) -> list[Drift]:
    """Columns of `_typed` whose values mostly cannot be read as the contract's type."""
    unreadable = con.execute(
        """
        select split_part(_reject, $separator, 1) as col, count(*) as n,
               min(split_part(_reject, $separator, 2)) as example
        from _typed
        where _reject is not null and split_part(_reject, $separator, 2) like 'cannot read %'
        group by col
        having count(*) >= $min_values
        """,
        {"separator": SEPARATOR, "min_values": policy.type_change_min_values},
    ).fetchall()
    action = "quarantined" if policy.type_change == "quarantine" else "rows_rejected"
    drifts = []
    for column, count, example in unreadable:
        if column not in entity.columns:
            continue
        readable = con.execute(
            f"select count({ident(column)}) from _typed where _reject is null"
        ).fetchone()[0]  # type: ignore[index]
        share = count / (count + readable)
        if share >= policy.type_change_share:
            drifts.append(
                Drift(
                    column,
                    "type_changed",
                    action,
                    f"{count} of {count + readable} values cannot be read as the contract's type, "
                    f"e.g. {example.removeprefix('cannot read ')}",
                )
            )
    return drifts


def record_drift(
    con: duckdb.DuckDBPyConnection, file_id: int, entity: str, drifts: list[Drift]
) -> None:
    if drifts:
        con.executemany(
            'insert into audit.schema_drift (file_id, entity, "column", change, action, detail, '
            "detected_at) values (?, ?, ?, ?, ?, mask_pii(?), now())",
            [[file_id, entity, d.column, d.change, d.action, d.detail] for d in drifts],
        )


def describe(drifts: list[Drift]) -> str:
    """One line for the run's output and the ledger's notes."""
    return "; ".join(
        f"column {d.column!r} {d.change.replace('_', ' ')}: {d.detail}" for d in drifts
    )

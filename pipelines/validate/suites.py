"""Expectation suites as reviewed JSON files in expectations/, with their severities.

A suite holds what the ingest cannot check row by row (pipelines/ingest/entities.py holds
those rules): bounds that depend on the run (timestamps against as_of), rules across
columns, and checks across files and tables. An expectation with an `sql` entry is one of
our own checks, sql/validation/<sql>.sql, run inside DuckDB; every other one runs in GX.
Each carries in its `meta` an id (results are matched to it), a severity and a sentence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pipelines.config import EXPECTATIONS_DIR
from pipelines.errors import LoyaltyError

Severity = Literal["critical", "warning"]
# The arguments through which a GX expectation names one column it reads.
COLUMN_ARGUMENTS = ("column", "column_A", "column_B")


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation of a suite file: type and arguments, severity, a sentence for people."""

    type: str
    kwargs: dict[str, Any]
    severity: Severity
    description: str
    id: str
    sql: str | None = None

    @property
    def column(self) -> str | None:
        column = self.kwargs.get("column")
        return (
            column
            if isinstance(column, str)
            else ",".join(self.kwargs.get("column_list", [])) or None
        )

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the expectation reads (none for an expectation on the whole table)."""
        single = [self.kwargs.get(key) for key in COLUMN_ARGUMENTS]
        return tuple(c for c in [*single, *self.kwargs.get("column_list", [])] if c)


def substitute(value: Any, parameters: dict[str, Any]) -> Any:
    """Replace "{name}" placeholders (as_of_plus_1d, currency) inside the suite's arguments."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        key = value[1:-1]
        if key not in parameters:
            raise LoyaltyError(
                f"unknown placeholder {value} in an expectation suite; known: {', '.join(parameters)}"
            )
        return parameters[key]
    if isinstance(value, list):
        return [substitute(v, parameters) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, parameters) for k, v in value.items()}
    return value


def spec_of(path: Path, item: dict[str, Any], parameters: dict[str, Any]) -> ExpectationSpec:
    meta = item.get("meta", {})
    severity, spec_id = meta.get("severity"), meta.get("id")
    if severity not in ("critical", "warning") or not spec_id:
        raise LoyaltyError(
            f"{path}: every expectation needs meta.id and meta.severity critical or warning "
            f"({item['type']})"
        )
    return ExpectationSpec(
        type=item["type"],
        kwargs=substitute(item.get("kwargs", {}), parameters),
        severity=severity,
        description=meta.get("description", ""),
        id=spec_id,
        sql=item.get("sql"),
    )


def load_suite(
    entity: str, as_of: datetime, currency: str, folder: Path = EXPECTATIONS_DIR
) -> list[ExpectationSpec]:
    """The suite of one entity with its placeholders filled in."""
    path = folder / f"{entity}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    parameters = {"as_of_plus_1d": (as_of + timedelta(days=1)).isoformat(), "currency": currency}
    specs = [spec_of(path, item, parameters) for item in data["expectations"]]
    ids = [s.id for s in specs]
    if len(set(ids)) < len(ids):
        raise LoyaltyError(f"{path}: two expectations share a meta.id; give each its own")
    return specs

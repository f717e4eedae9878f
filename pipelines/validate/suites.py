"""Expectation suites as reviewed JSON files in expectations/, with their severities."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pipelines.config import EXPECTATIONS_DIR
from pipelines.errors import LoyaltyError

Severity = Literal["critical", "warning"]


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation of a suite file: GX type and arguments, severity, a sentence for people."""

    type: str
    kwargs: dict[str, Any]
    severity: Severity
    description: str

    @property
    def column(self) -> str | None:
        column = self.kwargs.get("column")
        return (
            column
            if isinstance(column, str)
            else ",".join(self.kwargs.get("column_list", [])) or None
        )


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


def load_suite(
    entity: str, as_of: datetime, currency: str, folder: Path = EXPECTATIONS_DIR
) -> list[ExpectationSpec]:
    """The suite of one entity with its placeholders filled in."""
    path = folder / f"{entity}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    parameters = {"as_of_plus_1d": (as_of + timedelta(days=1)).isoformat(), "currency": currency}
    specs = []
    for item in data["expectations"]:
        severity = item.get("meta", {}).get("severity")
        if severity not in ("critical", "warning"):
            raise LoyaltyError(
                f"{path}: every expectation needs meta.severity critical or warning ({item['type']})"
            )
        specs.append(
            ExpectationSpec(
                type=item["type"],
                kwargs=substitute(item["kwargs"], parameters),
                severity=severity,
                description=item["meta"].get("description", ""),
            )
        )
    return specs

"""config/targets.yaml: the KPI targets and the alert rules' parameters, checked on load."""

from __future__ import annotations

import difflib
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from pipelines.errors import LoyaltyError
from pipelines.ingest.yaml_files import read_yaml


@dataclass(frozen=True)
class Metric:
    """A kpi_monthly column a target can be set for, with its names in the alert texts."""

    label_en: str
    label_de: str
    unit: str  # rate: a fraction in [0, 1], shown as a percentage; points: NPS points


METRICS = {
    "retention_rate": Metric("Retention", "Die Kundenbindung", "rate"),
    "switching_rate": Metric("Switching", "Die Abwanderung", "rate"),
    "competitor_switching_rate": Metric(
        "Switching to competitors", "Die Abwanderung zur Konkurrenz", "rate"
    ),
    "winback_rate": Metric("Win-back", "Die Rückgewinnung", "rate"),
    "repeat_purchase_rate": Metric("Repeat purchase", "Der Wiederkauf", "rate"),
    "nps": Metric("NPS", "Der NPS", "points"),
    "csat_pct": Metric("Satisfaction (CSAT 4-5)", "Die Zufriedenheit (CSAT 4-5)", "rate"),
    "delight_pct": Metric("Delight (CSAT 5)", "Die Begeisterung (CSAT 5)", "rate"),
    "active_recommender_rate": Metric(
        "The active recommender rate", "Die Quote aktiver Empfehler", "rate"
    ),
    "closed_loop_rate": Metric("Closed-loop follow-up", "Die Nachfassquote", "rate"),
}
DIRECTIONS = (">=", "<=")
SEVERITIES = ("warning", "critical")
TARGET_KEYS = ("metric", "direction", "value", "severity")
SECTIONS = ("targets", "rules")
RULES = {"retention_drop_pp": 2.0}


@dataclass(frozen=True)
class Target:
    metric: str
    direction: str
    value: float
    severity: str = "warning"


@dataclass(frozen=True)
class Targets:
    """The targets and the rule parameters, as the alerts model reads them."""

    targets: tuple[Target, ...]
    retention_drop_pp: float = RULES["retention_drop_pp"]

    def as_json(self) -> str:
        """The targets with their metric's names and unit, for the variable alert_targets."""
        return json.dumps(
            [{**asdict(t), **asdict(METRICS[t.metric])} for t in self.targets], ensure_ascii=False
        )


def suggestion(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """'; did you mean X?' for a close match, else the list of what is allowed."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; allowed: {', '.join(choices)}"


def known_keys(where: str, mapping: dict, allowed: tuple[str, ...]) -> None:
    for key in mapping:
        if key not in allowed:
            raise LoyaltyError(f"{where}: unknown key {key!r}{suggestion(str(key), allowed)}")


def number(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise LoyaltyError(f"{where} must be a number, got {value!r}")
    return float(value)


def parse_target(where: str, item: object) -> Target:
    if not isinstance(item, dict):
        raise LoyaltyError(f"{where} must be a mapping with metric, direction and value")
    known_keys(where, item, TARGET_KEYS)
    missing = [key for key in ("metric", "direction", "value") if key not in item]
    if missing:
        raise LoyaltyError(f"{where} lacks {', '.join(missing)}")
    metric = str(item["metric"])
    if metric not in METRICS:
        raise LoyaltyError(
            f"{where}: unknown metric {metric!r}{suggestion(metric, list(METRICS))} "
            "(a target is set for a column of marts.kpi_monthly)"
        )
    direction = str(item["direction"])
    if direction not in DIRECTIONS:
        raise LoyaltyError(
            f"{where}: direction must be '>=' (at least) or '<=' (at most), got {direction!r}"
        )
    value = number(f"{where}: value", item["value"])
    if METRICS[metric].unit == "rate" and not 0 <= value <= 1:
        raise LoyaltyError(
            f"{where}: {metric} is a fraction from 0 to 1, got {value!r} (write 0.95 for 95 %)"
        )
    if METRICS[metric].unit == "points" and not -100 <= value <= 100:
        raise LoyaltyError(f"{where}: {metric} lies between -100 and 100, got {value!r}")
    severity = str(item.get("severity", "warning"))
    if severity not in SEVERITIES:
        raise LoyaltyError(
            f"{where}: severity must be {' or '.join(SEVERITIES)}, got {severity!r}"
            f"{suggestion(severity, SEVERITIES)}"
        )
    return Target(metric, direction, value, severity)


def load_targets(path: Path) -> Targets:
    """The targets file, checked; a problem is a LoyaltyError naming the file, entry and fix."""
    content = read_yaml(path)
    known_keys(str(path), content, SECTIONS)
    items = content.get("targets") or []
    if not isinstance(items, list):
        raise LoyaltyError(f"{path}: targets must be a list of entries (- metric: ...)")
    targets = tuple(
        parse_target(f"{path}: targets entry {position}", item)
        for position, item in enumerate(items, start=1)
    )
    seen: set[str] = set()
    for target in targets:
        if target.metric in seen:
            raise LoyaltyError(f"{path}: {target.metric} has two targets; keep one")
        seen.add(target.metric)
    rules = content.get("rules") or {}
    if not isinstance(rules, dict):
        raise LoyaltyError(f"{path}: rules must be a mapping (retention_drop_pp: 2)")
    known_keys(f"{path}: rules", rules, tuple(RULES))
    drop = number(f"{path}: rules: retention_drop_pp", rules.get("retention_drop_pp", 2.0))
    if not 0 < drop <= 100:
        raise LoyaltyError(
            f"{path}: rules: retention_drop_pp is in percentage points, more than 0, got {drop!r}"
        )
    return Targets(targets, drop)


def set_alert_parameters(con: duckdb.DuckDBPyConnection, path: Path) -> Targets:
    """Load the targets and hand them to the alerts model as DuckDB variables."""
    targets = load_targets(path)
    con.execute("set variable alert_targets = ?", [targets.as_json()])
    con.execute("set variable retention_drop_pp = ?::double", [targets.retention_drop_pp])
    return targets

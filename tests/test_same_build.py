"""No behaviour change: a small sample company builds the same tables as the recorded build.

tests/build_fingerprint.json holds, per staging, core and marts table, the SHA-256 of
its rows in a fixed order, computed with the code before a refactoring. A refactoring that
changes no behaviour leaves every one of them as it was. After an intended change, record
the new build with LOYALTY_RECORD_FINGERPRINT=1 and say why in the commit.

The purchase model's tables come from a numerical fit whose last digits differ between
CPUs (numpy and scipy pick vectorised maths by processor), so
tests/build_fitted_values.json records their values, compared to 5 significant digits
(last-bit noise moves the fitted parameters by up to about 2e-7).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from pathlib import Path

from pipelines.config import Settings
from tests.conftest import marts, run, sample_landing

FINGERPRINT = Path(__file__).parent / "build_fingerprint.json"
FITTED_VALUES = Path(__file__).parent / "build_fitted_values.json"
FITTED = ("core.purchase_predictions", "marts.customer_health", "marts.purchase_model")
RELATIVE_TOLERANCE = 1e-5
LAYERS = ("staging", "core", "marts")
MONTHLY = re.compile(r"_\d{4}-\d{2}$")

Value = float | int | str | bool | None


def built_tables(settings: Settings) -> dict[str, list[tuple]]:
    """schema.table -> its rows in a fixed order (run details excluded)."""
    return {
        f"{schema}.{table}": rows
        for schema in LAYERS
        for table, rows in marts(settings, schema).items()
    }


def fingerprint(tables: dict[str, list[tuple]]) -> dict[str, str]:
    """schema.table -> SHA-256 of its rows, for every table but the fitted ones."""
    return {
        name: hashlib.sha256(repr(rows).encode()).hexdigest()
        for name, rows in tables.items()
        if name not in FITTED
    }


def plain(value: object) -> Value:
    """A value as JSON keeps it: numbers and text as they are, anything else as text."""
    return value if value is None or isinstance(value, float | int | str | bool) else str(value)


def fitted_values(tables: dict[str, list[tuple]]) -> dict[str, list[list[Value]]]:
    return {name: [[plain(v) for v in row] for row in tables[name]] for name in FITTED}


def same_value(built: Value, recorded: Value) -> bool:
    if isinstance(built, float) and isinstance(recorded, float):
        return math.isclose(built, recorded, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)
    return built == recorded


def differing_fitted(
    built: dict[str, list[list[Value]]], recorded: dict[str, list[list[Value]]]
) -> list[str]:
    """The fitted tables whose rows differ from the recorded ones beyond the tolerance."""
    return [
        name
        for name, rows in recorded.items()
        if len(built[name]) != len(rows)
        or not all(
            len(b) == len(r) and all(same_value(x, y) for x, y in zip(b, r, strict=True))
            for b, r in zip(built[name], rows, strict=True)
        )
    ]


def record(tables: dict[str, list[tuple]]) -> None:
    FINGERPRINT.write_text(json.dumps(fingerprint(tables), indent=2, sort_keys=True) + "\n")
    FITTED_VALUES.write_text(json.dumps(fitted_values(tables), indent=1) + "\n")


def changed_tables(tables: dict[str, list[tuple]], skip: tuple[str, ...] = ()) -> list[str]:
    """The recorded tables (but those named in `skip`) whose rows this build changed."""
    recorded = json.loads(FINGERPRINT.read_text())
    built = fingerprint(tables)
    assert set(recorded) | set(FITTED) <= set(tables), "tables the recorded build had are gone"
    changed = [t for t in recorded if not t.startswith(skip) and built[t] != recorded[t]]
    fitted = differing_fitted(fitted_values(tables), json.loads(FITTED_VALUES.read_text()))
    return changed + fitted


def test_the_sample_company_builds_the_recorded_tables(settings: Settings) -> None:
    sample_landing(settings.landing, customers=300, months=12)
    run(settings)
    tables = built_tables(settings)
    if os.environ.get("LOYALTY_RECORD_FINGERPRINT") == "1":
        record(tables)
    changed = changed_tables(tables)
    assert changed == [], f"tables whose rows changed: {changed}"


def test_an_incremental_build_after_the_last_month_builds_the_recorded_tables(
    settings: Settings, tmp_path: Path
) -> None:
    exports = sample_landing(settings.landing, customers=300, months=12)
    months = {p.stem[-7:] for p in exports if MONTHLY.search(p.stem)}
    held_back = [p for p in exports if p.stem.endswith(max(months))]
    assert len(held_back) == 4
    for path in held_back:
        path.rename(tmp_path / f"{path.parent.name}-{path.name}")
    run(settings)
    for path in held_back:
        (tmp_path / f"{path.parent.name}-{path.name}").rename(path)
    result = run(settings)
    assert result.build is not None and result.build.plan is not None
    assert result.build.plan.incremental
    # Staging carries the file ids and the warnings the volume of each batch: both follow
    # the order the files arrived in.
    arrival = ("staging.", "marts.validation_warnings")
    changed = changed_tables(built_tables(settings), skip=arrival)
    assert changed == [], f"tables whose rows changed: {changed}"

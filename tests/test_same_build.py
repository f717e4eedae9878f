"""No behaviour change: a small sample company builds the same tables as the recorded build.

tests/build_fingerprint.json holds, per staging, core and marts table, the SHA-256 of
its rows in a fixed order, computed with the code before a refactoring. A refactoring that
changes no behaviour leaves every one of them as it was. After an intended change, record
the new build with LOYALTY_RECORD_FINGERPRINT=1 and say why in the commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from pipelines.config import Settings
from tests.conftest import marts, run, sample_landing

FINGERPRINT = Path(__file__).parent / "build_fingerprint.json"
LAYERS = ("staging", "core", "marts")
MONTHLY = re.compile(r"_\d{4}-\d{2}$")


def fingerprint(settings: Settings) -> dict[str, str]:
    """schema.table -> SHA-256 of its rows in a fixed order (run details excluded)."""
    return {
        f"{schema}.{table}": hashlib.sha256(repr(rows).encode()).hexdigest()
        for schema in LAYERS
        for table, rows in marts(settings, schema).items()
    }


def test_the_sample_company_builds_the_recorded_tables(settings: Settings) -> None:
    sample_landing(settings.landing, customers=300, months=12)
    run(settings)
    built = fingerprint(settings)
    if os.environ.get("LOYALTY_RECORD_FINGERPRINT") == "1":
        FINGERPRINT.write_text(json.dumps(built, indent=2, sort_keys=True) + "\n")
    recorded = json.loads(FINGERPRINT.read_text())
    assert set(recorded) - set(built) == set(), "tables the recorded build had are gone"
    changed = [table for table in recorded if built[table] != recorded[table]]
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
    recorded = json.loads(FINGERPRINT.read_text())
    built = fingerprint(settings)
    arrival = ("staging.", "marts.validation_warnings")
    changed = [t for t in recorded if not t.startswith(arrival) and built[t] != recorded[t]]
    assert changed == [], f"tables whose rows changed: {changed}"

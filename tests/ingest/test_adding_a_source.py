"""Adding a source system, as docs/extending.md describes it, in a temporary copy of the project.

The copy gets the four changes the guide lists - a registry entry, its expectation suite,
its source mapping, a model that reads it - and nothing else; then the copy's own code
ingests, validates and builds a tiny landing zone, and its DAGs' Assets include the new
system. A step the guide forgot would fail here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from pipelines.config import PROJECT_ROOT
from tests.conftest import write_csv

COPIED = ("pipelines", "sql", "expectations", "sources", "config", "dags")
# 1. The registry entry (pipelines/ingest/entities.py): a web analytics tool's visits.
VISITS_ENTRY = """
        Entity(
            name="visits",
            system="web",
            folder="web/visits",
            key="visit_id",
            stamp="visited_at",
            description="Every visit of the web analytics tool once.",
            fields=(
                Field("visit_id", required=True, description="The visit's id."),
                Field("customer_id", description="The visitor, when logged in."),
                Field("visited_at", "timestamp", required=True, description="When it began."),
                Field("pages", "int", low=1, description="Pages viewed."),
                Field("referrer", clean=True, description="Where the visitor came from."),
            ),
        ),"""
# 2. Its suite: what the ingest cannot check.
VISITS_SUITE = {
    "name": "visits",
    "expectations": [
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {
                "column": "visited_at",
                "min_value": "1990-01-01T00:00:00+00:00",
                "max_value": "{as_of_plus_1d}",
            },
            "meta": {"id": "visited_at_in_time", "severity": "critical", "description": "In time."},
        },
        {
            "type": "expect_batch_volume_near_recent_median",
            "sql": "volume",
            "kwargs": {},
            "meta": {"id": "volume", "severity": "warning", "description": "Usual volume."},
        },
    ],
}
# 3. Its source mapping: the export comes in the canonical layout.
VISITS_MAPPING = "  visits: [canonical]\n"
# 4. A model that reads it.
VISITS_MART = """\
/*
description: Visits per month.
columns:
  month: The calendar month.
  visits: Visits in it.
*/
with

visits as (
    select * from staging.stg_visits
),

final as (
    select date_trunc('month', visited_at) as month, count(*) as visits
    from visits
    group by all
)

select * from final
"""
RUN = """
import json, sys
from pathlib import Path
sys.path.insert(0, "dags")
from pipelines.config import Settings
from pipelines.run import run_steps
import duckdb
settings = Settings(landing=Path(sys.argv[1]), warehouse=Path(sys.argv[2]), settle_seconds=0)
result = run_steps(settings, ("ingest", "validate", "build"))
con = duckdb.connect(sys.argv[2], read_only=True)
import loyalty_assets
print(json.dumps({
    "files": con.execute("select entity, status from audit.files order by all").fetchall(),
    "rejects": con.execute("select count(*) from audit.rejects").fetchone()[0],
    "staging": con.execute("select visit_id, referrer from staging.stg_visits order by 1").fetchall(),
    "mart": con.execute("select strftime(month, '%Y-%m'), visits from marts.visits_monthly order by 1").fetchall(),
    "assets": sorted(loyalty_assets.RAW),
    "watchers": [w.name for w in loyalty_assets.inbox("web").watchers],
}))
"""


def add_visits(project: Path) -> None:
    """The four changes of docs/extending.md, made to the copy."""
    registry = project / "pipelines" / "ingest" / "entities.py"
    text = registry.read_text()
    assert text.count("    for e in (\n") == 1
    registry.write_text(text.replace("    for e in (\n", "    for e in (" + VISITS_ENTRY + "\n"))
    (project / "expectations" / "visits.json").write_text(json.dumps(VISITS_SUITE))
    sources = project / "sources" / "sources.yaml"
    sources.write_text(sources.read_text().replace("mappings:\n", "mappings:\n" + VISITS_MAPPING))
    (project / "sql" / "marts" / "visits_monthly.sql").write_text(VISITS_MART)


def test_a_new_source_system_is_ingested_validated_and_built(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for name in COPIED:
        shutil.copytree(
            PROJECT_ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    add_visits(project)
    landing = tmp_path / "landing"
    write_csv(
        landing / "crm" / "customers" / "customers.csv",
        ["customer_id", "created_at", "updated_at"],
        [["C1", "2025-01-01", "2025-01-01"]],
    )
    write_csv(
        landing / "web" / "visits" / "visits_2025-02.csv",
        ["visit_id", "customer_id", "visited_at", "pages", "referrer"],
        [
            ["V1", "C1", "2025-02-01T10:00:00Z", "3", "mail from ann@example.com"],
            ["V2", "C1", "2025-02-02T10:00:00Z", "0", ""],
            ["V3", "", "2025-03-05T10:00:00Z", "1", "search"],
            ["V1", "C1", "2025-02-01T10:00:00Z", "3", "again"],
        ],
    )
    process = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(RUN), str(landing), str(tmp_path / "w.duckdb")],
        cwd=project,
        env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    found = json.loads(process.stdout.splitlines()[-1])
    assert found["files"] == [["customers", "validated"], ["visits", "validated"]]
    assert found["rejects"] == 2, "pages 0 is below 1; V1 twice in one file"
    assert [row[0] for row in found["staging"]] == ["V1", "V3"]
    assert "ann@example.com" not in found["staging"][0][1], "free text is masked in staging"
    assert found["mart"] == [["2025-02", 1], ["2025-03", 1]]
    assert "visits" in found["assets"], "the metrics DAG is scheduled on raw.visits too"
    assert found["watchers"] == ["visits_flag"]

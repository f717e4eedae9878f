"""Worker processes for the concurrency tests, configured by LOYALTY_* variables.

python -m tests.ducklake.workers ingest ENTITY...   ingest those entities, print the summary
python -m tests.ducklake.workers read STOP_FILE     query marts until STOP_FILE exists;
                                                    print one JSON line per answer or error
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from pipelines.config import settings_from_env
from pipelines.errors import LoyaltyError
from pipelines.run import run_steps
from pipelines.warehouse import open_reader, warehouse_of

READ_SQL = "select count(*), sum(purchases), sum(revenue_net) from marts.kpi_monthly"


def ingest(entities: list[str]) -> None:
    result = run_steps(settings_from_env(), ("ingest",), entities=entities)
    assert result.ingest is not None
    print(result.ingest.line(), flush=True)


def read(stop: Path) -> None:
    target = warehouse_of(settings_from_env())
    while not stop.exists():
        try:
            with open_reader(target) as con:
                row = con.execute(READ_SQL).fetchone()
            print(json.dumps({"answer": [str(v) for v in row or ()]}), flush=True)
        except (duckdb.Error, LoyaltyError) as exc:
            print(json.dumps({"error": str(exc)}), flush=True)
        time.sleep(0.05)


if __name__ == "__main__":
    if sys.argv[1] == "ingest":
        ingest(sys.argv[2:])
    else:
        read(Path(sys.argv[2]))

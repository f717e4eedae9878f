"""The benchmark's company: generated once, with its last calendar day held back as the new day.

The full run reads every export except the orders, returns, events and responses of the
company's last day; the incremental run then gets exactly those, as the shop, CRM and survey
tool would deliver them the morning after: a realistic day, not a random share of all rows.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import duckdb

from pipelines.generate import GenerateOptions, generate
from pipelines.ingest.entities import FLAG_NAME

# Folder of each entity that happens on a day, and the column that says when.
DAILY = {
    "shop/orders": "ordered_at",
    "shop/returns": "returned_at",
    "crm/events": "occurred_at",
    "survey/responses": "responded_at",
}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def ensure_company(root: Path, customers: int, months: int) -> Path:
    """Generate the company's exports and hold back its last day, unless already done."""
    landing, marker = root / "landing", root / "landing.complete"
    held, held_marker = day_folder(root), root / "last_day.complete"
    if not marker.exists():
        shutil.rmtree(landing, ignore_errors=True)
        log(f"generating {customers:,} customers x {months} months into {landing} ...")
        generate(GenerateOptions(landing, customers, months, seed=7, flags=False))
        marker.write_text(f"{customers} {months}\n")
        held_marker.unlink(missing_ok=True)
    if not held_marker.exists():
        shutil.rmtree(held, ignore_errors=True)
        log("holding back the company's last day for the incremental run ...")
        held_marker.write_text(f"{hold_back_last_day(landing, held)}\n")
    return landing


def day_folder(root: Path) -> Path:
    return root / "last_day"


def latest_file(folder: Path) -> Path:
    return max(
        (p for p in folder.iterdir() if p.suffix in (".csv", ".ndjson")), key=lambda p: p.name
    )


def hold_back_last_day(landing: Path, held: Path) -> str:
    """Move the rows of the company's last calendar day (UTC) out of its latest exports."""
    last_orders = latest_file(landing / "shop/orders")
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    day = con.execute(
        "select max(ordered_at::timestamp)::date::varchar from read_csv(?)",
        [str(last_orders)],
    ).fetchone()[0]  # type: ignore[index]
    for folder, column in DAILY.items():
        source = latest_file(landing / folder)
        target = held / folder / f"{source.stem}_last_day{source.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".ndjson":
            split_ndjson(source, target, column, day)
        else:
            split_csv(con, source, target, column, day)
    con.close()
    return day


def split_csv(
    con: duckdb.DuckDBPyConnection, source: Path, target: Path, column: str, day: str
) -> None:
    con.execute(
        "create or replace table rows as select * from read_csv(?, all_varchar = true)",
        [str(source)],
    )
    on_day = f"coalesce({column} >= '{day}', false)"
    con.execute(f"copy (select * from rows where {on_day}) to '{target}' (header)")
    con.execute(f"copy (select * from rows where not {on_day}) to '{source}' (header)")


def split_ndjson(source: Path, target: Path, column: str, day: str) -> None:
    lines = source.read_text(encoding="utf-8").splitlines()
    on_day = [line for line in lines if str(json.loads(line).get(column) or "") >= day]
    kept = [line for line in lines if str(json.loads(line).get(column) or "") < day]
    target.write_text("".join(f"{line}\n" for line in on_day), encoding="utf-8")
    source.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")


def deliver_last_day(root: Path, landing: Path) -> list[Path]:
    """Copy the held-back day into the landing zone, with its flags; return the new files."""
    return deliver_files(day_folder(root), landing)


def deliver_files(folder: Path, landing: Path) -> list[Path]:
    """Copy the exports under `folder` to the same places in the landing zone, with flags."""
    delivered = []
    for held in sorted(path for path in folder.rglob("*") if path.is_file()):
        target = landing / held.relative_to(folder)
        shutil.copy2(held, target)
        (target.parent / FLAG_NAME).touch()
        delivered.append(target)
    return delivered


def rows_of_day(root: Path) -> int:
    """Rows the held-back day delivers (lines below the CSV headers, NDJSON lines)."""
    total = 0
    for held in day_folder(root).rglob("*_last_day.*"):
        lines = held.read_text(encoding="utf-8").count("\n")
        total += lines - (1 if held.suffix == ".csv" else 0)
    return total

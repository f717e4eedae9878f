"""Ingestion on tiny real files: counts, rejects, quarantine, idempotency, latest wins."""

from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.errors import WarehouseBusyError
from pipelines.warehouse import open_writer, writer_lock
from tests.conftest import HEADERS, fetch, run, write_csv, write_entity

ORDERS = [
    {
        "order_id": "O1",
        "customer_id": "C1",
        "ordered_at": "2025-01-05T10:00:00Z",
        "net_amount": "10.50",
    },
    {
        "order_id": "O2",
        "customer_id": "C1",
        "ordered_at": "2025-02-05",
        "net_amount": "20",
        "status": "cancelled",
    },
    {
        "order_id": "O3",
        "customer_id": "C2",
        "ordered_at": "2025-02-06T08:00:00+01:00",
        "net_amount": "5.25",
        "currency": "EUR",
    },
]


def data_rows(path: Path, delimiter: str = ",") -> int:
    """Records in a CSV file, counted independently of the pipeline."""
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle, delimiter=delimiter)) - 1


def test_canonical_files_of_every_entity_load_typed(settings: Settings) -> None:
    write_entity(settings.landing, "orders", "orders.csv", ORDERS)
    write_entity(
        settings.landing,
        "customers",
        "customers.csv",
        [
            {
                "customer_id": "C1",
                "created_at": "2024-12-01",
                "updated_at": "2024-12-01",
                "country": "de",
                "status": "Active",
            }
        ],
    )
    write_entity(
        settings.landing,
        "events",
        "events.csv",
        [
            {
                "event_id": "E1",
                "customer_id": "C1",
                "occurred_at": "2025-01-07T09:00:00Z",
                "event_type": "support_contact",
                "handoffs": "2",
                "channel": "phone",
            }
        ],
    )
    write_entity(
        settings.landing,
        "returns",
        "returns.csv",
        [{"return_id": "T1", "order_id": "O1", "returned_at": "2025-01-10", "amount": "3.50"}],
    )
    write_entity(
        settings.landing,
        "responses",
        "responses.csv",
        [
            {
                "response_id": "R1",
                "responded_at": "2025-01-08",
                "customer_id": "",
                "nps_score": "9",
                "csat": "5",
            }
        ],
    )
    result = run(settings, "ingest")
    assert result.ingest is not None
    assert result.ingest.count("loaded") == 5
    assert result.ingest.rows_rejected == 0
    assert fetch(
        settings, "select order_id, status, net_amount::varchar from raw.orders order by order_id"
    ) == [
        ("O1", "completed", "10.50"),
        ("O2", "cancelled", "20.00"),
        ("O3", "completed", "5.25"),
    ]
    assert fetch(
        settings,
        "select ordered_at = timestamptz '2025-02-06 07:00:00+00' from raw.orders where order_id = 'O3'",
    ) == [(True,)]
    assert fetch(settings, "select country, status from raw.customers") == [("DE", "active")]
    assert fetch(settings, "select handoffs, channel from raw.events") == [(2, "phone")]
    assert fetch(settings, "select customer_id, nps_score, csat from raw.responses") == [
        (None, 9, 5)
    ]


def test_same_bytes_under_another_name_load_once(settings: Settings) -> None:
    path = write_entity(settings.landing, "orders", "orders_2025-01.csv", ORDERS)
    run(settings, "ingest")
    shutil.copy(path, path.with_name("orders_copy.csv"))
    result = run(settings, "ingest")
    assert result.ingest is not None
    assert [f.status for f in result.ingest.files] == ["duplicate", "duplicate"]
    assert fetch(settings, "select count(*) from raw.orders") == [(3,)]
    assert fetch(settings, "select count(*) from audit.files") == [(1,)]


def test_a_known_path_size_and_mtime_is_not_hashed_again(settings: Settings) -> None:
    """Re-hashing a landing zone of years of exports on every run costs seconds per GB."""
    path = write_entity(settings.landing, "orders", "orders_2025-01.csv", ORDERS)
    run(settings, "ingest")
    stat = path.stat()
    same_size = path.read_bytes().replace(b"10.50", b"99.99")
    path.write_bytes(same_size)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = run(settings, "ingest")
    assert result.ingest is not None
    assert [f.status for f in result.ingest.files] == ["duplicate"], "taken as the known file"

    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - 1_000_000_000))
    result = run(settings, "ingest")
    assert result.ingest is not None
    assert [f.status for f in result.ingest.files] == ["loaded"], "a new mtime: hashed, new"
    assert fetch(settings, "select count(*), count(mtime_ns) from audit.files") == [(2, 2)]


def test_bad_rows_are_rejected_with_reasons_and_good_rows_load(settings: Settings) -> None:
    path = write_csv(
        settings.landing / "shop/orders/mixed.csv",
        [*HEADERS["orders"][:5], "currency"],
        [
            ["O1", "C1", "2025-01-05T10:00:00Z", "10.50", "completed", "EUR"],
            ["O2", "C1", "03/04/2025", "20", "completed", "EUR"],
            ["O3", "C2", "2025-01-06", "abc", "completed", "EUR"],
            ["O4", "C2", "2025-01-06", "7", "lost", "EUR"],
            ["O1", "C9", "2025-01-07", "8", "completed", "EUR"],
            ["", "C3", "2025-01-06", "7", "completed", "EUR"],
            ["O5", "C3", "2025-01-06", "7", "completed", "USD"],
            ["O6", "C3", "2025-01-06", "7"],
            ["O7", "C3", "2025-01-06", "7", "completed", "EUR", "surplus"],
            ["O8", "C3", "2025-01-06", "7", "returned", "EUR"],
        ],
    )
    result = run(settings, "ingest")
    assert result.ingest is not None
    (file,) = result.ingest.files
    assert (file.status, file.rows_loaded, file.rows_rejected) == ("loaded", 2, 8)
    assert file.rows_loaded + file.rows_rejected == data_rows(path)
    rejects = fetch(
        settings, 'select record, line, "column", reason from audit.rejects order by record, line'
    )
    assert [r[:3] for r in rejects] == [
        (2, 3, "ordered_at"),
        (3, 4, "net_amount"),
        (4, 5, "status"),
        (5, 6, "order_id"),
        (6, 7, "order_id"),
        (7, 8, "currency"),
        (None, 9, None),
        (None, 10, None),
    ]
    reasons = [r[3] for r in rejects]
    assert reasons[0].startswith("cannot read '03/04/2025' as a timestamp (expected ISO 8601")
    assert reasons[1].startswith("cannot read 'abc' as an amount")
    assert reasons[2] == "unknown value 'lost'; expected one of completed, cancelled, returned"
    assert reasons[3] == "duplicate order_id 'O1' in this file (first at record 1)"
    assert reasons[4] == "missing required value"
    assert "reporting currency is EUR" in reasons[5]
    assert reasons[6].startswith("the row has fewer fields than the header")
    assert reasons[7].startswith("the row has more fields than the header")
    assert fetch(settings, "select order_id from raw.orders order by 1") == [("O1",), ("O8",)]


def test_duplicate_and_missing_keys_are_both_reported(settings: Settings) -> None:
    write_csv(
        settings.landing / "shop/orders/dup.csv",
        HEADERS["orders"][:4],
        [
            ["O1", "C1", "2025-01-05", "1"],
            ["O1", "C1", "2025-01-06", "2"],
            ["", "C1", "2025-01-06", "2"],
        ],
    )
    run(settings, "ingest")
    assert sorted(fetch(settings, "select record, reason from audit.rejects")) == [
        (2, "duplicate order_id 'O1' in this file (first at record 1)"),
        (3, "missing required value"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.csv", b"", "the file is empty (0 bytes)"),
        (
            "nokey.csv",
            b"customer_id,ordered_at,net_amount\nC1,2025-01-01,3\n",
            "missing required column(s) order_id",
        ),
        ("orders.xlsx", b"PK\x03\x04", "unknown file type"),
    ],
)
def test_unreadable_files_are_quarantined_whole(
    settings: Settings, name: str, content: bytes, reason: str
) -> None:
    folder = settings.landing / "shop/orders"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(content)
    result = run(settings, "ingest")
    assert result.ingest is not None
    (file,) = result.ingest.files
    assert file.status == "quarantined"
    assert reason in (file.reason or "")
    assert fetch(settings, "select status, rows_loaded from audit.files") == [("quarantined", 0)]
    assert fetch(settings, "select count(*) from raw.orders") == [(0,)]


def test_header_only_file_loads_zero_rows(settings: Settings) -> None:
    write_csv(settings.landing / "shop/orders/none.csv", HEADERS["orders"], [])
    result = run(settings, "ingest")
    assert result.ingest is not None
    assert [(f.status, f.rows_loaded) for f in result.ingest.files] == [("loaded", 0)]


def test_ndjson_with_a_garbage_line_and_a_truncated_line(settings: Settings) -> None:
    folder = settings.landing / "survey/responses"
    folder.mkdir(parents=True)
    lines = [
        json.dumps(
            {
                "response_id": "R1",
                "responded_at": "2025-01-01T10:00:00Z",
                "customer_id": "C1",
                "nps_score": 10,
            }
        ),
        "this is not json",
        json.dumps({"response_id": "R2", "responded_at": "2025-01-02T10:00:00Z", "nps_score": 11}),
        json.dumps(
            {"response_id": "R3", "responded_at": "2025-01-03T10:00:00Z", "nps_score": "7.5"}
        ),
        '{"response_id": "R4", "responded_at": "2025-01-',
    ]
    (folder / "responses.ndjson").write_text("\n".join(lines), encoding="utf-8")
    result = run(settings, "ingest")
    assert result.ingest is not None
    (file,) = result.ingest.files
    assert (file.rows_loaded, file.rows_rejected) == (1, 4)
    reasons = sorted(r[0] for r in fetch(settings, "select reason from audit.rejects"))
    assert reasons == [
        "'11' is outside the allowed range 0 to 10",
        "cannot read '7.5' as a whole number",
        "the line is not a complete JSON object (truncated or garbage)",
        "the line is not a complete JSON object (truncated or garbage)",
    ]


def test_parquet_and_gzip_csv_load(settings: Settings, tmp_path: Path) -> None:
    folder = settings.landing / "shop/orders"
    folder.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(
        f"copy (select 'P1' as order_id, 'C1' as customer_id, timestamp '2025-01-01 10:00' as ordered_at, 9.99 as net_amount) to '{folder / 'orders.parquet'}'"
    )
    con.close()
    with gzip.open(folder / "orders.csv.gz", "wt", encoding="utf-8") as handle:
        handle.write("order_id,customer_id,ordered_at,net_amount\nG1,C1,2025-01-02,1.00\n")
    (folder / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    result = run(settings, "ingest")
    assert result.ingest is not None
    statuses = {f.path.name: f.status for f in result.ingest.files}
    assert statuses == {
        "orders.parquet": "loaded",
        "orders.csv.gz": "loaded",
        "broken.parquet": "quarantined",
    }
    assert fetch(settings, "select order_id from raw.orders order by 1") == [("G1",), ("P1",)]


def test_flag_and_partial_files_are_not_loaded(settings: Settings) -> None:
    path = write_entity(settings.landing, "orders", "orders.csv", ORDERS)
    path.with_name("orders.csv.ready").touch()
    path.with_name("orders_next.csv.part").write_text("order_id\n")
    result = run(settings, "ingest")
    assert result.ingest is not None
    assert [f.path.name for f in result.ingest.files] == ["orders.csv"]


def test_newer_customer_version_wins_and_raw_keeps_history(settings: Settings) -> None:
    write_entity(
        settings.landing,
        "customers",
        "customers_2025-01-01.csv",
        [
            {
                "customer_id": "C1",
                "created_at": "2024-12-01",
                "updated_at": "2024-12-01",
                "segment": "consumer",
            }
        ],
    )
    write_entity(
        settings.landing,
        "customers",
        "customers_2025-06-01.csv",
        [
            {
                "customer_id": "C1",
                "created_at": "2024-12-01",
                "updated_at": "2025-05-01",
                "segment": "business",
            }
        ],
    )
    write_entity(settings.landing, "orders", "orders.csv", ORDERS)
    run(settings, as_of="2025-06-01")
    assert fetch(settings, "select count(*) from raw.customers") == [(2,)]
    assert fetch(settings, "select segment from core.customers") == [("business",)]
    assert fetch(
        settings, "select segment from marts.customer_loyalty where customer_id = 'C1'"
    ) == [("business",)]


def test_latest_export_wins_for_orders(settings: Settings) -> None:
    write_entity(settings.landing, "orders", "orders_2025-01.csv", ORDERS)
    write_entity(
        settings.landing,
        "orders",
        "orders_2025-02.csv",
        [
            {
                "order_id": "O1",
                "customer_id": "C1",
                "ordered_at": "2025-01-05T10:00:00Z",
                "net_amount": "8.00",
                "status": "returned",
            }
        ],
    )
    run(settings, as_of="2025-03-01")
    assert fetch(
        settings, "select net_amount::varchar, status from staging.stg_orders where order_id = 'O1'"
    ) == [("8.00", "returned")]
    assert fetch(settings, "select count(*) from staging.stg_orders") == [(3,)]


def test_a_second_writer_waits_for_the_lock(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from pipelines.warehouse import writer_lock\n"
            f"with writer_lock(Path({str(warehouse)!r})):\n    print('locked', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with (
            pytest.raises(
                WarehouseBusyError, match="still being written by another loyalty process"
            ),
            open_writer(warehouse, lock_timeout=1),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()
    with writer_lock(warehouse, timeout=5):
        pass

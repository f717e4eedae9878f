"""Row conservation under attack: every record of every file is loaded, rejected with its
line and reason, or its file is quarantined with a reason; one bad file never stops the run.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.config import Settings
from pipelines.run import run_steps
from tests.attack.conftest import checksums, ledger_ids, ledger_row, raw_checksums_of_files
from tests.conftest import fetch, require_tool

RESPONSES = "survey/responses"
ORDERS = "shop/orders"


def rejects_of(settings: Settings, file_name: str) -> list[tuple]:
    return fetch(
        settings,
        "select r.record, r.line, r.column, r.reason from audit.rejects r "
        "join audit.files f using (file_id) where f.file_name = ? order by r.line, r.record",
        [file_name],
    )


def assert_conserved(settings: Settings, file_name: str, records: int) -> dict[str, object]:
    """The ledger's counts add up to the records the test wrote, and raw/audit hold them."""
    row = ledger_row(settings.warehouse, file_name)
    assert row["rows_in_file"] == records, row
    assert row["rows_loaded"] + row["rows_rejected"] == records, row  # type: ignore[operator]
    assert len(rejects_of(settings, file_name)) == row["rows_rejected"]
    return row


@pytest.fixture
def before(company: Settings) -> tuple[list[int], dict]:
    ids = ledger_ids(company.warehouse)
    return ids, raw_checksums_of_files(company.warehouse, ids)


def assert_earlier_rows_unchanged(settings: Settings, before: tuple[list[int], dict]) -> None:
    ids, raw = before
    assert raw_checksums_of_files(settings.warehouse, ids) == raw


def test_ndjson_reads_the_keys_of_every_record(company: Settings, before: tuple) -> None:
    records = [
        {"response_id": "U1", "responded_at": "2025-03-01T10:00:00Z"},
        {"response_id": "U2", "responded_at": "2025-03-01T10:00:00Z", "nps_score": 9},
        {
            "response_id": "U3",
            "responded_at": "2025-03-01T10:00:00Z",
            "comment": "late key",
            "mood": "x",
        },
    ]
    (company.landing / RESPONSES / "union.ndjson").write_text(
        "".join(json.dumps(r) + "\n" for r in records)
    )
    run_steps(company, ("ingest",))
    assert_conserved(company, "union.ndjson", 3)
    rows = fetch(
        company,
        "select response_id, nps_score, comment, _extra from raw.responses "
        "where response_id like 'U_' order by 1",
    )
    assert rows == [
        ("U1", None, None, '{"mood":null}'),
        ("U2", 9, None, '{"mood":null}'),
        ("U3", None, "late key", '{"mood":"x"}'),
    ]
    assert_earlier_rows_unchanged(company, before)


@pytest.mark.parametrize("size", [3_000_000, 40_000_000])
def test_an_overlong_ndjson_line_is_a_reject_with_its_line(
    company: Settings, before: tuple, size: int
) -> None:
    lines = [
        json.dumps(
            {
                "response_id": f"L{i}",
                "responded_at": "2025-03-01T10:00:00Z",
                "comment": "x" * size if i == 3 else "ok",
            }
        )
        for i in range(1, 6)
    ]
    (company.landing / RESPONSES / "long.ndjson").write_text("\n".join(lines) + "\n")
    run_steps(company, ("ingest",))
    row = assert_conserved(company, "long.ndjson", 5)
    assert (row["rows_loaded"], row["rows_rejected"]) == (4, 1)
    [(_, line, _, reason)] = rejects_of(company, "long.ndjson")
    assert line == 3
    assert "longer than the maximum line size" in reason
    assert_earlier_rows_unchanged(company, before)


@pytest.mark.parametrize(
    "sizes", [[3_000_000], [33_000_000], [20_000_000, 20_000_000]], ids=["3MB", "33MB", "2x20MB"]
)
def test_overlong_csv_lines_are_rejects_with_their_lines(
    company: Settings, before: tuple, sizes: list[int]
) -> None:
    rows = [f"LC{i},C1,2025-03-01T10:00:00Z,1.00,ok" for i in range(1, 4)]
    rows += [f"LL{i},C1,2025-03-01T10:00:00Z,1.00,{'x' * size}" for i, size in enumerate(sizes)]
    rows += [f"LD{i},C1,2025-03-01T10:00:00Z,1.00,ok" for i in range(1, 4)]
    (company.landing / ORDERS / "long.csv").write_text(
        "order_id,customer_id,ordered_at,net_amount,note\n" + "\n".join(rows) + "\n"
    )
    run_steps(company, ("ingest",))
    row = assert_conserved(company, "long.csv", 6 + len(sizes))
    assert row["rows_rejected"] == len(sizes)
    assert [r[1] for r in rejects_of(company, "long.csv")] == [5 + i for i in range(len(sizes))]
    assert_earlier_rows_unchanged(company, before)


def test_rejects_carry_their_physical_line(company: Settings, before: tuple) -> None:
    text = (
        "response_id,responded_at,customer_id,nps_score,comment\n"  # line 1
        'D1,2025-03-01,C1,9,"a comment\nover two lines"\n'  # lines 2-3
        "\n"  # line 4, blank
        "D2,2025-03-01,C1,ten,\n"  # line 5: not a number
        "D3,2025-03-01,C1,7,short,extra\n"  # line 6: too many fields
        "D1,2025-03-02,C1,3,again\n"  # line 7: duplicate key
        "D4,2025-03-01,C1,8,fine\n"  # line 8
    )
    (company.landing / RESPONSES / "lines.csv").write_text(text)
    ndjson = (
        '{"response_id": "N1", "responded_at": "2025-03-01"}\n'
        '{"response_id": "S2", "comment": "the reader splits at \x1f", "responded_at": "2025-03-01"}\n'
        "\n"
        '{"response_id": "N1", "responded_at": "2025-03-02"}\n'
        "not json\n"
        '{"response_id": "N2", "responded_at": "never"}\n'
    )
    (company.landing / RESPONSES / "lines.ndjson").write_text(ndjson)
    run_steps(company, ("ingest",))
    assert_conserved(company, "lines.csv", 5)
    assert [
        (line, reason.split(" ")[0]) for _, line, _, reason in rejects_of(company, "lines.csv")
    ] == [
        (5, "cannot"),
        (6, "the"),
        (7, "duplicate"),
    ]
    assert_conserved(company, "lines.ndjson", 5)
    assert [
        (line, reason.split(" (")[0]) for _, line, _, reason in rejects_of(company, "lines.ndjson")
    ] == [
        (2, "the line is not a complete JSON object"),
        (4, "duplicate response_id 'N1' in this file"),
        (5, "the line is not a complete JSON object"),
        (6, "cannot read 'never' as a timestamp"),
    ]
    assert_earlier_rows_unchanged(company, before)


def run_as_without_file_access(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process for which files with mode 000 are unreadable, even as root."""
    command = [sys.executable, "-c", "from pipelines.cli import main; main()", *args]
    if os.geteuid() == 0:
        setpriv = require_tool("setpriv")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
    return subprocess.run(
        command,
        env={**os.environ, "LOYALTY_SETTLE_SECONDS": "0", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_file_that_cannot_be_read_is_quarantined_and_the_run_goes_on(
    company: Settings, before: tuple
) -> None:
    locked = company.landing / ORDERS / "locked.csv"
    locked.write_text("order_id,customer_id,ordered_at,net_amount\nP1,C1,2025-03-01,1.00\n")
    locked.chmod(0)
    good = company.landing / ORDERS / "good.csv"
    good.write_text("order_id,customer_id,ordered_at,net_amount\nP2,C1,2025-03-01,2.00\n")
    try:
        result = run_as_without_file_access(
            company,
            "ingest",
            "--landing",
            str(company.landing),
            "--warehouse",
            str(company.warehouse),
        )
    finally:
        locked.chmod(0o644)
    assert result.returncode == 0, result.stderr
    assert "unexpected" not in result.stderr + result.stdout
    assert "locked.csv" in result.stdout and "Permission denied" in result.stdout
    row = ledger_row(company.warehouse, "locked.csv")
    assert row["status"] == "quarantined" and "Permission denied" in str(row["reason"])
    assert ledger_row(company.warehouse, "good.csv")["rows_loaded"] == 1
    runs = fetch(
        company, "select status from audit.runs where step = 'run' order by run_id desc limit 1"
    )
    assert runs == [("ok",)]
    assert_earlier_rows_unchanged(company, before)
    again = run_steps(company, ("ingest",))
    assert again.ingest is not None
    reread = next(f for f in again.ingest.files if f.path.name == "locked.csv")
    assert (reread.status, reread.rows_loaded) == ("loaded", 1)


def test_a_file_name_that_is_not_utf8_is_loaded_under_a_safe_name(
    company: Settings, before: tuple
) -> None:
    folder = os.fsencode(company.landing / ORDERS)
    name = b"orders_caf\xe9_\xff.csv"
    with open(os.path.join(folder, name), "w") as handle:
        handle.write("order_id,customer_id,ordered_at,net_amount\nNU1,C1,2025-03-01,1.00\n")
    result = run_steps(company, ("ingest",))
    assert result.ingest is not None
    [file] = [f for f in result.ingest.files if f.status != "duplicate"]
    assert (file.status, file.rows_loaded) == ("loaded", 1)
    row = ledger_row(company.warehouse, "orders_caf\\xe9_\\xff.csv")
    assert row["status"] == "loaded"
    assert_earlier_rows_unchanged(company, before)


def test_a_symlink_leaving_the_landing_zone_is_not_followed(
    company: Settings, before: tuple, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("order_id,customer_id,ordered_at,net_amount\nSECRET,C1,2025-03-01,1.00\n")
    (company.landing / ORDERS / "link.csv").symlink_to(outside)
    (company.landing / ORDERS / "dangling.csv").symlink_to(tmp_path / "gone.csv")
    inside = company.landing / ORDERS / "inside_target.csv"
    inside.write_text("order_id,customer_id,ordered_at,net_amount\nIN1,C1,2025-03-01,1.00\n")
    (company.landing / ORDERS / "inside_link.csv").symlink_to(inside)
    result = run_steps(company, ("ingest",))
    assert result.ingest is not None
    outcome = {
        f.path.name: (f.status, f.reason) for f in result.ingest.files if f.status != "duplicate"
    }
    assert outcome["link.csv"][0] == "quarantined"
    assert "outside the landing zone" in str(outcome["link.csv"][1])
    assert outcome["dangling.csv"][0] == "quarantined"
    assert "points to nothing" in str(outcome["dangling.csv"][1])
    assert outcome["inside_link.csv"][0] == "loaded"
    counts = fetch(
        company,
        "select count(*) filter (where order_id = 'SECRET'), "
        "count(*) filter (where order_id = 'IN1') from raw.orders",
    )
    assert counts == [(0, 1)]
    assert_earlier_rows_unchanged(company, before)


def test_a_file_over_the_size_limit_is_quarantined_unread(company: Settings, before: tuple) -> None:
    big = company.landing / ORDERS / "big.csv"
    big.write_text(
        "order_id,customer_id,ordered_at,net_amount\n" + "B1,C1,2025-03-01,1.00\n" * 2000
    )
    bomb = company.landing / ORDERS / "bomb.csv.gz"
    bomb.write_bytes(
        gzip.compress(
            b"order_id,customer_id,ordered_at,net_amount\n" + b"Z1,C1,2025-03-01,1.00\n" * 2000
        )
    )
    small = company.with_overrides(max_file_bytes=10_000)
    result = run_steps(small, ("ingest",))
    assert result.ingest is not None
    outcome = {
        f.path.name: (f.status, str(f.reason))
        for f in result.ingest.files
        if f.status != "duplicate"
    }
    assert outcome["big.csv"][0] == "quarantined"
    assert "larger than the limit of 10,000 bytes (LOYALTY_MAX_FILE_BYTES)" in outcome["big.csv"][1]
    assert outcome["bomb.csv.gz"][0] == "quarantined"
    assert "decompresses to more than the limit of 10,000 bytes" in outcome["bomb.csv.gz"][1]
    assert_earlier_rows_unchanged(company, before)


def test_the_snapshot_and_marts_do_not_change_on_ingest_attacks(
    company: Settings, tmp_path: Path
) -> None:
    marts = {k: v for k, v in checksums(company.warehouse).items() if k.startswith("marts.")}
    (company.landing / ORDERS / "link.csv").symlink_to(Path("/etc/passwd"))
    shutil.copy(Path("/etc/hostname"), company.landing / ORDERS / "hostname.csv")
    run_steps(company, ("ingest",))
    assert {
        k: v for k, v in checksums(company.warehouse).items() if k.startswith("marts.")
    } == marts

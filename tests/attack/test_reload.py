"""A wrong setting is not permanent: files whose outcome depended on it are read again.

The ledger records, per file, a fingerprint of the settings and mapping its outcome
depended on. When one of them changes, the next ingest reads the file again and replaces
its earlier rows and rejects (never doubling them); `loyalty status` lists files still
waiting for that, and `loyalty reload FILE` does it by hand.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from pipelines.config import SOURCES_FILE, Settings
from pipelines.run import run_steps
from pipelines.status import status_tables
from pipelines.warehouse import open_reader
from tests.attack.conftest import checksums, ledger_row
from tests.conftest import fetch, loyalty

ORDERS = "shop/orders"
HEADER = "order_id,customer_id,ordered_at,net_amount,currency\n"


def conserved(settings: Settings) -> None:
    """Per file: the ledger's counts equal the rows in raw.orders and audit.rejects."""
    rows = fetch(
        settings,
        """
        select f.file_name, f.rows_in_file, f.rows_loaded, f.rows_rejected,
               (select count(*) from raw.orders o where o._file_id = f.file_id),
               (select count(*) from audit.rejects r where r.file_id = f.file_id)
        from audit.files f where f.entity = 'orders' and f.rows_in_file is not null
        """,
    )
    for name, in_file, loaded, rejected, in_raw, in_rejects in rows:
        assert (in_file, loaded, rejected) == (in_raw + in_rejects, in_raw, in_rejects), name


def test_fixing_the_currency_reads_the_rejected_rows_again(company: Settings) -> None:
    (company.landing / ORDERS / "orders_usd.csv").write_text(
        HEADER + "USD1,C1,2025-03-01T10:00:00Z,10.00,USD\nUSD2,C1,2025-03-02T10:00:00Z,12.00,USD\n"
    )
    before = checksums(company.warehouse)
    first = run_steps(company, ("ingest",))
    assert first.ingest is not None
    assert ledger_row(company.warehouse, "orders_usd.csv")["rows_rejected"] == 2

    in_usd = company.with_overrides(currency="USD")
    second = run_steps(in_usd, ("ingest",))
    assert second.ingest is not None
    usd = ledger_row(company.warehouse, "orders_usd.csv")
    assert (usd["rows_loaded"], usd["rows_rejected"]) == (2, 0)
    assert "re-read" in second.ingest.line()
    conserved(company)
    assert fetch(company, "select count(*) from raw.orders where order_id like 'USD_'") == [(2,)]

    back = run_steps(company, ("ingest",))
    assert back.ingest is not None
    conserved(company)
    after = checksums(company.warehouse)
    assert after["raw.orders"] == before["raw.orders"]
    assert fetch(
        company, "select count(*) from audit.files where file_name = 'orders_usd.csv'"
    ) == [(1,)]


def sources_with_shop_preset(folder: Path, timestamp_format: str) -> Path:
    shutil.copytree(SOURCES_FILE.parent, folder, dirs_exist_ok=True)
    preset = {
        "name": "myshop",
        "entity": "orders",
        "format": {"delimiter": ";", "timestamp_format": timestamp_format, "decimal_comma": True},
        "columns": {
            "order_id": "Order No",
            "customer_id": "Customer",
            "ordered_at": "Date",
            "net_amount": "Amount",
        },
    }
    (folder / "presets" / "myshop.yaml").write_text(yaml.safe_dump(preset))
    config = yaml.safe_load((folder / "sources.yaml").read_text())
    config["mappings"]["orders"] = ["canonical", "myshop"]
    (folder / "sources.yaml").write_text(yaml.safe_dump(config))
    return folder / "sources.yaml"


def test_fixing_a_mapping_reads_its_files_again_and_status_lists_them_meanwhile(
    company: Settings, tmp_path: Path
) -> None:
    (company.landing / ORDERS / "myshop.csv").write_text(
        "Order No;Customer;Date;Amount\nM1;C1;01/03/2025;10,50\nM2;C1;02/03/2025;3,00\n"
    )
    wrong = company.with_overrides(
        sources_file=sources_with_shop_preset(tmp_path / "s", "%d.%m.%Y")
    )
    run_steps(wrong, ("ingest",))
    assert ledger_row(company.warehouse, "myshop.csv")["rows_rejected"] == 2

    fixed = company.with_overrides(
        sources_file=sources_with_shop_preset(tmp_path / "s", "%d/%m/%Y")
    )
    run_steps(fixed, ("ingest",), entities=["customers"])
    with open_reader(company.warehouse) as con:
        waiting = status_tables(con)["awaiting_reload"]
    assert [(row[0], row[-1]) for row in waiting.rows] == [("myshop.csv", "mapping myshop changed")]
    shown = loyalty("status", "--warehouse", str(company.warehouse), cwd=tmp_path)
    assert "myshop.csv" in shown.stdout and "mapping myshop changed" in shown.stdout

    run_steps(fixed, ("ingest",))
    row = ledger_row(company.warehouse, "myshop.csv")
    assert (row["rows_loaded"], row["rows_rejected"], row["awaiting_reload"]) == (2, 0, None)
    assert fetch(
        company, "select order_id, net_amount from raw.orders where order_id like 'M_' order by 1"
    ) == [("M1", 10.5), ("M2", 3.0)]
    conserved(company)
    canonical = fetch(
        company,
        "select count(*) from audit.files where entity = 'orders' and awaiting_reload is not null",
    )
    assert canonical == [(0,)]


def test_a_file_no_mapping_fitted_loads_once_a_mapping_fits(
    company: Settings, tmp_path: Path
) -> None:
    (company.landing / ORDERS / "myshop.csv").write_text(
        "Order No;Customer;Date;Amount\nM1;C1;01/03/2025;10,50\n"
    )
    run_steps(company, ("ingest",))
    assert ledger_row(company.warehouse, "myshop.csv")["status"] == "quarantined"
    fixed = company.with_overrides(
        sources_file=sources_with_shop_preset(tmp_path / "s", "%d/%m/%Y")
    )
    result = run_steps(fixed, ("ingest",))
    assert result.ingest is not None
    row = ledger_row(company.warehouse, "myshop.csv")
    assert (row["status"], row["rows_loaded"], row["mapping"]) == ("loaded", 1, "myshop")


def test_raising_the_size_limit_reads_a_file_it_had_quarantined(company: Settings) -> None:
    (company.landing / ORDERS / "big.csv").write_text(
        HEADER + "".join(f"BIG{i},C1,2025-03-01T10:00:00Z,1.00,EUR\n" for i in range(500))
    )
    run_steps(company.with_overrides(max_file_bytes=1000), ("ingest",))
    assert ledger_row(company.warehouse, "big.csv")["status"] == "quarantined"
    run_steps(company, ("ingest",))
    assert ledger_row(company.warehouse, "big.csv")["rows_loaded"] == 500
    conserved(company)


def test_a_reload_rebuilds_marts_from_the_replaced_rows(company: Settings) -> None:
    (company.landing / ORDERS / "orders_usd.csv").write_text(
        HEADER + "USD1,C1,2025-03-01T10:00:00Z,10.00,USD\n"
    )
    run_steps(company, ("ingest", "validate", "build"))
    marts = {k: v for k, v in checksums(company.warehouse).items() if k.startswith("marts.")}
    result = run_steps(company.with_overrides(currency="USD"), ("ingest", "validate", "build"))
    assert result.build is not None and result.build.plan is not None
    assert not result.build.plan.incremental
    restored = run_steps(company, ("ingest", "validate", "build"))
    assert restored.build is not None
    assert {
        k: v for k, v in checksums(company.warehouse).items() if k.startswith("marts.")
    } == marts


def test_loyalty_reload_reads_a_file_again_by_hand(company: Settings, tmp_path: Path) -> None:
    path = sorted((company.landing / ORDERS).glob("orders_*.csv"))[0]
    before = checksums(company.warehouse)
    row = ledger_row(company.warehouse, path.name)
    result = loyalty(
        "reload",
        str(path),
        "--warehouse",
        str(company.warehouse),
        "--landing",
        str(company.landing),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert f"{path.name}: re-read, {row['rows_loaded']} rows loaded" in result.stdout
    assert "loyalty run" in result.stdout
    assert checksums(company.warehouse)["raw.orders"] == before["raw.orders"]
    runs = fetch(company, "select step, status from audit.runs where step = 'reload'")
    assert runs == [("reload", "ok")]
    unknown = loyalty(
        "reload", str(tmp_path / "nope.csv"), "--warehouse", str(company.warehouse), cwd=tmp_path
    )
    assert unknown.returncode == 1
    assert "nope.csv" in unknown.stderr and "Traceback" not in unknown.stderr

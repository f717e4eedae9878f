"""Personal data: e-mails and phone numbers in free text never leave raw; e-mail columns per policy."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import duckdb

from pipelines.config import Settings
from tests.conftest import fetch, require_tool, run, with_sources

EMAILS = ["anna.schmidt@example.com", "JOHN+shop@mail.co.uk"]
PHONES = ["+49 170 1234567", "0170/7654321", "(030) 12345678", "+1 (555) 123-4567"]
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+")
PHONE_PATTERN = re.compile(r"\+?\(?\d[\d ()./-]{6,}\d")
PHONE_DIGITS = {re.sub(r"\D", "", p) for p in PHONES}


def personal_data_in(text: str) -> list[str]:
    """The e-mail addresses and planted phone numbers an independent scan finds in `text`."""
    found = EMAIL_PATTERN.findall(text)
    found += [m for m in PHONE_PATTERN.findall(text) if re.sub(r"\D", "", m) in PHONE_DIGITS]
    return found


def write(settings: Settings, folder: str, name: str, text: str) -> None:
    path = settings.landing / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def landing_with_personal_data(settings: Settings) -> None:
    write(
        settings,
        "crm/customers",
        "customers.csv",
        "customer_id,created_at,updated_at,segment,Email\n"
        f"C1,2025-01-01,2025-01-01,retail,{EMAILS[0]}\n"
        f"C2,2025-01-01,2025-01-01,retail,{EMAILS[1]}\n",
    )
    write(
        settings,
        "shop/orders",
        "orders.csv",
        "order_id,customer_id,ordered_at,net_amount\n"
        + "".join(f"O{i},C{1 + i % 2},2025-0{1 + i % 4}-10,20\n" for i in range(12)),
    )
    write(
        settings,
        "shop/returns",
        "returns.csv",
        f'return_id,order_id,returned_at,amount,reason\nT1,O1,2025-02-20,20,"call me on {PHONES[3]}"\n',
    )
    comments = [
        f"write to {EMAILS[0]} please",
        f"Rückruf unter {PHONES[0]} oder {PHONES[1]}",
        f"Festnetz {PHONES[2]}, Mail {EMAILS[1]}",
        "great shop, order from 2025-03-01 14:05 arrived in 2 days",
    ]
    rows = "".join(
        f'R{i},2025-0{1 + i % 4}-15,C{1 + i % 2},{i % 11},"{comments[i % len(comments)]}"\n'
        for i in range(12)
    )
    bad = f'R99,2025-03-15,C1,eleven,"{comments[0]}"\n'
    write(
        settings,
        "survey/responses",
        "responses.csv",
        "response_id,responded_at,customer_id,nps_score,comment\n" + rows + bad,
    )


def text_cells(settings: Settings, schemas_sql: str) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text or JSON cell in the schemas the filter selects."""
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            f"where data_type in ('VARCHAR', 'JSON') and {schemas_sql}"
        ).fetchall()
        cells = []
        for schema, table, column in columns:
            for (value,) in con.execute(
                f'select "{column}"::varchar from {schema}.{table} where "{column}" is not null'
            ).fetchall():
                cells.append((f"{schema}.{table}", column, value))
        return cells
    finally:
        con.close()


def test_no_email_or_phone_outside_raw_in_tables_and_reports(settings: Settings) -> None:
    landing_with_personal_data(settings)
    run(settings, "ingest", "validate", "build", "report", as_of="2025-05-15T00:00:00Z")

    raw_cells = text_cells(settings, "table_schema = 'raw'")
    assert any(EMAILS[0] in value for _, _, value in raw_cells), "raw keeps what was delivered"
    leaks = [
        (table, column, found)
        for table, column, value in text_cells(settings, "table_schema <> 'raw'")
        if (found := personal_data_in(value))
    ]
    assert leaks == []
    assert fetch(settings, "select count(*) from audit.rejects") == [(1,)]
    comments = fetch(settings, "select comment from staging.stg_responses order by response_id")
    assert ("write to [email] please",) in comments
    assert ("Rückruf unter [phone] oder [phone]",) in comments
    assert ("great shop, order from 2025-03-01 14:05 arrived in 2 days",) in comments

    pages = sorted(settings.reports.rglob("*.html"))
    assert len(pages) >= 3
    for page in pages:
        assert personal_data_in(page.read_text()) == [], page
    pdftotext = require_tool("pdftotext")
    for pdf in sorted(settings.reports.rglob("*.pdf")):
        text = subprocess.run(
            [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert personal_data_in(text) == [], pdf


def with_privacy(settings: Settings, folder: Path, policy: str) -> Settings:
    return with_sources(settings, folder, f"privacy:\n  email_columns: {policy}\n").with_overrides(
        pii_salt="pepper"
    )


def test_email_columns_can_be_hashed_or_dropped_even_in_raw(
    settings: Settings, tmp_path: Path
) -> None:
    landing_with_personal_data(settings)
    hashed = with_privacy(settings, tmp_path / "h", "hash")
    run(hashed, "ingest")
    extras = fetch(hashed, "select _extra from raw.customers order by customer_id")
    expected = hashlib.sha256(("pepper" + EMAILS[0].lower()).encode()).hexdigest()
    assert json.loads(extras[0][0]) == {"Email": expected}

    dropped = with_privacy(settings, tmp_path / "d", "drop").with_overrides(
        warehouse=tmp_path / "dropped.duckdb"
    )
    run(dropped, "ingest")
    assert fetch(dropped, "select _extra from raw.customers") == [(None,), (None,)]

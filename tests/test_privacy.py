"""Personal data: e-mails and phone numbers in free text never leave raw; e-mail columns per policy."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.config import Settings
from pipelines.ingest.entities import ENTITIES
from pipelines.snapshot import snapshot_path
from tests.conftest import fetch, require_tool, run, with_sources, write_csv

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


# Every free-text field of every entity, every choice and code field, and an unknown
# column gets its own e-mail address and phone numbers; then one real run of the pipeline,
# and every output is searched for them. A new output (action list, alert, e-mail) is one
# more entry in OUTPUTS.
EXTRA_COLUMN = "notes"


def planted_fields() -> dict[tuple[str, str], str]:
    """(entity, field) -> how the field is meant to stop personal data."""
    planted = {}
    for entity in ENTITIES.values():
        for f in entity.fields:
            if f.kind == "text" and not f.name.endswith("_id"):
                planted[(entity.name, f.name)] = "masked"
            elif f.kind in ("enum", "code"):
                planted[(entity.name, f.name)] = "rejected"
        planted[(entity.name, EXTRA_COLUMN)] = "raw only"
    return planted


PLANTED = planted_fields()


@dataclass(frozen=True)
class Plant:
    """The personal data planted in one field, unique to it."""

    email: str
    phones: tuple[str, str]

    @property
    def text(self) -> str:
        return f"call {self.phones[0]} or {self.phones[1]}, mail {self.email}"

    def found_in(self, text: str) -> bool:
        lowered = text.lower()
        return self.email in lowered or any(
            re.search(r"[\s()./-]*".join(re.escape(d) for d in re.sub(r"\D", "", p)), text)
            for p in self.phones
        )


def plant(index: int, entity: str, field_name: str) -> Plant:
    return Plant(
        f"{entity}.{field_name}@pii-test.example.com",
        (f"+49 151 2{index:06d}", f"0171/3{index:06d}"),
    )


PLANTS = {key: plant(i, *key) for i, key in enumerate(PLANTED)}
BASE_ROWS: dict[str, list[dict[str, object]]] = {
    "customers": [
        {
            "customer_id": f"C{i}",
            "created_at": "2025-01-01",
            "updated_at": "2025-01-01",
            "country": "DE",
            "preferred_channel": "web",
            "status": "active",
        }
        for i in range(1, 5)
    ],
    "events": [
        {
            "event_id": f"E{i}",
            "customer_id": f"C{1 + i % 4}",
            "occurred_at": f"2025-0{1 + i % 4}-05",
            "event_type": "support_contact",
            "channel": "phone",
        }
        for i in range(4)
    ],
    "orders": [
        {
            "order_id": f"O{i}",
            "customer_id": f"C{1 + i % 4}",
            "ordered_at": f"2025-0{1 + i % 4}-10",
            "net_amount": "20",
            "status": "completed",
            "channel": "web",
            "currency": "EUR",
        }
        for i in range(16)
    ],
    "returns": [{"return_id": "T1", "order_id": "O1", "returned_at": "2025-02-20", "amount": "20"}],
    "responses": [
        {
            "response_id": f"R{i}",
            "responded_at": f"2025-0{1 + i % 4}-15",
            "customer_id": f"C{1 + i % 4}",
            "touchpoint": "post_purchase",
            "nps_score": str(i % 11),
        }
        for i in range(16)
    ],
}


def landing_with_planted_data(landing: Path) -> None:
    """Each entity's export: masked fields planted in every row, one rejected row per choice field."""
    for name, entity in ENTITIES.items():
        rows = [
            {
                **row,
                **{
                    field: PLANTS[(name, field)].text
                    for (owner, field), kind in PLANTED.items()
                    if owner == name and kind != "rejected"
                },
            }
            for row in BASE_ROWS[name]
        ]
        for (owner, field), kind in PLANTED.items():
            if owner == name and kind == "rejected":
                bad = {
                    **rows[0],
                    entity.key: f"bad-{name}-{field}",
                    field: PLANTS[(name, field)].text,
                }
                rows.append(bad)
        header = [*(c for c in entity.columns if any(c in r for r in rows)), EXTRA_COLUMN]
        write_csv(
            landing / entity.folder / f"{name}.csv",
            header,
            ([r.get(c) for c in header] for r in rows),
        )


@dataclass(frozen=True)
class PlantedRun:
    """One real run on the planted landing zone: its settings and what its commands printed."""

    settings: Settings
    printed: dict[str, str]


def loyalty_cli(settings: Settings, *args: str) -> str:
    """A `loyalty` command in a new process, as a person runs it: its stdout and stderr."""
    result = subprocess.run(
        [sys.executable, "-c", "from pipelines.cli import main; main()", *args],
        cwd=settings.warehouse.parent,
        env={
            **os.environ,
            "COLUMNS": "250",
            "LOYALTY_SETTLE_SECONDS": "0",
            "LOYALTY_LANDING": str(settings.landing),
            "LOYALTY_WAREHOUSE": str(settings.warehouse),
            "LOYALTY_REPORTS": str(settings.reports),
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory: pytest.TempPathFactory) -> PlantedRun:
    folder = tmp_path_factory.mktemp("planted")
    settings = Settings(landing=folder / "landing", warehouse=folder / "warehouse.duckdb")
    settings = settings.with_overrides(reports=folder / "reports")
    landing_with_planted_data(settings.landing)
    printed = {
        "loyalty run": loyalty_cli(settings, "run", "--as-of", "2025-05-15"),
        "loyalty status": loyalty_cli(settings, "status"),
        "loyalty sql --live raw": loyalty_cli(
            settings, "sql", "--live", "select count(*) from raw.customers"
        ),
    }
    runner = CliRunner()
    for table in snapshot_tables(settings):
        query = ["sql", f"select * from {table}", "--warehouse", str(settings.warehouse)]
        result = runner.invoke(app, query, env={"COLUMNS": "250"})
        assert result.exit_code == 0, result.output
        printed[f"loyalty sql {table}"] = result.output
    return PlantedRun(settings, printed)


def snapshot_tables(settings: Settings) -> list[str]:
    con = duckdb.connect(str(snapshot_path(settings.warehouse)), read_only=True)
    try:
        return [
            f"{schema}.{table}"
            for schema, table in con.execute(
                "select schema_name, table_name from duckdb_tables() order by all"
            ).fetchall()
        ]
    finally:
        con.close()


def database_cells(path: Path, schemas_sql: str) -> list[tuple[str, str]]:
    """(table.column, value) of every text or JSON cell of the database file `path`."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            f"where data_type in ('VARCHAR', 'JSON') and {schemas_sql}"
        ).fetchall()
        return [
            (f"{schema}.{table}.{column}", value)
            for schema, table, column in columns
            for (value,) in con.execute(
                f'select distinct "{column}"::varchar from {schema}.{table} '
                f'where "{column}" is not null'
            ).fetchall()
        ]
    finally:
        con.close()


def report_pages(run: PlantedRun) -> list[tuple[str, str]]:
    return [(p.name, p.read_text()) for p in sorted(run.settings.reports.rglob("*.html"))]


def report_pdf_text(run: PlantedRun) -> list[tuple[str, str]]:
    pdftotext = require_tool("pdftotext")
    return [
        (p.name, subprocess.run([pdftotext, str(p), "-"], capture_output=True, text=True).stdout)
        for p in sorted(run.settings.reports.rglob("*.pdf"))
    ]


def warehouse_beyond_raw(run: PlantedRun) -> list[tuple[str, str]]:
    return database_cells(run.settings.warehouse, "table_schema <> 'raw'")


def snapshot_cells(run: PlantedRun) -> list[tuple[str, str]]:
    return database_cells(snapshot_path(run.settings.warehouse), "true")


def printed_by_commands(run: PlantedRun) -> list[tuple[str, str]]:
    """What `loyalty run`, `status` and `sql` printed: their output and log lines."""
    return list(run.printed.items())


@dataclass(frozen=True)
class Output:
    name: str
    texts: Callable[[PlantedRun], list[tuple[str, str]]]
    least: int


OUTPUTS = [
    Output("report HTML", report_pages, 2),
    Output("report PDF text", report_pdf_text, 2),
    Output("warehouse staging, core, marts, audit", warehouse_beyond_raw, 100),
    Output("snapshot tables", snapshot_cells, 50),
    Output("loyalty run, status and sql output", printed_by_commands, 10),
]


def leaks(texts: list[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """Which planted fields' personal data each text holds: (entity, field) -> where; ('?', '?') for any other e-mail."""
    found: dict[tuple[str, str], list[str]] = {}
    for where, text in texts:
        for key, planted in PLANTS.items():
            if planted.found_in(text):
                found.setdefault(key, []).append(where)
        if EMAIL_PATTERN.search(text) and not any(p.found_in(text) for p in PLANTS.values()):
            found.setdefault(("?", "?"), []).append(where)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("output", OUTPUTS, ids=[o.name for o in OUTPUTS])
def test_planted_personal_data_reaches_no_output(planted_run: PlantedRun, output: Output) -> None:
    texts = output.texts(planted_run)
    assert len(texts) >= output.least, f"{output.name}: too little to search"
    found = leaks(texts)
    assert found == {}


@pytest.mark.slow
def test_each_planted_field_is_masked_rejected_or_kept_in_raw(planted_run: PlantedRun) -> None:
    """The outcome of every attempt: printed as a table (pytest -s) for the record."""
    raw = database_cells(planted_run.settings.warehouse, "table_schema = 'raw'")
    rejects = fetch(planted_run.settings, "select raw_line from audit.rejects")
    leaked: dict[tuple[str, str], list[str]] = {}
    for output in OUTPUTS:
        for key, where in leaks(output.texts(planted_run)).items():
            leaked.setdefault(key, []).extend(where)
    lines = []
    for key, meant in PLANTED.items():
        planted = PLANTS[key]
        in_raw = [where for where, value in raw if planted.found_in(value)]
        rejected = [line for (line,) in rejects if f"bad-{key[0]}-{key[1]}," in (line or "")]
        if meant == "rejected":
            assert in_raw == [] and len(rejected) == 1, key
            assert "[email]" in rejected[0] and not planted.found_in(rejected[0]), key
            outcome = "rejected; audit.rejects keeps the line masked"
        else:
            assert in_raw and rejected == [], key
            outcome = "kept in raw._extra only" if meant == "raw only" else "loaded into raw"
            if key in leaked:
                outcome += f"; LEAKS to {sorted(set(leaked[key]))}"
            elif meant == "masked":
                outcome += "; masked in staging and everything after it"
        lines.append(f"{key[0]}.{key[1]}: {planted.text!r} -> {outcome}")
    print("\n" + "\n".join(lines))
    assert leaked == {}

"""Attacks through settings and source mappings: a value never becomes SQL, a bad one is refused.

Every refusal is a LoyaltyError whose message names the setting and what it accepts,
raised before anything is read or written.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from pipelines.config import SOURCES_FILE, Settings, settings_from_env
from pipelines.errors import LoyaltyError
from pipelines.run import run_steps
from pipelines.snapshot import snapshot_path
from tests.attack.conftest import checksums, ledger_row
from tests.conftest import loyalty

DELETE_ORDERS = "'; delete from raw.orders; select '"
ORDERS_HEADER = "order_id,customer_id,ordered_at,net_amount,currency\n"


def sources_with_preset(
    folder: Path, preset: dict[str, object], listed_as: str | None = None
) -> Path:
    """A copy of sources/ whose orders are read with `preset` first, then canonically."""
    shutil.copytree(SOURCES_FILE.parent, folder)
    name = str(preset["name"]) if listed_as is None else listed_as
    (folder / "presets" / "attack.yaml").write_text(yaml.safe_dump(preset, allow_unicode=True))
    config = yaml.safe_load((folder / "sources.yaml").read_text())
    config["mappings"]["orders"] = [name, "canonical"]
    (folder / "sources.yaml").write_text(yaml.safe_dump(config))
    return folder / "sources.yaml"


def orders_preset(**fmt: object) -> dict[str, object]:
    return {
        "name": "attack",
        "entity": "orders",
        "format": fmt,
        "columns": {
            c: c for c in ("order_id", "customer_id", "ordered_at", "net_amount", "currency")
        },
    }


def new_orders_file(settings: Settings, name: str = "orders_new.csv") -> Path:
    path = settings.landing / "shop/orders" / name
    path.write_text(ORDERS_HEADER + "NEW1,C1,2025-03-01 10:00:00,10.00,EUR\n")
    return path


def test_a_preset_time_zone_cannot_run_sql(company: Settings, tmp_path: Path) -> None:
    before = checksums(company.warehouse)
    sources = sources_with_preset(
        tmp_path / "sources", orders_preset(timezone="UTC" + DELETE_ORDERS + "UTC")
    )
    new_orders_file(company)
    with pytest.raises(LoyaltyError, match=r"format\.timezone .* IANA time zone"):
        run_steps(company.with_overrides(sources_file=sources), ("ingest",))
    assert checksums(company.warehouse) == before


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        ({"timezone": "Mars/Olympus"}, r"format\.timezone 'Mars/Olympus' is not an IANA time zone"),
        (
            {"timestamp_format": "yyyy-MM-dd'T'HH:mm:ss"},
            r"format\.timestamp_format .* %Y-%m-%dT%H:%M:%S",
        ),
        ({"timestamp_format": "%Y-%m-%d' || 1 || '"}, r"format\.timestamp_format"),
        ({"header_row": 0}, r"format\.header_row must be a whole number of at least 1 .*got 0"),
        ({"header_row": "two"}, r"format\.header_row must be a whole number"),
        (
            {"skip_after_header": -1},
            r"format\.skip_after_header must be a whole number of at least 0",
        ),
        ({"delimiter": ";;"}, r"format\.delimiter must be one character"),
        ({"delimiter": "'"}, r"format\.delimiter"),
        ({"encoding": "klingon"}, r"format\.encoding 'klingon' is unknown"),
        ({"decimal_comma": "yes please"}, r"format\.decimal_comma must be true or false"),
        ({"dialect": "excel"}, r"format: unknown option\(s\) dialect; allowed: "),
    ],
)
def test_a_bad_preset_format_is_refused_by_name(
    company: Settings, tmp_path: Path, fmt: dict[str, object], message: str
) -> None:
    sources = sources_with_preset(tmp_path / "sources", orders_preset(**fmt))
    with pytest.raises(LoyaltyError, match=message):
        run_steps(company.with_overrides(sources_file=sources), ("ingest",))


def test_a_java_style_timestamp_format_does_not_quarantine_good_files_silently(
    company: Settings, tmp_path: Path
) -> None:
    before = checksums(company.warehouse)
    sources = sources_with_preset(
        tmp_path / "sources", orders_preset(timestamp_format="yyyy-MM-dd'T'HH:mm:ss")
    )
    new_orders_file(company)
    with pytest.raises(LoyaltyError, match="timestamp_format"):
        run_steps(company.with_overrides(sources_file=sources), ("ingest",))
    assert checksums(company.warehouse) == before


@pytest.mark.parametrize(
    "name", ["../../etc/evil", "../sources", "sub/dir", "a.b", "", "attack\x00"]
)
def test_a_preset_name_cannot_leave_the_presets_folder(
    company: Settings, tmp_path: Path, name: str
) -> None:
    outside = tmp_path / "evil.yaml"
    outside.write_text(yaml.safe_dump(orders_preset(timezone="UTC")))
    sources = sources_with_preset(tmp_path / "sources", orders_preset(), listed_as=name)
    with pytest.raises(LoyaltyError, match=r"mapping name .* letters, digits, _ and -"):
        run_steps(company.with_overrides(sources_file=sources), ("ingest",))


def test_the_reporting_currency_is_never_sql(company: Settings) -> None:
    before = checksums(company.warehouse)
    new_orders_file(company)
    hostile = "EU" + DELETE_ORDERS
    with pytest.raises(
        LoyaltyError, match=r"LOYALTY_CURRENCY must be a three-letter ISO 4217 code"
    ):
        run_steps(company.with_overrides(currency=hostile), ("ingest",))
    assert checksums(company.warehouse) == before


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "LOYALTY_CURRENCY",
            "EU'R",
            r"LOYALTY_CURRENCY must be a three-letter ISO 4217 code .* got \"EU'R\"",
        ),
        (
            "LOYALTY_INACTIVITY_DAYS",
            "abc",
            r"LOYALTY_INACTIVITY_DAYS \(--inactivity-days\) must be a whole number of days from 1 to 3650, got 'abc'",
        ),
        (
            "LOYALTY_INACTIVITY_DAYS",
            "0",
            r"LOYALTY_INACTIVITY_DAYS .*must be a whole number of days from 1 to 3650, got 0",
        ),
        (
            "LOYALTY_TIMEZONE",
            "Europe/Atlantis",
            r"LOYALTY_TIMEZONE \(--timezone\) 'Europe/Atlantis' is not an IANA time zone",
        ),
        (
            "LOYALTY_TIMEZONE",
            "UTC'; drop table raw.orders; --",
            r"LOYALTY_TIMEZONE .* is not an IANA time zone",
        ),
        ("LOYALTY_MIN_SAMPLE", "-3", r"LOYALTY_MIN_SAMPLE must be .* at least 1"),
        ("LOYALTY_VOLUME_FACTOR", "nan", r"LOYALTY_VOLUME_FACTOR must be a number greater than 0"),
        (
            "LOYALTY_GAMING_TOP_SHARE",
            "1.5",
            r"LOYALTY_GAMING_TOP_SHARE must be a number between 0 and 1",
        ),
        ("LOYALTY_GAMING_JUMP", "x", r"LOYALTY_GAMING_JUMP must be a number between 0 and 1"),
        (
            "LOYALTY_SETTLE_SECONDS",
            "-1",
            r"LOYALTY_SETTLE_SECONDS must be a number of seconds of at least 0",
        ),
        (
            "LOYALTY_VALIDATION_WORKERS",
            "many",
            r"LOYALTY_VALIDATION_WORKERS must be a whole number",
        ),
        (
            "LOYALTY_MAX_FILE_BYTES",
            "lots",
            r"LOYALTY_MAX_FILE_BYTES must be a size in bytes, with an optional unit \(e\.g\. 2GB",
        ),
        ("LOYALTY_MAX_FILE_BYTES", "0", r"LOYALTY_MAX_FILE_BYTES must be .* at least 1"),
        ("LOYALTY_AS_OF", "yesterday", r"LOYALTY_AS_OF 'yesterday' is not an ISO 8601 date"),
    ],
)
def test_a_bad_environment_variable_is_refused_by_name(
    variable: str, value: str, message: str
) -> None:
    with pytest.raises(LoyaltyError, match=message):
        settings_from_env({variable: value})


def test_settings_from_the_environment_accept_good_values() -> None:
    settings = settings_from_env(
        {
            "LOYALTY_CURRENCY": "usd",
            "LOYALTY_TIMEZONE": "Europe/Berlin",
            "LOYALTY_MAX_FILE_BYTES": "500MB",
            "LOYALTY_GAMING_TOP_SHARE": "1",
        }
    )
    assert (settings.currency, settings.timezone, settings.max_file_bytes) == (
        "USD",
        "Europe/Berlin",
        500_000_000,
    )


@pytest.mark.parametrize(
    "value", ["1GB'; delete from raw.orders; set memory_limit='1GB", "lots", "-1GB"]
)
def test_the_duckdb_memory_limit_is_never_sql(company: Settings, value: str) -> None:
    before = checksums(company.warehouse)
    message = r"LOYALTY_DUCKDB_MEMORY_LIMIT must be a size like 3\.5GB"
    with pytest.raises(LoyaltyError, match=message):
        settings_from_env({"LOYALTY_DUCKDB_MEMORY_LIMIT": value})
    with pytest.raises(LoyaltyError, match=message):
        run_steps(replace(company, duckdb_memory_limit=value), ("ingest",))
    assert checksums(company.warehouse) == before


def test_a_warehouse_path_with_quotes_publishes_its_snapshot(
    company: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / 'o\'brien "data"'
    folder.mkdir()
    settings = company.with_overrides(warehouse=folder / "o'brien.duckdb")
    shutil.copy(company.warehouse, settings.warehouse)
    run_steps(settings, ("build",))
    assert snapshot_path(settings.warehouse).exists()


def test_a_hostile_pii_salt_is_data(company: Settings, tmp_path: Path) -> None:
    before = checksums(company.warehouse)
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES_FILE.parent, sources)
    config = yaml.safe_load((sources / "sources.yaml").read_text())
    config["privacy"] = {"email_columns": "hash"}
    (sources / "sources.yaml").write_text(yaml.safe_dump(config))
    path = company.landing / "crm/customers" / "with_mail.csv"
    path.write_text("customer_id,created_at,updated_at,email\nM1,2025-01-01,2025-01-01,a@b.de\n")
    settings = company.with_overrides(sources_file=sources / "sources.yaml", pii_salt=DELETE_ORDERS)
    run_steps(settings, ("ingest",))
    after = checksums(company.warehouse)
    assert after["raw.orders"] == before["raw.orders"]
    assert ledger_row(company.warehouse, "with_mail.csv")["rows_loaded"] == 1


YAML_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
mappings:
  orders: *h
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mappings: [unclosed\n", r"sources\.yaml is not valid YAML \(line 2"),
        (YAML_BOMB, r"sources\.yaml uses YAML anchors or aliases \(line 1"),
        ("- just\n- a list\n", r"sources\.yaml must be a mapping of sections"),
        ("mappings:\n  orders: canonical\n", r"mappings\.orders must be a list of mapping names"),
        ("mappings:\n  invoices: [canonical]\n", r"mappings names unknown entities invoices"),
        (
            "schema_drift:\n  default:\n    type_change_share: 7\n",
            r"type_change_share must be a number between 0 and 1",
        ),
        (
            "schema_drift:\n  default:\n    type_change_min_values: many\n",
            r"type_change_min_values must be a whole number",
        ),
        (
            "privacy:\n  email_columns: shred\n",
            r"email_columns must be one of keep_raw, hash, drop",
        ),
    ],
)
def test_a_broken_sources_file_is_refused_with_its_reason(
    company: Settings, tmp_path: Path, text: str, message: str
) -> None:
    folder = tmp_path / "sources"
    shutil.copytree(SOURCES_FILE.parent, folder)
    (folder / "sources.yaml").write_text(text)
    with pytest.raises(LoyaltyError, match=message):
        run_steps(company.with_overrides(sources_file=folder / "sources.yaml"), ("ingest",))


def test_the_cli_names_the_setting_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "data/landing").mkdir(parents=True)
    result = loyalty("run", cwd=tmp_path, env={"LOYALTY_INACTIVITY_DAYS": "abc"})
    assert result.returncode == 1
    assert "LOYALTY_INACTIVITY_DAYS (--inactivity-days) must be a whole number" in result.stderr
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr

"""The executive report on sample data: both languages and formats, numbers equal to the marts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from pipelines.config import Settings
from pipelines.generate import GenerateOptions, generate
from pipelines.report.data import load_report_data, report_month, shift
from pipelines.report.render import headline_cards, render_html
from pipelines.report.texts import Formatter
from pipelines.rounding import round_half_away
from pipelines.warehouse import open_reader
from tests.conftest import fetch, fetch_dicts, loyalty, require_tool, run, write_entity


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("report")
    settings = Settings(
        landing=root / "landing", warehouse=root / "warehouse.duckdb", reports=root / "reports"
    )
    generate(GenerateOptions(settings.landing, customers=1500, months=24, seed=5))
    run(settings, "ingest", "validate", "build", "report")
    return settings


def report_files(settings: Settings) -> list[Path]:
    return sorted(settings.reports.glob("*/loyalty-report-*"))


def test_both_languages_and_formats_are_written(company: Settings) -> None:
    names = [p.name for p in report_files(company)]
    month = names[0].split("-report-")[1][:7]
    assert names == [
        f"loyalty-report-{month}-{lang}.{fmt}" for lang in ("de", "en") for fmt in ("html", "pdf")
    ]
    assert all(p.stat().st_size > 10_000 for p in report_files(company))
    assert all(
        p.read_bytes().startswith(b"%PDF") for p in report_files(company) if p.suffix == ".pdf"
    )


def test_every_headline_number_equals_its_mart(company: Settings) -> None:
    with open_reader(company.warehouse) as con:
        data = load_report_data(con, report_month(con, None))
    (kpis,) = fetch_dicts(company, f"select * from marts.kpi_monthly where month = '{data.month}'")
    (headlines,) = fetch_dicts(company, "select * from marts.loyalty_headlines")
    for lang in ("en", "de"):
        html = (
            company.reports
            / f"{data.month:%Y-%m}"
            / f"loyalty-report-{data.month:%Y-%m}-{lang}.html"
        ).read_text()
        for card in headline_cards(data, Formatter(lang, "EUR")):
            expected = (
                headlines[card.key] if card.key == "active_recommender_rate" else kpis[card.key]
            )
            assert card.value == pytest.approx(float(expected)), card.key
            block = re.search(rf'data-kpi="{card.key}">(.*?)</div>\s*</div>', html, re.S)
            assert block is not None and card.text.replace("<", "&lt;") in block.group(1), (
                lang,
                card.key,
            )


def test_number_and_date_formats_per_language(company: Settings) -> None:
    german = next(p for p in report_files(company) if p.name.endswith("-de.html")).read_text()
    english = next(p for p in report_files(company) if p.name.endswith("-en.html")).read_text()
    assert re.search(r"\d+,\d\u00a0%", german) and re.search(r"\d+\.\d\u00a0%", english)
    assert re.search(r"\d{1,3}\.\d{3}\u00a0EUR", german) and re.search(
        r"\d{1,3},\d{3}\u00a0EUR", english
    )
    assert "Juni 2026" in german and "June 2026" in english


def test_low_sample_nps_is_never_shown_without_its_flag(company: Settings) -> None:
    html = next(p for p in report_files(company) if p.name.endswith("-en.html")).read_text()
    low = fetch_dicts(
        company,
        "select * from marts.nps_by_segment where low_sample and dimension <> 'touchpoint' and month = (select max(month) from marts.kpi_monthly where is_complete)",
    )
    assert low, "the sample should have small groups"
    assert html.count("low sample (n=") >= len(low)


def test_the_satisfaction_sentences_are_written_from_the_numbers(company: Settings) -> None:
    (headlines,) = fetch_dicts(company, "select * from marts.loyalty_headlines")
    html = next(p for p in report_files(company) if p.name.endswith("-en.html")).read_text()
    ratio = round_half_away(headlines["satisfied_vs_delighted_switching_ratio"], 1)
    assert f'<p class="sentence">Satisfied customers switched {ratio:.1f} times as often' in html
    defectors = round_half_away(headlines["satisfied_defectors_share"] * 100)
    share = round_half_away(headlines["satisfied_customers_share"] * 100)
    assert (
        f"Satisfied customers were {defectors:.0f}\u00a0% of those who left within 180 days of"
        f" their answer, and {share:.0f}\u00a0% of all customers who answered."
    ) in html
    lift = round_half_away(headlines["delight_lift"], 1)
    assert f"stayed {lift:.1f} times as often" in html


def report_html(settings: Settings, lang: str) -> str:
    return next(p for p in report_files(settings) if p.name.endswith(f"-{lang}.html")).read_text()


def test_the_report_describes_the_last_complete_month(company: Settings) -> None:
    # The sample's data runs through 30 June 2026 23:59:59: June is complete.
    assert fetch_dicts(company, "select as_of::varchar as as_of from marts.build_info") == [
        {"as_of": "2026-06-30 23:59:59+00"}
    ]
    assert {p.parent.name for p in report_files(company)} == {"2026-06"}
    assert "June 2026 · data up to 30 June 2026, 23:59" in report_html(company, "en")
    assert "Juni 2026 · Daten bis 30. Juni 2026, 23:59 Uhr" in report_html(company, "de")


def test_the_bridge_closes_and_is_shown(company: Settings) -> None:
    (k,) = fetch_dicts(company, "select * from marts.kpi_monthly where month = '2026-06-01'")
    parts = ("active_customers_start", "gained_new_customers", "gained_won_back_customers")
    assert k["active_customers_end"] == sum(k[p] for p in parts) - k["lost_customers"]
    html = report_html(company, "en")
    row = re.search(r'<table class="bridge">.*?<tbody><tr>(.*?)</tr>', html, re.S)
    assert row is not None
    shown = [int(v.replace(",", "")) for v in re.findall(r"<td>([\d,]+)</td>", row.group(1))]
    assert shown == [*(k[p] for p in parts), k["lost_customers"], k["active_customers_end"]]


def test_churn_reasons_total_equals_the_kpi_total_of_the_same_twelve_months(
    company: Settings,
) -> None:
    ((total,),) = fetch(
        company,
        "select sum(churned_customers) from marts.kpi_monthly"
        " where month between '2025-07-01' and '2026-06-01'",
    )
    html = report_html(company, "en")
    assert "Churn reasons, July 2025 – June 2026" in html
    table = re.search(r'<table id="churn-reasons">(.*?)</table>', html, re.S)
    assert table is not None
    numbers = [int(v.replace(",", "")) for v in re.findall(r"<td>([\d,]+)</td>", table.group(1))]
    assert numbers[-1] == total == sum(numbers[:-1])


def test_every_table_and_chart_names_its_period(company: Settings) -> None:
    html = report_html(company, "en")
    for heading in (
        "June 2026 at a glance",
        "Customer bridge, June 2026",
        "Trends, July 2024 – June 2026",
        "Retention and switching per month, July 2024 – June 2026",
        "NPS with 95 % confidence band, July 2024 – June 2026",
        "Satisfied versus delighted, July 2024 – June 2026",
        "Cohort retention, cohorts July 2025 – June 2026",
        "purchases up to June 2026",
        "latest answer up to 1 January 2026 and the 180 days after it",
        "What drives recommendation, July 2025 – June 2026",
        "Service touchpoints, June 2026",
        "NPS by group, June 2026",
        "Validation warnings about data of April 2026 – June 2026",
    ):
        assert heading in html, heading


def test_the_cohort_heatmap_ends_at_the_report_month_and_frames_the_month_in_progress(
    company: Settings, tmp_path: Path
) -> None:
    with open_reader(company.warehouse) as con:
        data = load_report_data(con, date(2026, 5, 1))
    assert max(shift(r["cohort_month"], r["months_since_first"]) for r in data.cohorts) == date(
        2026, 5, 1
    )
    copy = company.with_overrides(warehouse=tmp_path / "mid-june.duckdb", reports=tmp_path)
    shutil.copy(company.warehouse, copy.warehouse)
    run(copy, "build", as_of="2026-06-15T12:00:00Z")
    with open_reader(copy.warehouse) as con:
        assert report_month(con, None) == date(2026, 5, 1)
        june = load_report_data(con, date(2026, 6, 1))
    framed = {
        (r["cohort_month"], r["months_since_first"]) for r in june.cohorts if r["in_progress"]
    }
    assert framed and all(shift(c, k) == date(2026, 6, 1) for c, k in framed)
    html = render_html(june, "en")
    assert "framed: month still in progress" in html
    assert html.count("stroke-dasharray") >= len(framed)


def test_changes_of_active_customers_and_revenue(company: Settings) -> None:
    with open_reader(company.warehouse) as con:
        data = load_report_data(con, report_month(con, None))
    cards = {c.key: c for c in headline_cards(data, Formatter("en", "EUR"))}
    assert data.previous is not None and data.year_ago is not None
    for key in ("active_customers_end", "revenue_net"):
        now, before, year = (float(r[key]) for r in (data.kpis, data.previous, data.year_ago))
        previous, year_ago = cards[key].changes
        assert previous.endswith("vs. previous month") and year_ago.endswith("vs. June 2025")
        for text, base in ((previous, before), (year_ago, year)):
            change = round_half_away((now / base - 1) * 100, 1)
            expected = f"{change:+.1f}\u00a0%".replace("-", "\u2212")
            assert text.startswith("no change" if change == 0 else expected), text


def test_german_values_and_times_are_translated(company: Settings) -> None:
    german = report_html(company, "de")
    for text in (
        "Segment: Privatkunden",
        "Kanal: Filiale",
        "Land: Deutschland",
        "kauft nicht mehr (inaktiv)",
        "Bestellungen (Shop)",
        "23:59 Uhr",
        "Alle Abwanderungen",
    ):
        assert text in german, text
    for english in ("segment: consumer", "Segment: consumer", "Kanal: store", "orders (shop)"):
        assert english not in german


def test_chart_percentages_are_written_as_each_language_writes_them(company: Settings) -> None:
    ticks = r">(\d+)[.,](\d)\u00a0%<"
    english, german = (
        re.findall(ticks.replace("[.,]", sep), report_html(company, lang))
        for lang, sep in (("en", r"\."), ("de", ","))
    )
    assert english and english == german


def test_the_data_quality_panel_lists_the_warnings_of_the_report_period(
    company: Settings,
) -> None:
    with open_reader(company.warehouse) as con:
        data = load_report_data(con, report_month(con, None))
    every = fetch_dicts(company, "select * from marts.validation_warnings")
    first, _ = data.quality_months
    recent = [w for w in every if w["last_data_at"].date() >= first]
    assert every, "the sample should have validation warnings"
    assert sorted(w["file_name"] for w in data.warnings) == sorted(w["file_name"] for w in recent)
    assert data.older_warnings == len(every) - len(recent)
    html = report_html(company, "en")
    if data.older_warnings:
        assert f"{data.older_warnings} warning(s) about older data: see validation.html" in html
    older = [w["file_name"] for w in every if w not in recent]
    assert not any(f"{name}:" in html for name in older)


def test_html_is_self_contained(company: Settings) -> None:
    html = next(p for p in report_files(company) if p.name.endswith("-en.html")).read_text()
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<svg" in html


def test_report_without_surveys_explains_what_is_missing(settings: Settings) -> None:
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [
            {
                "order_id": f"O{i}",
                "customer_id": f"C{i % 5}",
                "ordered_at": f"2025-{1 + i % 4:02d}-10T10:00:00Z",
                "net_amount": "10",
            }
            for i in range(20)
        ],
    )
    run(settings, "ingest", "validate", "build", "report", as_of="2025-05-15T00:00:00Z")
    html = (settings.reports / "2025-04" / "loyalty-report-2025-04-en.html").read_text()
    assert 'id="no-surveys"' in html and "No survey responses are loaded" in html
    assert 'id="no-crm"' in html


def test_html_in_headless_chromium_has_no_errors_and_no_requests(
    company: Settings, tmp_path: Path
) -> None:
    chromium = require_tool("chromium")
    page = next(p for p in report_files(company) if p.name.endswith("-de.html"))
    screenshot, netlog = tmp_path / "report.png", tmp_path / "net.json"
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            f"--log-net-log={netlog}",
            "--window-size=1100,3000",
            f"--screenshot={screenshot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert screenshot.exists() and screenshot.stat().st_size > 50_000
    console = [
        line for line in result.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line
    ]
    assert console == []
    events = json.loads(netlog.read_text())["events"]
    page_requests = {
        e["params"]["url"]
        for e in events
        if "url" in e.get("params", {})
        and e["params"].get("initiator", "not an origin") != "not an origin"
    }
    assert page_requests == set(), "the page asked the network for something"


def test_pdf_pages_convert_to_png(company: Settings, tmp_path: Path) -> None:
    pdftoppm = require_tool("pdftoppm")
    pdf = next(p for p in report_files(company) if p.name.endswith("-en.pdf"))
    subprocess.run(
        [pdftoppm, "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 2 <= len(pages) <= 8


def test_cli_report_options(company: Settings, tmp_path: Path) -> None:
    out = tmp_path / "one.html"
    result = loyalty(
        "report",
        "--warehouse",
        str(company.warehouse),
        "--lang",
        "de",
        "--format",
        "html",
        "--month",
        "2025-12",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Dezember 2025" in out.read_text()


def test_the_data_quality_panel_lists_schema_drift(settings: Settings) -> None:
    orders = [
        {
            "order_id": f"O{i}",
            "customer_id": f"C{i % 5}",
            "ordered_at": f"2025-{1 + i % 4:02d}-10T10:00:00Z",
            "net_amount": "10",
            "coupon_code": "SPRING",
        }
        for i in range(20)
    ]
    folder = settings.landing / "shop/orders"
    folder.mkdir(parents=True)
    header = list(orders[0])
    (folder / "orders.csv").write_text(
        "\n".join([",".join(header), *(",".join(str(o[h]) for h in header) for o in orders)])
    )
    customers = settings.landing / "crm/customers"
    customers.mkdir(parents=True)
    (customers / "customers.csv").write_text("customer_id,updated_at\nC1,2025-01-01\n")
    run(settings, "ingest", "validate", "build", "report", as_of="2025-05-15T00:00:00Z")
    html = (settings.reports / "2025-04" / "loyalty-report-2025-04-en.html").read_text()
    assert "orders.coupon_code: column added, kept in raw, not used (1 files)" in html
    assert "customers.created_at: required column missing, file quarantined (1 files)" in html
    german = (settings.reports / "2025-04" / "loyalty-report-2025-04-de.html").read_text()
    assert "orders.coupon_code: Spalte hinzugekommen, in raw behalten, nicht verwendet" in german


def test_page_one_opens_with_a_verdict_from_the_targets(company: Settings) -> None:
    month = fetch(company, "select max(month) from marts.kpi_monthly where is_complete")[0][0]
    targets = fetch_dicts(
        company,
        f"select * from marts.kpi_targets where month = '{month}' and is_met is not null",
    )
    missed = [t for t in targets if not t["is_met"]]
    html = (
        company.reports / f"{month:%Y-%m}" / f"loyalty-report-{month:%Y-%m}-en.html"
    ).read_text()
    verdict = re.search(r'<p class="verdict (\w+)">(.*?)</p>', html, re.S)
    assert verdict is not None and html.index('id="verdict"') < html.index('id="headline"')
    english = Formatter("en", "EUR").month(month)
    if missed:
        assert verdict.group(1) == "missed"
        assert verdict.group(2).startswith(
            f"Loyalty is below target in {english}: {len(missed)} of {len(targets)} targets missed, "
        )
    else:
        assert (
            verdict.group(2)
            == f"Loyalty is on target in {english}: all {len(targets)} targets met."
        )
    for target in targets:
        block = re.search(
            rf'class="card[^"]*" data-kpi="{target["metric"]}">(.*?)</div>\s*</div>', html, re.S
        )
        if block is None:
            continue
        label = "✓ on target" if target["is_met"] else "✗"
        assert '<div class="target' in block.group(1) and label in block.group(1), target["metric"]
    german = (
        company.reports / f"{month:%Y-%m}" / f"loyalty-report-{month:%Y-%m}-de.html"
    ).read_text()
    assert "Die Kundenloyalität liegt im " in german


def test_what_changed_shows_each_dimensions_top_mover(company: Settings) -> None:
    month = fetch(company, "select max(month) from marts.kpi_monthly where is_complete")[0][0]
    movers = fetch_dicts(
        company,
        f"select * from marts.nps_change_attribution where month = '{month}' "
        "qualify row_number() over (partition by dimension order by abs(score_effect) desc, value) = 1",
    )
    html = (
        company.reports / f"{month:%Y-%m}" / f"loyalty-report-{month:%Y-%m}-en.html"
    ).read_text()
    section = html[html.index('id="what-changed"') : html.index('id="trends"')]
    rows = re.findall(r"<tr><td>(.*?)</td>.*?</tr>", section, re.S)
    assert len(rows) == len(movers) == 4
    assert rows[0].startswith("touchpoint: ")
    fmt = Formatter("en", "EUR")
    for mover in movers:
        assert fmt.change(mover["contribution"]) in section
        assert fmt.change(mover["score_effect"]) in section


def test_who_needs_attention_lists_the_marts_rows(company: Settings) -> None:
    english, german = (report_html(company, lang) for lang in ("en", "de"))
    section = english[english.index('id="attention"') : english.index('id="losing"')]
    bands = fetch(
        company,
        "select count(*) from marts.customer_health where risk_band is not null",
    )[0][0]
    top = fetch(
        company,
        "select customer_id from marts.customer_health where risk_band = 'high' "
        "order by revenue_net_12m desc, customer_id limit 20",
    )
    shown = re.findall(r'id="at-risk".*?</table>', section, re.DOTALL)[0]
    assert re.findall(r"<td>(C\d+)</td>", shown) == [customer for (customer,) in top]
    counts = re.findall(r'id="risk-bands".*?</table>', section, re.DOTALL)[0]
    assert sum(int(n.replace(",", "")) for n in re.findall(r"<td>([\d,]+)</td>", counts)) == bands
    assert "Wer Aufmerksamkeit braucht" in german and "Who needs attention" in section
    assert "@" not in section

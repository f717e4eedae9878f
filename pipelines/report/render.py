"""Report data + texts + charts -> one self-contained HTML page, and the PDF of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from pipelines.report import charts
from pipelines.report.data import ReportData
from pipelines.report.texts import DEFINITIONS, TEXTS, Formatter

TEMPLATES = Path(__file__).parent / "templates"
RATE_KPIS = (
    "retention_rate",
    "switching_rate",
    "competitor_switching_rate",
    "winback_rate",
    "repeat_purchase_rate",
)
TIERS = ("dissatisfied", "neutral", "satisfied", "delighted")


@dataclass(frozen=True)
class Card:
    """One headline KPI: the mart value, its display text and the month-over-month change."""

    key: str
    label: str
    value: float | None
    text: str
    change: str = ""
    note: str = ""
    warn: bool = False


def rate_card(data: ReportData, fmt: Formatter, key: str) -> Card:
    value = data.kpis.get(key)
    before = data.previous.get(key) if data.previous else None
    change = fmt.points(value - before) if value is not None and before is not None else ""
    return Card(key, fmt.text(key), value, fmt.percent(value), change)


def nps_card(data: ReportData, fmt: Formatter) -> Card:
    k = data.kpis
    if k.get("nps") is None:
        return Card("nps", fmt.text("nps"), None, "–")
    text = f"{fmt.signed(k['nps'])} ± {fmt.number(k['nps_moe'], 1)}"
    change, note = "", ""
    if k.get("nps_change") is not None:
        verdict = fmt.text("changed") if k["nps_change_significant"] else fmt.text("within_noise")
        change = f"{fmt.signed(k['nps_change'])} ({verdict})"
    if k.get("nps_low_sample"):
        note = fmt.text("low_sample", n=k["nps_responses"])
    return Card(
        "nps", fmt.text("nps"), k["nps"], text, change, note, warn=bool(k.get("nps_low_sample"))
    )


def headline_cards(data: ReportData, fmt: Formatter) -> list[Card]:
    """The headline KPIs, in the order the page shows them."""
    cards = [rate_card(data, fmt, key) for key in RATE_KPIS]
    cards.append(nps_card(data, fmt))
    cards += [rate_card(data, fmt, key) for key in ("csat_pct", "delight_pct")]
    recommenders = data.headlines.get("active_recommender_rate")
    month = data.headlines.get("active_recommender_month")
    cards.append(
        Card(
            "active_recommender_rate",
            fmt.text("active_recommender_rate"),
            recommenders,
            fmt.percent(recommenders),
            note=fmt.month(month) if month else "",
        )
    )
    cards.append(
        Card(
            "active_customers_end",
            fmt.text("active_customers_end"),
            data.kpis["active_customers_end"],
            fmt.number(data.kpis["active_customers_end"]),
        )
    )
    cards.append(
        Card(
            "revenue_net",
            fmt.text("revenue_net"),
            float(data.kpis["revenue_net"]),
            fmt.money(float(data.kpis["revenue_net"])),
        )
    )
    return cards


def satisfaction_sentence(data: ReportData, fmt: Formatter) -> str | None:
    """The headline of 'satisfaction is not enough', written from the numbers."""
    defectors = data.headlines.get("satisfied_defectors_share")
    lift = data.headlines.get("delight_lift")
    if defectors is None or lift is None:
        return None
    return fmt.text(
        "satisfaction_sentence", defectors=fmt.percent(defectors, 0), lift=fmt.number(lift, 1)
    )


def chart_set(data: ReportData, fmt: Formatter) -> dict[str, Markup]:
    months = [r["month"] for r in data.trend]
    result = {
        "retention": charts.rates_chart(
            months,
            {
                fmt.text("retention_rate"): [r["retention_rate"] for r in data.trend],
                fmt.text("switching_rate"): [r["switching_rate"] for r in data.trend],
            },
            fmt.text("chart_retention"),
            fmt.short_month,
            fmt.text("share"),
        )
    }
    if data.has_surveys:
        result["nps"] = charts.nps_chart(
            months,
            [r["nps"] for r in data.trend],
            [r["nps_moe"] for r in data.trend],
            [bool(r["nps_low_sample"]) for r in data.trend],
            fmt.text("chart_nps"),
            fmt.short_month,
            fmt.text("nps_points"),
            fmt.text("low_sample", n="<30").split(" (")[0],
        )
        result["csat"] = charts.rates_chart(
            months,
            {
                fmt.text("csat_pct"): [r["csat_pct"] for r in data.trend],
                fmt.text("delight_pct"): [r["delight_pct"] for r in data.trend],
            },
            fmt.text("chart_csat"),
            fmt.short_month,
            fmt.text("share"),
        )
        result["tiers"] = charts.tier_bars(
            [fmt.text(t).split(" (")[0] for t in TIERS],
            [
                next((r["switching_rate_180d"] for r in data.tiers if r["tier"] == t), None)
                for t in TIERS
            ],
            fmt.text("switching_180d"),
            fmt.text("share"),
        )
    if data.cohorts:
        cohorts = sorted({r["cohort_month"] for r in data.cohorts})
        offsets = sorted({r["months_since_first"] for r in data.cohorts})
        values = {
            (r["cohort_month"], r["months_since_first"]): r["retention_rate"] for r in data.cohorts
        }
        result["cohorts"] = charts.cohort_heatmap(
            cohorts,
            offsets,
            values,
            fmt.text("chart_cohorts"),
            fmt.short_month,
            fmt.text("months_since_first"),
            fmt.text("cohort_month"),
        )
    return {k: Markup(v) for k, v in result.items()}


def definitions(fmt: Formatter, data: ReportData) -> list[str]:
    values = {"w": data.build["inactivity_days"], "min_sample": data.build["min_sample"]}
    return [text[fmt.lang].format(**values) for text in DEFINITIONS.values()]


def render_html(data: ReportData, lang: str) -> str:
    fmt = Formatter(lang, data.build["currency"])
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
    )
    template = environment.get_template("report.html.j2")
    return template.render(
        data=data,
        fmt=fmt,
        t=fmt.text,
        cards=headline_cards(data, fmt),
        sentence=satisfaction_sentence(data, fmt),
        charts=chart_set(data, fmt),
        definitions=definitions(fmt, data),
        reason_keys={k for k in TEXTS if k.startswith("reason_")},
        lang=lang,
    )


def write_pdf(html: str, path: Path) -> Path:
    """The same page as PDF (WeasyPrint: HTML and CSS in, no browser, no network)."""
    from weasyprint import HTML

    HTML(string=html, base_url=None).write_pdf(path)
    return path


def month_folder(reports: Path, month: date) -> Path:
    return reports / f"{month:%Y-%m}"

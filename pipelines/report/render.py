"""Report data + texts + charts -> one self-contained HTML page, and the PDF of it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from pipelines.report import charts
from pipelines.report.data import ReportData, Row
from pipelines.report.texts import DEFINITIONS, TEXTS, Formatter
from pipelines.report.warnings import warning_text

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
    """One headline KPI: the mart value, its display text and its changes."""

    key: str
    label: str
    value: float | None
    text: str
    changes: tuple[str, ...] = ()
    note: str = ""
    warn: bool = False
    target: str = ""
    status: str = ""  # met, missed_low, missed_high (colour and text label), or none


def rate_card(data: ReportData, fmt: Formatter, key: str) -> Card:
    value = data.kpis.get(key)
    before = data.previous.get(key) if data.previous else None
    changes = ()
    if value is not None and before is not None:
        changes = (f"{fmt.points(value - before)} {fmt.text('vs_previous')}",)
    return Card(key, fmt.text(key), value, fmt.percent(value), changes)


def amount_card(data: ReportData, fmt: Formatter, key: str, text: str) -> Card:
    """A count or an amount with its change against the month before and a year before."""
    value = data.kpis[key]
    changes = []
    if data.previous:
        changes.append(f"{fmt.relative(value, data.previous[key])} {fmt.text('vs_previous')}")
    if data.year_ago:
        year_ago = fmt.text("vs_month", month=fmt.month(data.year_ago["month"]))
        changes.append(f"{fmt.relative(value, data.year_ago[key])} {year_ago}")
    return Card(key, fmt.text(key), float(value), text, tuple(changes))


def nps_card(data: ReportData, fmt: Formatter) -> Card:
    k = data.kpis
    if k.get("nps") is None:
        return Card("nps", fmt.text("nps"), None, "–")
    text = f"{fmt.signed(k['nps'])} ± {fmt.number(k['nps_moe'], 1)}"
    changes, note = (), ""
    if k.get("nps_change") is not None:
        verdict = fmt.text("changed") if k["nps_change_significant"] else fmt.text("within_noise")
        changes = (f"{fmt.change(k['nps_change'])} ({verdict}) {fmt.text('vs_previous')}",)
    if k.get("nps_low_sample"):
        note = fmt.text("low_sample", n=k["nps_responses"])
    return Card(
        "nps", fmt.text("nps"), k["nps"], text, changes, note, warn=bool(k.get("nps_low_sample"))
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
    active = data.kpis["active_customers_end"]
    cards.append(amount_card(data, fmt, "active_customers_end", fmt.number(active)))
    revenue = data.kpis["revenue_net"]
    cards.append(amount_card(data, fmt, "revenue_net", fmt.money(revenue)))
    targets = {row["metric"]: row for row in data.targets}
    return [with_target(card, targets.get(card.key), fmt) for card in cards]


def shown(row: Row, value: float | None, fmt: Formatter) -> str:
    """A value of a target's metric: the NPS signed, a rate with two decimals when the target is below 1 %."""
    if row["unit"] == "points":
        return fmt.signed(value)
    return fmt.percent(value, 2 if row["target"] < 0.01 else 1)


def target_status(row: Row) -> str:
    if row["is_met"] is None:
        return ""
    if row["is_met"]:
        return "met"
    return "missed_low" if row["direction"] == ">=" else "missed_high"


def with_target(card: Card, row: Row | None, fmt: Formatter) -> Card:
    """The card with its target and whether the month met it (None: the card has no target)."""
    if row is None:
        return card
    key = "target_at_least" if row["direction"] == ">=" else "target_at_most"
    # The value as precise as its target, so 0.53 % does not read as 0.5 % against 0.50 %.
    return replace(
        card,
        text=shown(row, row["value"], fmt) if row["unit"] == "rate" else card.text,
        target=fmt.text("target", value=fmt.text(key, value=shown(row, row["target"], fmt))),
        status=target_status(row),
    )


@dataclass(frozen=True)
class Verdict:
    """Page one's first sentence, from the targets, and the alerts that say why."""

    sentence: str
    status: str
    reasons: tuple[str, ...] = ()


def listing(items: list[str], fmt: Formatter) -> str:
    """ "a, b and c" in the report's language."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {fmt.text('and')} {items[-1]}"


def in_sentence(label: str) -> str:
    """A metric's name inside a sentence: "Die Abwanderung" -> "die Abwanderung", NPS stays."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def verdict(data: ReportData, fmt: Formatter) -> Verdict | None:
    """Whether loyalty is on target this month, and why; None when no target has a value."""
    measured = [row for row in data.targets if row["is_met"] is not None]
    if not measured:
        return None
    reasons = tuple(row[f"message_{fmt.lang}"] for row in data.alerts)
    missed = [row for row in measured if not row["is_met"]]
    month = fmt.month(data.month)
    if not missed:
        return Verdict(
            fmt.text("verdict_on_target", month=month, count=len(measured)), "met", reasons
        )
    items = [
        fmt.text(
            "verdict_item",
            label=in_sentence(row[f"label_{fmt.lang}"]),
            value=shown(row, row["value"], fmt),
            target=fmt.text(
                "target_at_least" if row["direction"] == ">=" else "target_at_most",
                value=shown(row, row["target"], fmt),
            ),
        )
        for row in missed
    ]
    sentence = fmt.text(
        "verdict_below_target",
        month=month,
        missed=listing(items, fmt),
        count_missed=len(missed),
        count=len(measured),
    )
    return Verdict(sentence, "missed", reasons)


@dataclass(frozen=True)
class Mover:
    """One row of "What changed": a dimension's group that moved the NPS most."""

    group: str
    responses: str
    nps: str
    change: str
    significance: str
    flag: str
    mix_effect: str
    score_effect: str
    contribution: str


def movers(data: ReportData, fmt: Formatter) -> list[Mover]:
    result = []
    for row in data.movers:
        if row["nps_change"] is None:
            significance = fmt.text("not_measurable")
        elif row["significant"]:
            significance = fmt.text("changed")
        else:
            significance = fmt.text("within_noise")
        change = fmt.change(row["nps_change"])
        if row["change_moe"] is not None:
            change += f" ± {fmt.number(row['change_moe'], 1)}"
        result.append(
            Mover(
                group=f"{fmt.text('dim_' + row['dimension'])}: "
                f"{fmt.label(row['dimension'], row['value'])}",
                responses=f"{fmt.number(row['responses_previous'])} → {fmt.number(row['responses'])}",
                nps=f"{fmt.signed(row['nps_previous'])} → {fmt.signed(row['nps'])}",
                change=change,
                significance=significance,
                flag=fmt.text("low_sample", n=min(row["responses"], row["responses_previous"]))
                if row["low_sample"]
                else "",
                mix_effect=fmt.change(row["mix_effect"]),
                score_effect=fmt.change(row["score_effect"]),
                contribution=fmt.change(row["contribution"]),
            )
        )
    return result


def bridge(data: ReportData, fmt: Formatter) -> list[tuple[str, str]]:
    """Start + new + won back - lost = end: labels and numbers of the customer bridge."""
    k = data.kpis
    return [
        (fmt.text("bridge_start"), fmt.number(k["active_customers_start"])),
        (fmt.text("bridge_new"), fmt.number(k["gained_new_customers"])),
        (fmt.text("bridge_won_back"), fmt.number(k["gained_won_back_customers"])),
        (fmt.text("bridge_lost"), fmt.number(k["lost_customers"])),
        (fmt.text("bridge_end"), fmt.number(k["active_customers_end"])),
    ]


def satisfaction_sentences(data: ReportData, fmt: Formatter) -> list[str]:
    """The headline of 'satisfaction is not enough', written from the numbers."""
    h = data.headlines
    sentences = []
    if h.get("satisfied_vs_delighted_switching_ratio") is not None:
        ratio = fmt.number(h["satisfied_vs_delighted_switching_ratio"], 1)
        sentences.append(fmt.text("ratio_sentence", ratio=ratio))
    if h.get("satisfied_defectors_share") is not None:
        sentences.append(
            fmt.text(
                "defectors_sentence",
                defectors=fmt.percent(h["satisfied_defectors_share"], 0),
                share=fmt.percent(h["satisfied_customers_share"], 0),
            )
        )
    if h.get("delight_lift") is not None:
        sentences.append(fmt.text("lift_sentence", lift=fmt.number(h["delight_lift"], 1)))
    return sentences


def chart_set(data: ReportData, fmt: Formatter) -> dict[str, Markup]:
    months = [r["month"] for r in data.trend]
    period = fmt.period(months[0], months[-1])
    result = {
        "retention": charts.retention_chart(
            months,
            [r["retention_rate"] for r in data.trend],
            [r["switching_rate"] for r in data.trend],
            fmt.text("chart_retention", period=period),
            (fmt.text("retention_rate"), fmt.text("switching_rate")),
            fmt.short_month,
            fmt.percent,
        )
    }
    if data.has_surveys:
        result["nps"] = charts.nps_chart(
            months,
            [r["nps"] for r in data.trend],
            [r["nps_moe"] for r in data.trend],
            [bool(r["nps_low_sample"]) for r in data.trend],
            fmt.text("chart_nps", period=period),
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
            fmt.text("chart_csat", period=period),
            fmt.short_month,
            fmt.text("share"),
            fmt.percent,
        )
        result["tiers"] = charts.tier_bars(
            [fmt.text(t).split(" (")[0] for t in TIERS],
            [
                next((r["switching_rate_180d"] for r in data.tiers if r["tier"] == t), None)
                for t in TIERS
            ],
            fmt.text("switching_180d"),
            fmt.text("share"),
            fmt.percent,
        )
    if data.cohorts:
        cohorts = sorted({r["cohort_month"] for r in data.cohorts})
        offsets = sorted({r["months_since_first"] for r in data.cohorts})
        values = {
            (r["cohort_month"], r["months_since_first"]): r["retention_rate"] for r in data.cohorts
        }
        in_progress = {
            (r["cohort_month"], r["months_since_first"]) for r in data.cohorts if r["in_progress"]
        }
        title = fmt.text("chart_cohorts", month=fmt.month(data.month))
        if in_progress:
            title += f" · {fmt.text('in_progress_cells')}"
        result["cohorts"] = charts.cohort_heatmap(
            cohorts,
            offsets,
            values,
            in_progress,
            title,
            fmt.short_month,
            fmt.text("months_since_first"),
            fmt.text("cohort_month"),
        )
    return {k: Markup(v) for k, v in result.items()}


def definitions(fmt: Formatter, data: ReportData) -> list[str]:
    values = {"w": data.build["inactivity_days"], "min_sample": data.build["min_sample"]}
    return [text[fmt.lang].format(**values) for text in DEFINITIONS.values()]


def risk_reasons(text: str | None, fmt: Formatter) -> str:
    """customer_health.risk_reason in the report's language."""
    return "; ".join(fmt.label("risk", part) for part in text.split("; ")) if text else "–"


def attention(data: ReportData, fmt: Formatter) -> dict[str, Any]:
    """Who needs attention: risk bands, the top customers at risk, detractors still waiting."""
    target = next((t for t in data.targets if t["metric"] == "closed_loop_rate"), None)
    loop = data.closed_loop
    return {
        "bands": [
            (
                fmt.label("band", r["risk_band"]),
                fmt.number(r["customers"]),
                fmt.money(r["revenue_net_12m"]),
            )
            for r in data.risk_bands
        ],
        "at_risk_revenue": fmt.money(data.headlines.get("revenue_at_risk")),
        "at_risk": [
            (
                r["customer_id"],
                fmt.percent(r["p_alive"], 0),
                fmt.number(r["days_since_last_purchase"]),
                fmt.money(r["revenue_net_12m"]),
                risk_reasons(r["risk_reason"], fmt),
            )
            for r in data.at_risk
        ],
        "waiting": [
            (
                r["customer_id"],
                fmt.instant(r["responded_at"]),
                fmt.label("touchpoint", r["touchpoint"]),
                fmt.number(r["nps_score"]),
                fmt.number(r["waiting_hours"] / 24, 1),
            )
            for r in data.waiting
        ],
        "closed_loop": fmt.text(
            "closed_loop_line",
            month=fmt.month(loop["month"]),
            rate=fmt.percent(loop["closed_loop_rate"], 0),
            target=fmt.percent(target["target"], 0) if target else "–",
        )
        if loop
        else None,
        "as_of": fmt.instant(data.build["as_of"]),
    }


def render_html(data: ReportData, lang: str) -> str:
    fmt = Formatter(lang, data.build["currency"], data.build["reporting_timezone"])
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
    )
    template = environment.get_template("report.html.j2")
    return template.render(
        data=data,
        fmt=fmt,
        t=fmt.text,
        cards=headline_cards(data, fmt),
        verdict=verdict(data, fmt),
        movers=movers(data, fmt),
        bridge=bridge(data, fmt),
        sentences=satisfaction_sentences(data, fmt),
        satisfaction_cutoff=fmt.day(data.build["as_of"] - timedelta(days=180)),
        charts=chart_set(data, fmt),
        warnings=[warning_text(w, fmt) for w in data.warnings],
        definitions=definitions(fmt, data),
        reason_keys={k for k in TEXTS if k.startswith("reason_")},
        attention=attention(data, fmt),
        lang=lang,
    )


def write_pdf(html: str, path: Path) -> Path:
    """The same page as PDF (WeasyPrint: HTML and CSS in, no browser, no network)."""
    from weasyprint import HTML

    HTML(string=html, base_url=None).write_pdf(path)
    return path


def month_folder(reports: Path, month: date) -> Path:
    return reports / f"{month:%Y-%m}"

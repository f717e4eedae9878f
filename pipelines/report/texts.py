"""The report's words in German and English, and number and date formats for each (Babel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from pipelines.rounding import round_half_away

LOCALES = {"de": "de_DE", "en": "en_GB"}

TEXTS: dict[str, dict[str, str]] = {
    "title": {"en": "Customer loyalty report", "de": "Bericht zur Kundenbindung"},
    "subtitle": {"en": "{month} · data up to {as_of}", "de": "{month} · Daten bis {as_of}"},
    "headline_kpis": {"en": "{month} at a glance", "de": "{month} auf einen Blick"},
    "vs_previous": {"en": "vs. previous month", "de": "ggü. Vormonat"},
    "vs_month": {"en": "vs. {month}", "de": "ggü. {month}"},
    "no_change": {"en": "no change", "de": "keine Änderung"},
    "bridge": {"en": "Customer bridge, {month}", "de": "Kundenbestand im Verlauf, {month}"},
    "bridge_start": {"en": "Active at the start", "de": "Aktiv zu Monatsbeginn"},
    "bridge_new": {"en": "+ new", "de": "+ neu"},
    "bridge_won_back": {"en": "+ won back", "de": "+ zurückgewonnen"},
    "bridge_lost": {"en": "− lost", "de": "− verloren"},
    "bridge_end": {"en": "= active at the end", "de": "= aktiv am Monatsende"},
    "bridge_note": {
        "en": "New and won back: customers active at the end of the month who were not at its start. Lost: customers active at its start who were not at its end. In the month {churned} customers churned (some came back within it), {new} bought for the first time and {won_back} were won back.",
        "de": "Neu und zurückgewonnen: am Monatsende aktive Kunden, die es zu Monatsbeginn nicht waren. Verloren: zu Monatsbeginn aktive Kunden, die es am Monatsende nicht mehr sind. Im Monat sind {churned} Kunden abgewandert (manche kamen im selben Monat zurück), {new} haben zum ersten Mal gekauft und {won_back} wurden zurückgewonnen.",
    },
    "within_noise": {"en": "within noise", "de": "im Rauschen"},
    "changed": {"en": "significant change", "de": "signifikante Änderung"},
    "low_sample": {"en": "low sample (n={n})", "de": "kleine Stichprobe (n={n})"},
    "retention_rate": {"en": "Retention rate", "de": "Kundenbindungsrate"},
    "switching_rate": {"en": "Switching rate", "de": "Abwanderungsrate"},
    "competitor_switching_rate": {"en": "… to competitors", "de": "… zur Konkurrenz"},
    "winback_rate": {"en": "Win-back rate", "de": "Rückgewinnungsrate"},
    "repeat_purchase_rate": {"en": "Repeat purchase rate", "de": "Wiederkaufrate"},
    "nps": {"en": "Net Promoter Score", "de": "Net Promoter Score"},
    "csat_pct": {"en": "Satisfied (CSAT 4–5)", "de": "Zufrieden (CSAT 4–5)"},
    "delight_pct": {"en": "Delighted (CSAT 5)", "de": "Begeistert (CSAT 5)"},
    "active_recommender_rate": {"en": "Active recommenders", "de": "Aktive Empfehler"},
    "active_customers_end": {"en": "Active customers", "de": "Aktive Kunden"},
    "revenue_net": {"en": "Net revenue", "de": "Nettoumsatz"},
    "points": {"en": "pp", "de": "Pp."},
    "trends": {"en": "Trends, {period}", "de": "Entwicklung, {period}"},
    "chart_retention": {
        "en": "Retention and switching per month, {period}",
        "de": "Bindung und Abwanderung je Monat, {period}",
    },
    "chart_nps": {
        "en": "NPS with 95 % confidence band, {period}",
        "de": "NPS mit 95-%-Konfidenzband, {period}",
    },
    "chart_csat": {
        "en": "Satisfied versus delighted, {period}",
        "de": "Zufrieden versus begeistert, {period}",
    },
    "chart_cohorts": {
        "en": "Share of each cohort buying k months later (%), purchases up to {month}",
        "de": "Anteil jeder Kohorte mit Kauf k Monate später (%), Käufe bis {month}",
    },
    "in_progress_cells": {
        "en": "framed: month still in progress",
        "de": "umrandet: Monat läuft noch",
    },
    "cohorts": {
        "en": "Cohort retention, cohorts {period}",
        "de": "Kohortenbindung, Kohorten {period}",
    },
    "months_since_first": {"en": "months since first purchase", "de": "Monate seit Erstkauf"},
    "cohort_month": {"en": "cohort (first purchase)", "de": "Kohorte (Erstkauf)"},
    "share": {"en": "share of customers", "de": "Anteil Kunden"},
    "nps_points": {"en": "NPS points", "de": "NPS-Punkte"},
    "satisfaction": {"en": "Satisfaction is not enough", "de": "Zufriedenheit reicht nicht"},
    "satisfaction_period": {
        "en": "Each customer's latest answer up to {cutoff} and the 180 days after it.",
        "de": "Letzte Antwort jedes Kunden bis {cutoff} und die 180 Tage danach.",
    },
    "ratio_sentence": {
        "en": "Satisfied customers switched {ratio} times as often as delighted ones.",
        "de": "Zufriedene Kunden wanderten {ratio}-mal so oft ab wie begeisterte.",
    },
    "defectors_sentence": {
        "en": "Satisfied customers were {defectors} of those who left within 180 days of their answer, and {share} of all customers who answered.",
        "de": "Zufriedene Kunden waren {defectors} derer, die innerhalb von 180 Tagen nach ihrer Antwort gingen, und {share} aller Kunden, die geantwortet haben.",
    },
    "lift_sentence": {
        "en": "Delighted customers stayed {lift} times as often as merely satisfied ones.",
        "de": "Begeisterte Kunden blieben {lift}-mal so oft wie bloß zufriedene.",
    },
    "tier": {"en": "Satisfaction (CSAT)", "de": "Zufriedenheit (CSAT)"},
    "customers": {"en": "Customers", "de": "Kunden"},
    "switching_180d": {"en": "Switched within 180 days", "de": "Abgewandert in 180 Tagen"},
    "revenue_180d": {"en": "Revenue per customer", "de": "Umsatz je Kunde"},
    "orders_180d": {"en": "Orders per customer", "de": "Bestellungen je Kunde"},
    "discount_share": {"en": "Discount share", "de": "Rabattanteil"},
    "referral_rate": {"en": "Referred someone", "de": "Weiterempfohlen"},
    "dissatisfied": {"en": "dissatisfied (1–2)", "de": "unzufrieden (1–2)"},
    "neutral": {"en": "neutral (3)", "de": "neutral (3)"},
    "satisfied": {"en": "satisfied (4)", "de": "zufrieden (4)"},
    "delighted": {"en": "delighted (5)", "de": "begeistert (5)"},
    "drivers": {
        "en": "What drives recommendation, {period}",
        "de": "Was Weiterempfehlung antreibt, {period}",
    },
    "item": {"en": "Quality item", "de": "Qualitätsmerkmal"},
    "mean": {"en": "Mean (1–5)", "de": "Mittelwert (1–5)"},
    "top_box": {"en": "Top box (5)", "de": "Bestnote (5)"},
    "correlation": {"en": "Correlation with NPS", "de": "Korrelation mit NPS"},
    "strongest": {"en": "strongest driver", "de": "stärkster Treiber"},
    "product_quality": {"en": "Product quality", "de": "Produktqualität"},
    "process_quality": {"en": "Process quality", "de": "Prozessqualität"},
    "personal_service": {"en": "Personal service", "de": "Persönlicher Service"},
    "touchpoints": {"en": "Service touchpoints, {month}", "de": "Servicekontakte, {month}"},
    "channel": {"en": "Channel", "de": "Kanal"},
    "contacts": {"en": "Contacts", "de": "Kontakte"},
    "fcr": {"en": "First-contact resolution", "de": "Lösung beim Erstkontakt"},
    "handoffs": {"en": "With handoff", "de": "Mit Weiterleitung"},
    "resolution_hours": {"en": "Median resolution (h)", "de": "Median Lösungszeit (h)"},
    "losing": {"en": "Where we are losing customers", "de": "Wo wir Kunden verlieren"},
    "churn_reasons": {
        "en": "Churn reasons, {period}",
        "de": "Abwanderungsgründe, {period}",
    },
    "all_churns": {"en": "All churns", "de": "Alle Abwanderungen"},
    "reason": {"en": "Reason", "de": "Grund"},
    "nps_by_group": {"en": "NPS by group, {month}", "de": "NPS nach Gruppe, {month}"},
    "group": {"en": "Group", "de": "Gruppe"},
    "responses": {"en": "Responses", "de": "Antworten"},
    "data_quality": {"en": "Data quality", "de": "Datenqualität"},
    "files_loaded": {"en": "Files loaded (all loads)", "de": "Geladene Dateien (alle Ladeläufe)"},
    "files_quarantined": {
        "en": "Batches quarantined (all loads)",
        "de": "Gesperrte Lieferungen (alle Ladeläufe)",
    },
    "rows_loaded": {"en": "Rows loaded (all loads)", "de": "Geladene Zeilen (alle Ladeläufe)"},
    "rows_rejected": {
        "en": "Rows rejected (all loads)",
        "de": "Abgewiesene Zeilen (alle Ladeläufe)",
    },
    "sources": {"en": "Sources present", "de": "Vorhandene Quellen"},
    "missing": {"en": "missing", "de": "fehlt"},
    "validation_warnings": {
        "en": "Validation warnings about data of {period}",
        "de": "Prüfwarnungen zu Daten von {period}",
    },
    "older_warnings": {
        "en": "{n} warning(s) about older data: see validation.html",
        "de": "{n} Warnung(en) zu älteren Daten: siehe validation.html",
    },
    "no_warnings": {"en": "none", "de": "keine"},
    "schema_drift": {"en": "Schema drift", "de": "Schemaänderungen"},
    "drift_added": {"en": "column added", "de": "Spalte hinzugekommen"},
    "drift_missing_required": {"en": "required column missing", "de": "Pflichtspalte fehlt"},
    "drift_type_changed": {"en": "column type changed", "de": "Spaltentyp geändert"},
    "drift_kept_in_raw": {"en": "kept in raw, not used", "de": "in raw behalten, nicht verwendet"},
    "drift_quarantined": {"en": "file quarantined", "de": "Datei in Quarantäne"},
    "drift_rows_rejected": {"en": "rows rejected", "de": "Zeilen abgewiesen"},
    "drift_files": {"en": "files", "de": "Dateien"},
    "as_of": {"en": "Metrics as of", "de": "Kennzahlen zum Stand"},
    "no_surveys": {
        "en": "No survey responses are loaded, so recommendation and satisfaction figures are missing: load the survey tool's export into survey/responses.",
        "de": "Es sind keine Umfrageantworten geladen, daher fehlen Empfehlungs- und Zufriedenheitswerte: den Export des Umfragetools nach survey/responses laden.",
    },
    "no_crm": {
        "en": "No CRM export is loaded: explicit churns, churn reasons and service contacts are missing.",
        "de": "Kein CRM-Export geladen: ausdrückliche Kündigungen, Abwanderungsgründe und Servicekontakte fehlen.",
    },
    "no_data": {"en": "No data for this section.", "de": "Keine Daten für diesen Abschnitt."},
    "attention": {"en": "Who needs attention, {day}", "de": "Wer Aufmerksamkeit braucht, {day}"},
    "attention_intro": {
        "en": "Active customers by their risk of no longer buying (the purchase model's probability that they still buy, p_alive, below the configured thresholds: by default high below 30 %, medium below 60 %) and their net revenue of the last 12 months. Revenue at risk (high band): {revenue}.",
        "de": "Aktive Kunden nach ihrem Risiko, nicht mehr zu kaufen (die Wahrscheinlichkeit des Kaufmodells, dass sie noch kaufen, p_alive, unter den eingestellten Schwellen: standardmäßig hoch unter 30 %, mittel unter 60 %), und ihr Nettoumsatz der letzten 12 Monate. Gefährdeter Umsatz (hohes Risiko): {revenue}.",
    },
    "risk_band": {"en": "Risk", "de": "Risiko"},
    "revenue_12m": {"en": "Net revenue, 12 months", "de": "Nettoumsatz, 12 Monate"},
    "band_high": {"en": "high", "de": "hoch"},
    "band_medium": {"en": "medium", "de": "mittel"},
    "band_low": {"en": "low", "de": "niedrig"},
    "top_at_risk": {
        "en": "High risk, most revenue first (top {n})",
        "de": "Hohes Risiko, umsatzstärkste zuerst (Top {n})",
    },
    "customer": {"en": "Customer", "de": "Kunde"},
    "p_alive": {"en": "Still buying", "de": "Kauft noch"},
    "days_since_purchase": {"en": "Days since last purchase", "de": "Tage seit letztem Kauf"},
    "why": {"en": "Why", "de": "Warum"},
    "risk_overdue for their usual purchase": {
        "en": "overdue for their usual purchase",
        "de": "überfällig für den üblichen Kauf",
    },
    "risk_detractor": {"en": "detractor", "de": "Kritiker"},
    "risk_open complaint": {"en": "open complaint", "de": "offene Beschwerde"},
    "waiting": {
        "en": "Detractors waiting for a call-back, longest wait first",
        "de": "Kritiker, die auf einen Rückruf warten, längste Wartezeit zuerst",
    },
    "answered": {"en": "Answered", "de": "Geantwortet"},
    "survey_touchpoint": {"en": "Survey", "de": "Umfrage"},
    "score": {"en": "Score", "de": "Wert"},
    "waiting_days": {"en": "Waiting (days)", "de": "Wartet (Tage)"},
    "nobody_waiting": {
        "en": "No detractor is waiting for a call-back.",
        "de": "Kein Kritiker wartet auf einen Rückruf.",
    },
    "closed_loop_line": {
        "en": "Closed loop, {month}: {rate} of detractors were called back within 48 hours (target {target}).",
        "de": "Nachfassen, {month}: {rate} der Kritiker wurden innerhalb von 48 Stunden zurückgerufen (Ziel {target}).",
    },
    "appendix": {"en": "Definitions", "de": "Definitionen"},
    "unknown": {"en": "unknown", "de": "unbekannt"},
    "dim_segment": {"en": "segment", "de": "Segment"},
    "dim_channel": {"en": "channel", "de": "Kanal"},
    "dim_country": {"en": "country", "de": "Land"},
    "segment_consumer": {"en": "consumer", "de": "Privatkunden"},
    "segment_business": {"en": "business", "de": "Geschäftskunden"},
    "segment_premium": {"en": "premium", "de": "Premiumkunden"},
    "channel_web": {"en": "web", "de": "Web"},
    "channel_app": {"en": "app", "de": "App"},
    "channel_store": {"en": "store", "de": "Filiale"},
    "channel_phone": {"en": "phone", "de": "Telefon"},
    "channel_email": {"en": "e-mail", "de": "E-Mail"},
    "channel_chat": {"en": "chat", "de": "Chat"},
    "touchpoint_post_purchase": {"en": "after a purchase", "de": "nach dem Kauf"},
    "touchpoint_support": {"en": "support", "de": "Support"},
    "touchpoint_relationship": {"en": "relationship survey", "de": "Beziehungsumfrage"},
    "source_customers": {"en": "customers (CRM)", "de": "Kunden (CRM)"},
    "source_events": {"en": "events (CRM)", "de": "Ereignisse (CRM)"},
    "source_orders": {"en": "orders (shop)", "de": "Bestellungen (Shop)"},
    "source_returns": {"en": "returns (shop)", "de": "Retouren (Shop)"},
    "source_responses": {"en": "survey responses", "de": "Umfrageantworten"},
    "reason_lapse": {"en": "stopped buying (lapsed)", "de": "kauft nicht mehr (inaktiv)"},
    "reason_unknown": {"en": "cancelled, reason unknown", "de": "gekündigt, Grund unbekannt"},
    "reason_competitor": {"en": "switched to a competitor", "de": "zur Konkurrenz gewechselt"},
    "reason_price": {"en": "price", "de": "Preis"},
    "reason_service": {"en": "service", "de": "Service"},
    "reason_product": {"en": "product", "de": "Produkt"},
    "reason_moved": {"en": "moved away", "de": "umgezogen"},
    "reason_other": {"en": "other", "de": "Sonstiges"},
    "dim_touchpoint": {"en": "touchpoint", "de": "Kontaktpunkt"},
    "verdict_on_target": {
        "en": "Loyalty is on target in {month}: all {count} targets met.",
        "de": "Die Kundenloyalität liegt im {month} im Ziel: alle {count} Ziele erreicht.",
    },
    "verdict_below_target": {
        "en": "Loyalty is below target in {month}: {count_missed} of {count} targets missed, {missed}.",
        "de": "Die Kundenloyalität liegt im {month} unter Ziel: {count_missed} von {count} Zielen verfehlt, {missed}.",
    },
    "verdict_item": {
        "en": "{label} {value} (target {target})",
        "de": "{label} {value} (Ziel {target})",
    },
    "and": {"en": "and", "de": "und"},
    "target_at_least": {"en": "at least {value}", "de": "mindestens {value}"},
    "target_at_most": {"en": "at most {value}", "de": "höchstens {value}"},
    "target_met": {"en": "✓ on target", "de": "✓ im Ziel"},
    "target_missed_low": {"en": "✗ below target", "de": "✗ unter Ziel"},
    "target_missed_high": {"en": "✗ above target", "de": "✗ über Ziel"},
    "target": {"en": "target {value}", "de": "Ziel {value}"},
    "what_changed": {
        "en": "What changed: the NPS, {month}",
        "de": "Was sich geändert hat: der NPS, {month}",
    },
    "what_changed_intro": {
        "en": "The NPS changed by {change} points from {previous} ({verdict}). Per dimension, the mix effects (who answered) and score effects (how they answered) of its groups add up to this change; the table shows, per dimension, the group whose own NPS moved it most (its score effect).",
        "de": "Der NPS hat sich gegenüber {previous} um {change} Punkte verändert ({verdict}). Je Dimension ergeben die Mix-Effekte (wer antwortete) und Score-Effekte (wie geantwortet wurde) ihrer Gruppen zusammen diese Änderung; die Tabelle zeigt je Dimension die Gruppe, deren eigener NPS sie am stärksten bewegt hat (ihr Score-Effekt).",
    },
    "responses_before_now": {"en": "Responses (before → now)", "de": "Antworten (vorher → jetzt)"},
    "nps_before_now": {"en": "NPS (before → now)", "de": "NPS (vorher → jetzt)"},
    "group_change": {"en": "Change of the group", "de": "Änderung der Gruppe"},
    "mix_effect": {"en": "Mix effect", "de": "Mix-Effekt"},
    "score_effect": {"en": "Score effect", "de": "Score-Effekt"},
    "contribution": {"en": "Contribution", "de": "Beitrag"},
    "not_measurable": {"en": "not measurable", "de": "nicht messbar"},
}

DEFINITIONS: dict[str, dict[str, str]] = {
    "month": {
        "en": "Month: a calendar month in the reporting time zone. It is complete once the data reaches 23:59:59 of its last day; the report describes the latest complete month.",
        "de": "Monat: ein Kalendermonat in der Berichtszeitzone. Er ist vollständig, sobald die Daten 23:59:59 Uhr seines letzten Tages erreichen; der Bericht beschreibt den letzten vollständigen Monat.",
    },
    "active": {
        "en": "Active customer: a purchase in the last {w} days and not explicitly churned (cancelled in the CRM). A purchase after a churn is a win-back.",
        "de": "Aktiver Kunde: ein Kauf in den letzten {w} Tagen und keine ausdrückliche Kündigung im CRM. Ein Kauf nach einer Abwanderung ist eine Rückgewinnung.",
    },
    "retention": {
        "en": "Retention rate: share of the customers active at the start of the month who are still active at its end.",
        "de": "Kundenbindungsrate: Anteil der zu Monatsbeginn aktiven Kunden, die am Monatsende noch aktiv sind.",
    },
    "bridge": {
        "en": "Customer bridge: active at the start + new + won back − lost = active at the end, in every month.",
        "de": "Kundenbestand: aktiv zu Monatsbeginn + neu + zurückgewonnen − verloren = aktiv am Monatsende, in jedem Monat.",
    },
    "switching": {
        "en": "Switching rate: share of the customers active at the start of the month who churned in it (explicitly or after {w} days without a purchase); to competitors: explicit churns with reason competitor.",
        "de": "Abwanderungsrate: Anteil der zu Monatsbeginn aktiven Kunden, die im Monat abgewandert sind (ausdrücklich oder nach {w} Tagen ohne Kauf); zur Konkurrenz: ausdrückliche Kündigungen mit Grund Wettbewerber.",
    },
    "winback": {
        "en": "Win-back rate: customers who bought again after a churn, as a share of all churned customers at the start of the month.",
        "de": "Rückgewinnungsrate: Kunden, die nach einer Abwanderung wieder gekauft haben, im Verhältnis zu allen abgewanderten Kunden zu Monatsbeginn.",
    },
    "repeat": {
        "en": "Repeat purchase rate: customers with purchases on at least two days, as a share of all customers with a purchase so far.",
        "de": "Wiederkaufrate: Kunden mit Käufen an mindestens zwei Tagen im Verhältnis zu allen Kunden mit einem Kauf.",
    },
    "nps": {
        "en": "NPS: % promoters (9–10) minus % detractors (0–6), latest answer per customer and month; ± is the 95 % margin of error (adjusted Wald, honest for small groups too). Changes smaller than the combined margin are within noise. Fewer than {min_sample} answers: low sample.",
        "de": "NPS: % Promotoren (9–10) minus % Kritiker (0–6), letzte Antwort je Kunde und Monat; ± ist die 95-%-Fehlerspanne (adjustiertes Wald-Intervall, auch für kleine Gruppen ehrlich). Änderungen kleiner als die kombinierte Spanne liegen im Rauschen. Weniger als {min_sample} Antworten: kleine Stichprobe.",
    },
    "csat": {
        "en": "Satisfied: CSAT 4 or 5; delighted: CSAT 5. Satisfaction tiers look at the 180 days after each customer's latest answer.",
        "de": "Zufrieden: CSAT 4 oder 5; begeistert: CSAT 5. Die Zufriedenheitsstufen betrachten die 180 Tage nach der letzten Antwort jedes Kunden.",
    },
    "recommenders": {
        "en": "Active recommenders: share of promoters who referred someone within 90 days of their answer, shown for the latest month whose 90 days have passed.",
        "de": "Aktive Empfehler: Anteil der Promotoren, die innerhalb von 90 Tagen nach ihrer Antwort jemanden geworben haben, für den letzten Monat, dessen 90 Tage vergangen sind.",
    },
    "drivers": {
        "en": "Quality drivers: mean, top box and correlation with the NPS score of each quality item over twelve months, latest answer per customer and month.",
        "de": "Qualitätstreiber: Mittelwert, Bestnotenanteil und Korrelation mit dem NPS-Wert je Qualitätsmerkmal über zwölf Monate, letzte Antwort je Kunde und Monat.",
    },
}


@dataclass(frozen=True)
class Formatter:
    """Numbers, money and dates in the report language's conventions.

    Every number is rounded as SQL's round() does (halves away from zero) before Babel
    formats it, so the report shows what a query of the marts shows.
    """

    lang: str
    currency: str
    timezone: str = "UTC"

    @property
    def locale(self) -> str:
        return LOCALES[self.lang]

    def text(self, key: str, **values: Any) -> str:
        return TEXTS[key][self.lang].format(**values)

    def label(self, kind: str, value: str | None) -> str:
        """A value of the data (segment, channel, touchpoint, source, country) in the language."""
        if value is None or value == "unknown":
            return self.text("unknown")
        if kind == "country":
            return Locale.parse(self.locale).territories.get(value, value)
        key = f"{kind}_{value}"
        return self.text(key) if key in TEXTS else value

    def decimal(self, value: float | Decimal, digits: int) -> str:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(round_half_away(value, digits), format=pattern, locale=self.locale)

    def percent(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return "–"
        return f"{self.decimal(float(value) * 100, digits)}\u00a0%"

    def number(self, value: float | Decimal | None, digits: int = 0) -> str:
        return "–" if value is None else self.decimal(value, digits)

    def signed(self, value: float | None, digits: int = 1) -> str:
        """A score with its sign; a score that rounds to 0 is plainly "0"."""
        if value is None:
            return "–"
        rounded = round_half_away(value, digits)
        if rounded == 0:
            return "0"
        return ("+" if rounded > 0 else "−") + self.decimal(abs(rounded), digits)

    def change(self, value: float | None, digits: int = 1, unit: str = "") -> str:
        """A change with its sign and unit; one that rounds to 0 reads "no change"."""
        if value is None:
            return "–"
        if round_half_away(value, digits) == 0:
            return self.text("no_change")
        return self.signed(value, digits) + (f"\u00a0{unit}" if unit else "")

    def points(self, value: float | None) -> str:
        """A change of a rate, in percentage points."""
        return self.change(None if value is None else value * 100, 1, self.text("points"))

    def relative(self, value: float | Decimal | None, before: float | Decimal | None) -> str:
        """The change from `before` to `value` in percent."""
        if value is None or not before:
            return "–"
        return self.change((float(value) / float(before) - 1) * 100, 1, "%")

    def money(self, value: float | Decimal | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "\u00a0¤¤"
        return format_currency(
            round_half_away(value, digits),
            self.currency,
            format=pattern,
            locale=self.locale,
            currency_digits=False,
        )

    def month(self, value: date) -> str:
        return format_date(value, "MMMM yyyy", locale=self.locale)

    def short_month(self, value: date) -> str:
        return format_date(value, "MMM yy", locale=self.locale)

    def period(self, first: date, last: date) -> str:
        return f"{self.month(first)} – {self.month(last)}"

    def day(self, value: datetime) -> str:
        local = value.astimezone(ZoneInfo(self.timezone))
        return format_date(
            local, "d. MMMM yyyy" if self.lang == "de" else "d MMMM yyyy", locale=self.locale
        )

    def instant(self, value: datetime | None) -> str:
        """A moment in the reporting time zone: "30 June 2026, 23:59", "30. Juni 2026, 23:59 Uhr"."""
        if value is None:
            return "–"
        pattern = "d. MMMM yyyy, HH:mm 'Uhr'" if self.lang == "de" else "d MMMM yyyy, HH:mm"
        return format_datetime(value, pattern, tzinfo=ZoneInfo(self.timezone), locale=self.locale)

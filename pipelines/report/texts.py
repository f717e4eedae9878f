"""The report's words in German and English, and number and date formats for each (Babel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

LOCALES = {"de": "de_DE", "en": "en_GB"}

TEXTS: dict[str, dict[str, str]] = {
    "title": {"en": "Customer loyalty report", "de": "Bericht zur Kundenbindung"},
    "subtitle": {"en": "{month} · data up to {as_of}", "de": "{month} · Daten bis {as_of}"},
    "headline_kpis": {"en": "The month at a glance", "de": "Der Monat auf einen Blick"},
    "vs_previous": {"en": "vs. previous month", "de": "ggü. Vormonat"},
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
    "trends": {"en": "Trends", "de": "Entwicklung"},
    "chart_retention": {
        "en": "Retention and switching per month",
        "de": "Bindung und Abwanderung je Monat",
    },
    "chart_nps": {"en": "NPS with 95 % confidence band", "de": "NPS mit 95-%-Konfidenzband"},
    "chart_csat": {"en": "Satisfied versus delighted", "de": "Zufrieden versus begeistert"},
    "chart_cohorts": {
        "en": "Cohort retention: share of each cohort buying k months later",
        "de": "Kohorten: Anteil jeder Kohorte mit Kauf k Monate später",
    },
    "cohorts": {"en": "Cohort retention", "de": "Kohortenbindung"},
    "months_since_first": {"en": "months since first purchase", "de": "Monate seit Erstkauf"},
    "cohort_month": {"en": "cohort (first purchase)", "de": "Kohorte (Erstkauf)"},
    "share": {"en": "share of customers", "de": "Anteil Kunden"},
    "nps_points": {"en": "NPS points", "de": "NPS-Punkte"},
    "satisfaction": {"en": "Satisfaction is not enough", "de": "Zufriedenheit reicht nicht"},
    "satisfaction_sentence": {
        "en": "{defectors} of the customers who left within 180 days of a survey had called themselves satisfied. Delighted customers stayed {lift} times as often as merely satisfied ones.",
        "de": "{defectors} der Kunden, die innerhalb von 180 Tagen nach einer Umfrage gingen, hatten sich als zufrieden bezeichnet. Begeisterte Kunden blieben {lift}-mal so oft wie bloß zufriedene.",
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
    "drivers": {"en": "What drives recommendation", "de": "Was Weiterempfehlung antreibt"},
    "item": {"en": "Quality item", "de": "Qualitätsmerkmal"},
    "mean": {"en": "Mean (1–5)", "de": "Mittelwert (1–5)"},
    "top_box": {"en": "Top box (5)", "de": "Bestnote (5)"},
    "correlation": {"en": "Correlation with NPS", "de": "Korrelation mit NPS"},
    "strongest": {"en": "strongest driver", "de": "stärkster Treiber"},
    "product_quality": {"en": "Product quality", "de": "Produktqualität"},
    "process_quality": {"en": "Process quality", "de": "Prozessqualität"},
    "personal_service": {"en": "Personal service", "de": "Persönlicher Service"},
    "touchpoints": {"en": "Service touchpoints", "de": "Servicekontakte"},
    "channel": {"en": "Channel", "de": "Kanal"},
    "contacts": {"en": "Contacts", "de": "Kontakte"},
    "fcr": {"en": "First-contact resolution", "de": "Lösung beim Erstkontakt"},
    "handoffs": {"en": "With handoff", "de": "Mit Weiterleitung"},
    "resolution_hours": {"en": "Median resolution (h)", "de": "Median Lösungszeit (h)"},
    "losing": {"en": "Where we are losing customers", "de": "Wo wir Kunden verlieren"},
    "churn_reasons": {
        "en": "Churn reasons, last 12 months",
        "de": "Abwanderungsgründe, letzte 12 Monate",
    },
    "reason": {"en": "Reason", "de": "Grund"},
    "nps_by_group": {"en": "NPS by group", "de": "NPS nach Gruppe"},
    "group": {"en": "Group", "de": "Gruppe"},
    "responses": {"en": "Responses", "de": "Antworten"},
    "data_quality": {"en": "Data quality", "de": "Datenqualität"},
    "files_loaded": {"en": "Files loaded", "de": "Geladene Dateien"},
    "files_quarantined": {"en": "Batches quarantined", "de": "Gesperrte Lieferungen"},
    "rows_loaded": {"en": "Rows loaded", "de": "Geladene Zeilen"},
    "rows_rejected": {"en": "Rows rejected", "de": "Abgewiesene Zeilen"},
    "sources": {"en": "Sources present", "de": "Vorhandene Quellen"},
    "missing": {"en": "missing", "de": "fehlt"},
    "validation_warnings": {"en": "Validation warnings", "de": "Prüfwarnungen"},
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
    "appendix": {"en": "Definitions", "de": "Definitionen"},
    "unknown": {"en": "unknown", "de": "unbekannt"},
    "dim_segment": {"en": "segment", "de": "Segment"},
    "dim_channel": {"en": "channel", "de": "Kanal"},
    "dim_country": {"en": "country", "de": "Land"},
    "reason_lapse": {"en": "stopped buying (lapsed)", "de": "kauft nicht mehr (inaktiv)"},
    "reason_unknown": {"en": "cancelled, reason unknown", "de": "gekündigt, Grund unbekannt"},
    "reason_competitor": {"en": "switched to a competitor", "de": "zur Konkurrenz gewechselt"},
    "reason_price": {"en": "price", "de": "Preis"},
    "reason_service": {"en": "service", "de": "Service"},
    "reason_product": {"en": "product", "de": "Produkt"},
    "reason_moved": {"en": "moved away", "de": "umgezogen"},
    "reason_other": {"en": "other", "de": "Sonstiges"},
    "window_open": {"en": "window still open", "de": "Zeitfenster noch offen"},
}

DEFINITIONS: dict[str, dict[str, str]] = {
    "active": {
        "en": "Active customer: a purchase in the last {w} days and not explicitly churned (cancelled in the CRM). A purchase after a churn is a win-back.",
        "de": "Aktiver Kunde: ein Kauf in den letzten {w} Tagen und keine ausdrückliche Kündigung im CRM. Ein Kauf nach einer Abwanderung ist eine Rückgewinnung.",
    },
    "retention": {
        "en": "Retention rate: share of the customers active at the start of the month who are still active at its end.",
        "de": "Kundenbindungsrate: Anteil der zu Monatsbeginn aktiven Kunden, die am Monatsende noch aktiv sind.",
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
        "en": "NPS: % promoters (9–10) minus % detractors (0–6), latest answer per customer and month; ± is the 95 % margin of error. Changes smaller than the combined margin are within noise. Fewer than {min_sample} answers: low sample.",
        "de": "NPS: % Promotoren (9–10) minus % Kritiker (0–6), letzte Antwort je Kunde und Monat; ± ist die 95-%-Fehlerspanne. Änderungen kleiner als die kombinierte Spanne liegen im Rauschen. Weniger als {min_sample} Antworten: kleine Stichprobe.",
    },
    "csat": {
        "en": "Satisfied: CSAT 4 or 5; delighted: CSAT 5. Satisfaction tiers look at the 180 days after each customer's latest answer.",
        "de": "Zufrieden: CSAT 4 oder 5; begeistert: CSAT 5. Die Zufriedenheitsstufen betrachten die 180 Tage nach der letzten Antwort jedes Kunden.",
    },
    "recommenders": {
        "en": "Active recommenders: share of promoters who referred someone within 90 days of their answer.",
        "de": "Aktive Empfehler: Anteil der Promotoren, die innerhalb von 90 Tagen nach ihrer Antwort jemanden geworben haben.",
    },
}


@dataclass(frozen=True)
class Formatter:
    """Numbers, money and dates in the report language's conventions."""

    lang: str
    currency: str

    @property
    def locale(self) -> str:
        return LOCALES[self.lang]

    def text(self, key: str, **values: Any) -> str:
        return TEXTS[key][self.lang].format(**values)

    def percent(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return "–"
        number = format_decimal(value * 100, format=f"#,##0.{'0' * digits}", locale=self.locale)
        return f"{number}\u00a0%"

    def points(self, value: float | None) -> str:
        """A change of a rate, in percentage points with its sign."""
        if value is None:
            return "–"
        number = format_decimal(abs(value) * 100, format="#,##0.0", locale=self.locale)
        sign = "+" if value > 0 else "−" if value < 0 else "±"
        return f"{sign}{number}\u00a0{self.text('points')}"

    def number(self, value: float | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def signed(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return "–"
        text = self.number(abs(value), digits)
        return ("+" if value > 0 else "−" if value < 0 else "±") + text

    def money(self, value: float | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "\u00a0¤¤"
        return format_currency(
            value, self.currency, format=pattern, locale=self.locale, currency_digits=False
        )

    def month(self, value: date) -> str:
        return format_date(value, "MMMM yyyy", locale=self.locale)

    def short_month(self, value: date) -> str:
        return format_date(value, "MMM yy", locale=self.locale)

    def instant(self, value: Any) -> str:
        pattern = "d. MMMM yyyy, HH:mm" if self.lang == "de" else "d MMMM yyyy, HH:mm"
        return format_datetime(value, pattern, locale=self.locale) if value else "–"

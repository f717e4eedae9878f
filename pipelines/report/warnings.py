"""Validation warnings as sentences of the report's language, from their counts, not their English."""

from __future__ import annotations

from pipelines.report.data import Row
from pipelines.report.texts import Formatter

# Keyed by expectation, or "expectation:column" where the column changes the meaning.
WARNINGS: dict[str, dict[str, str]] = {
    "expect_batch_volume_near_recent_median": {
        "en": "{rows} rows, far from the usual size of an export of this kind",
        "de": "{rows} Zeilen, weit weg von der üblichen Größe solcher Lieferungen",
    },
    "expect_customer_ids_known_to_crm": {
        "en": "{unexpected} of {rows} rows name a customer the CRM does not know",
        "de": "{unexpected} von {rows} Zeilen nennen einen Kunden, den das CRM nicht kennt",
    },
    "expect_no_survey_gaming": {
        "en": "{unexpected} group(s) with an implausible share of 10s (staff asking for top scores?)",
        "de": "{unexpected} Gruppe(n) mit unplausibel vielen 10ern (bitten Mitarbeiter um Bestnoten?)",
    },
    "redelivered": {
        "en": "{unexpected} {column} value(s) delivered again with other values (the latest export wins)",
        "de": "{unexpected} {column}-Wert(e) erneut mit anderen Werten geliefert (die neueste Lieferung gilt)",
    },
    "expect_column_values_to_match_regex": {
        "en": "{unexpected} of {rows} values of {column} have an unexpected format",
        "de": "{unexpected} von {rows} Werten in {column} haben ein unerwartetes Format",
    },
    "expect_column_values_to_be_between:_resolution_hours": {
        "en": "{unexpected} of {rows} contacts resolved before they occurred",
        "de": "{unexpected} von {rows} Kontakten vor ihrem Eingang gelöst",
    },
    "other": {
        "en": "check {expectation} failed for {unexpected} of {rows} rows",
        "de": "Prüfung {expectation} für {unexpected} von {rows} Zeilen nicht bestanden",
    },
}
# Their examples are sentences of their own, in English.
WITHOUT_EXAMPLES = {"expect_batch_volume_near_recent_median", "expect_no_survey_gaming"}


def warning_key(row: Row) -> str:
    expectation = row["expectation"]
    if f"{expectation}:{row['column']}" in WARNINGS:
        return f"{expectation}:{row['column']}"
    if expectation.endswith("_not_redelivered_with_other_values"):
        return "redelivered"
    return expectation if expectation in WARNINGS else "other"


def warning_text(row: Row, fmt: Formatter) -> str:
    """ "orders_2026-05.csv: 12 of 300 rows name a customer the CRM does not know (C1, C2)"."""
    sentence = WARNINGS[warning_key(row)][fmt.lang].format(
        rows=fmt.number(row["element_count"]),
        unexpected=fmt.number(row["unexpected_count"]),
        column=row["column"] or "",
        expectation=row["expectation"],
    )
    examples = row["examples"] if row["expectation"] not in WITHOUT_EXAMPLES else None
    return f"{row['file_name']}: {sentence}" + (f" ({examples})" if examples else "")

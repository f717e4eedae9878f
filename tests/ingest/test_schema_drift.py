"""Schema drift: added columns kept in raw, missing or re-typed columns quarantined, per policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.config import Settings
from pipelines.errors import LoyaltyError
from tests.conftest import fetch, run, with_sources

FOLDER = "survey/responses"


def write(settings: Settings, name: str, text: str) -> None:
    folder = settings.landing / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def drift_rows(settings: Settings) -> list[tuple]:
    return fetch(
        settings,
        'select file_name, "column", change, action from audit.schema_drift '
        'join audit.files using (file_id) order by file_name, "column"',
    )


def test_an_added_column_is_kept_in_raw_and_ignored_downstream(settings: Settings) -> None:
    write(
        settings,
        "responses.csv",
        "response_id,responded_at,customer_id,nps_score,loyalty_tier\n"
        "R1,2025-03-01,C1,9,gold\nR2,2025-03-02,C2,4,\n",
    )
    result = run(settings)
    assert result.ingest is not None
    (file,) = result.ingest.files
    assert (file.status, file.rows_loaded) == ("loaded", 2)
    assert "unknown column(s) loyalty_tier kept in raw._extra" in file.notes
    extras = fetch(settings, "select response_id, _extra from raw.responses order by 1")
    assert [(r, json.loads(e)) for r, e in extras] == [
        ("R1", {"loyalty_tier": "gold"}),
        ("R2", {"loyalty_tier": None}),
    ]
    assert drift_rows(settings) == [("responses.csv", "loyalty_tier", "added", "kept_in_raw")]
    columns = fetch(
        settings,
        "select table_schema, column_name from information_schema.columns "
        "where column_name in ('_extra', 'loyalty_tier') and table_schema <> 'raw'",
    )
    assert columns == []
    assert fetch(settings, "select count(*) from staging.stg_responses") == [(2,)]


def test_a_missing_required_column_quarantines_the_file(settings: Settings) -> None:
    write(settings, "responses.csv", "response_id,customer_id,nps_score\nR1,C1,9\n")
    result = run(settings, "ingest")
    assert result.ingest is not None
    (file,) = result.ingest.files
    assert file.status == "quarantined"
    assert "missing required column(s) responded_at" in (file.reason or "")
    assert drift_rows(settings) == [
        ("responses.csv", "responded_at", "missing_required", "quarantined")
    ]
    assert fetch(settings, "select count(*) from raw.responses") == [(0,)]


SCORES_AS_WORDS = "response_id,responded_at,nps_score\n" + "".join(
    f"R{i},2025-03-01,{word}\n"
    for i, word in enumerate(
        ["promoter", "passive", "detractor", "promoter", "promoter", "passive"]
    )
)


def test_a_column_that_changed_type_quarantines_the_file(settings: Settings) -> None:
    write(settings, "responses.csv", SCORES_AS_WORDS)
    result = run(settings, "ingest")
    assert result.ingest is not None
    (file,) = result.ingest.files
    assert file.status == "quarantined"
    assert "column 'nps_score' type changed: 6 of 6 values cannot be read" in (file.reason or "")
    assert drift_rows(settings) == [("responses.csv", "nps_score", "type_changed", "quarantined")]
    assert fetch(settings, "select count(*) from audit.rejects") == [(0,)]


def test_a_few_bad_values_are_rejected_rows_not_a_type_change(settings: Settings) -> None:
    rows = "".join(f"R{i},2025-03-01,{i % 11}\n" for i in range(20))
    write(
        settings,
        "responses.csv",
        "response_id,responded_at,nps_score\n" + rows + "R99,2025-03-01,ten\n",
    )
    result = run(settings, "ingest")
    assert result.ingest is not None
    (file,) = result.ingest.files
    assert (file.status, file.rows_loaded, file.rows_rejected) == ("loaded", 20, 1)
    assert drift_rows(settings) == []


def test_the_policy_is_configurable_per_entity(settings: Settings, tmp_path: Path) -> None:
    strict = with_sources(
        settings,
        tmp_path / "sources",
        "schema_drift:\n  responses:\n    unknown_column: quarantine\n    type_change: reject_rows\n",
    )
    write(strict, "added.csv", "response_id,responded_at,mood\nR1,2025-03-01,happy\n")
    write(strict, "words.csv", SCORES_AS_WORDS.replace("R", "W"))
    result = run(strict, "ingest")
    assert result.ingest is not None
    outcome = {f.path.name: (f.status, f.rows_loaded, f.rows_rejected) for f in result.ingest.files}
    assert outcome == {"added.csv": ("quarantined", 0, 0), "words.csv": ("loaded", 0, 6)}
    assert drift_rows(strict) == [
        ("added.csv", "mood", "added", "quarantined"),
        ("words.csv", "nps_score", "type_changed", "rows_rejected"),
    ]


def test_a_policy_with_a_typo_is_refused_with_the_allowed_values(
    settings: Settings, tmp_path: Path
) -> None:
    broken = with_sources(
        settings, tmp_path / "sources", "schema_drift:\n  default:\n    unknown_column: ignore\n"
    )
    write(broken, "r.csv", "response_id,responded_at\nR1,2025-03-01\n")
    with pytest.raises(LoyaltyError, match="unknown_column must be one of keep, quarantine"):
        run(broken, "ingest")

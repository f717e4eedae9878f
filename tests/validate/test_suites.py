"""The suites hold only what the ingest cannot check; every rule lives in one place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipelines.config import EXPECTATIONS_DIR, SQL_DIR
from pipelines.errors import LoyaltyError
from pipelines.ingest.entities import ENTITIES, Entity, Field
from pipelines.validate.suites import ExpectationSpec, load_suite


def ingest_rule(entity: Entity, spec: ExpectationSpec) -> str | None:
    """The registry rule the ingest already enforces that the expectation repeats, if any."""
    fields: dict[str, Field] = {f.name: f for f in entity.fields}
    field = fields.get(spec.column or "")
    if spec.type in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
        return "duplicate keys inside a file are rejected"
    if field is None:
        return None
    if spec.type == "expect_column_values_to_not_be_null" and field.required:
        return "required"
    if spec.type == "expect_column_values_to_be_in_set" and field.choices:
        return "choices"
    if spec.type == "expect_column_values_to_match_regex" and field.code_length:
        return "code_length"
    if spec.type == "expect_column_values_to_be_between" and field.kind == "int":
        return "low/high"
    return None


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_no_suite_repeats_a_rule_the_ingest_enforces(entity: str) -> None:
    specs = load_suite(entity, datetime.now(UTC), "EUR")
    repeated = [(s.id, ingest_rule(ENTITIES[entity], s)) for s in specs]
    assert [item for item in repeated if item[1]] == []


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_every_suite_check_of_our_own_has_its_sql(entity: str) -> None:
    specs = load_suite(entity, datetime.now(UTC), "EUR")
    assert any(s.sql == "volume" for s in specs), "every entity watches its batch volume"
    for spec in specs:
        if spec.sql:
            assert (SQL_DIR / "validation" / f"{spec.sql}.sql").is_file(), spec.id


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ('{"severity": "critical"}', "meta.id"),
        ('{"id": "a", "severity": "fatal"}', "severity critical or warning"),
    ],
)
def test_a_suite_without_id_or_severity_is_refused(tmp_path, meta: str, message: str) -> None:
    (tmp_path / "toys.json").write_text(
        '{"expectations": [{"type": "expect_column_values_to_not_be_null", '
        f'"kwargs": {{"column": "x"}}, "meta": {meta}}}]}}'
    )
    with pytest.raises(LoyaltyError, match=message):
        load_suite("toys", datetime.now(UTC), "EUR", tmp_path)


def test_two_expectations_with_one_id_are_refused(tmp_path) -> None:
    item = '{"type": "t", "kwargs": {}, "meta": {"id": "same", "severity": "warning"}}'
    (tmp_path / "toys.json").write_text(f'{{"expectations": [{item}, {item}]}}')
    with pytest.raises(LoyaltyError, match=r"share a meta\.id"):
        load_suite("toys", datetime.now(UTC), "EUR", tmp_path)


def test_every_entity_has_a_suite() -> None:
    assert {p.stem for p in EXPECTATIONS_DIR.glob("*.json")} == set(ENTITIES)

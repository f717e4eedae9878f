"""The row contract as SQL: the file's records (text) -> `_typed` (typed values, or a reject reason).

Column names here are the contract's own (checked by plain_name); every text that comes
from a mapping or a setting (value maps, defaults, formats, the currency) is a literal.

Values are typed here, not by read_csv's column types: DuckDB 1.4.4's reader turns a
TIMESTAMPTZ it cannot parse into NULL without a reject (duckdb/duckdb#11832) and reads
'1.5', '1e3' or '0x10' as integers, which the contract rejects.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.ingest.entities import SQL_TYPES, Entity, Field
from pipelines.ingest.mappings import Mapping
from pipelines.ingest.readers import Batch
from pipelines.quoting import literal, plain_name

SEPARATOR = "\x1f"
# What a value is trimmed of, and the LIKE patterns of the values that have any of it to trim.
TRIMMED = " \t\r\n"
NEEDS_TRIM = (" %", "% ", "%\t%", "%\r%", "%\n%")


@dataclass(frozen=True)
class RowRules:
    """Everything the row checks depend on besides the entity."""

    mapping: Mapping
    positions: dict[str, int]
    currency: str
    extra_sql: str = "null::json"


def trimmed_sql(column_sql: str) -> str:
    """The text without surrounding spaces, tabs and line breaks; '' as NULL.

    Trimming a set of characters is slow, and most values need none: only a value that
    starts or ends with a space, or holds a tab or line break anywhere, is trimmed (a
    cheap LIKE decides), which halves the cost of typing a file.
    """
    needs_trim_sql = " or ".join(f"{column_sql} like {literal(p)}" for p in NEEDS_TRIM)
    return (
        f"case when {needs_trim_sql} then nullif(trim({column_sql}, {literal(TRIMMED)}), '') "
        f"else nullif({column_sql}, '') end"
    )


def text_sql(field: Field, rules: RowRules) -> str:
    """The trimmed text of a field after the mapping's value map and the default."""
    index = rules.positions.get(field.name)
    if index is None:
        return literal(field.default) if field.default else "null::varchar"
    value_sql = trimmed_sql(f"c{index:d}")
    value_map = rules.mapping.values.get(field.name)
    if value_map:
        cases_sql = " ".join(
            f"when {literal(k)} then {literal(v)}" for k, v in sorted(value_map.items())
        )
        value_sql = f"coalesce(case lower({value_sql}) {cases_sql} end, {value_sql})"
    if field.default:
        value_sql = f"coalesce({value_sql}, {literal(field.default)})"
    return value_sql


def parsed_sql(field: Field, value_sql: str, rules: RowRules) -> str:
    """The typed value of a text, NULL where it cannot be read."""
    mapping = rules.mapping
    if field.kind == "timestamp":
        if mapping.timestamp_format:
            return f"try_strptime({value_sql}, {literal(mapping.timestamp_format)})::timestamptz"
        return f"try_cast({value_sql} as timestamptz)"
    if field.kind == "amount":
        if mapping.decimal_comma:
            value_sql = f"replace(replace({value_sql}, '.', ''), ',', '.')"
        return f"try_cast({value_sql} as decimal(18, 2))"
    if field.kind == "int":
        return f"case when regexp_full_match({value_sql}, '[+-]?[0-9]+') then try_cast({value_sql} as integer) end"
    if field.kind == "enum":
        return f"lower({value_sql})"
    if field.kind == "code":
        return f"upper({value_sql})"
    return value_sql


def quoted_value_sql(value_sql: str) -> str:
    """The value as it reads in a reason: in quotes, cut at 60 characters."""
    return f"'''' || left({value_sql}, 60) || ''''"


def unreadable_text(field: Field, rules: RowRules) -> str | None:
    """How a reason ends when the field's text cannot be read as its kind."""
    if field.kind == "timestamp":
        expected = (
            f"expected the format {rules.mapping.timestamp_format} that the mapping names"
            if rules.mapping.timestamp_format
            else "expected ISO 8601, e.g. 2025-06-30T14:05:00+02:00"
        )
        return f" as a timestamp ({expected})"
    if field.kind == "amount":
        return " as an amount" + (
            " (decimal comma expected)" if rules.mapping.decimal_comma else " (e.g. 19.99)"
        )
    if field.kind == "int":
        return " as a whole number"
    return None


def failure_sql(field: Field, value_sql: str, parsed_value_sql: str, rules: RowRules) -> str:
    """SQL yielding 'column<SEP>reason' for the first rule the value breaks, else NULL."""
    checks_sql: list[tuple[str, str]] = []
    shown_sql = quoted_value_sql(value_sql)
    if field.required:
        checks_sql.append((f"{value_sql} is null", "'missing required value'"))
    unreadable = unreadable_text(field, rules)
    if unreadable:
        checks_sql.append(
            (
                f"{parsed_value_sql} is null",
                f"'cannot read ' || {shown_sql} || {literal(unreadable)}",
            )
        )
    if field.low is not None or field.high is not None:
        bounds_sql = []
        if field.low is not None:
            bounds_sql.append(f"{parsed_value_sql} < {field.low:d}")
        if field.high is not None:
            bounds_sql.append(f"{parsed_value_sql} > {field.high:d}")
        low = field.low if field.low is not None else "-inf"
        high = field.high if field.high is not None else "inf"
        checks_sql.append(
            (
                " or ".join(bounds_sql),
                f"{shown_sql} || {literal(f' is outside the allowed range {low} to {high}')}",
            )
        )
    if field.choices:
        allowed_sql = ", ".join(literal(c) for c in field.choices)
        checks_sql.append(
            (
                f"{parsed_value_sql} not in ({allowed_sql})",
                f"'unknown value ' || {shown_sql} || "
                f"{literal('; expected one of ' + ', '.join(field.choices))}",
            )
        )
    if field.kind == "code" and field.code_length:
        checks_sql.append(
            (
                f"not regexp_full_match({parsed_value_sql}, {literal(f'[A-Z]{{{field.code_length}}}')})",
                f"{shown_sql} || {literal(f' is not a {field.code_length}-letter code')}",
            )
        )
    if field.name == "currency":
        checks_sql.append(
            (
                f"{parsed_value_sql} <> {literal(rules.currency)}",
                f"'amount is in ' || {shown_sql} || "
                + literal(
                    f" but the reporting currency is {rules.currency}; convert it in the export "
                    "or configure an exchange-rate table"
                ),
            )
        )
    if not checks_sql:
        return "null"
    guard_sql = "" if field.required else f"when {value_sql} is null then null "
    whens_sql = " ".join(
        f"when {condition_sql} then {literal(field.name + SEPARATOR)} || {reason_sql}"
        for condition_sql, reason_sql in checks_sql
    )
    return f"case {guard_sql}{whens_sql} end"


def typed_batch_sql(entity: Entity, rules: RowRules, batch: Batch) -> str:
    """SQL creating `_typed` from the file's records: typed columns, `_reject`, duplicates.

    The raw line is kept for rejected records only, and duplicate keys are found with one
    aggregate over the file (no window over every row), which keeps large files fast.
    """
    mapped_sql = ", ".join(f"{text_sql(f, rules)} as t_{plain_name(f.name)}" for f in entity.fields)
    typed_sql = ", ".join(
        f"{parsed_sql(f, 't_' + plain_name(f.name), rules)}::{SQL_TYPES[f.kind]} as p_{plain_name(f.name)}"
        for f in entity.fields
    )
    failures_sql = ", ".join(
        failure_sql(f, "t_" + plain_name(f.name), "p_" + plain_name(f.name), rules)
        for f in entity.fields
    )
    key = plain_name(entity.key)
    columns_sql = ", ".join(f"checked.p_{plain_name(c)} as {plain_name(c)}" for c in entity.columns)
    first_sql = ", ".join(f"p_{plain_name(c)} as {plain_name(c)}" for c in entity.duplicate_key)
    join_sql = " and ".join(
        f"duplicates.{plain_name(c)} = checked.p_{plain_name(c)}" for c in entity.duplicate_key
    )
    duplicate_sql = (
        f"{literal(key + SEPARATOR + 'duplicate ' + key + ' ')} || "
        f"{quoted_value_sql('checked.p_' + key)} || ' in this file (first at record ' "
        "|| duplicates._first || ')'"
    )
    return f"""
        create or replace temp table _typed as
        with batch as (
            {batch.source_sql}
        ),
        mapped as (
            select *, {mapped_sql} from batch
        ),
        parsed as (
            select *, {typed_sql} from mapped
        ),
        checked as (
            select *, coalesce({literal(SEPARATOR)} || _format_error, {failures_sql}) as _reject
            from parsed
        ),
        duplicates as (
            select {first_sql}, min(_record) as _first
            from checked
            where _reject is null
            group by all
            having count(*) > 1
        )
        select checked._record, checked._line, {columns_sql}, {rules.extra_sql} as _extra,
               coalesce(
                   checked._reject,
                   case when checked._record > duplicates._first then {duplicate_sql} end
               ) as _reject,
               case when checked._reject is not null or checked._record > duplicates._first
                   then {batch.raw_line_sql} end as _raw_line
        from checked
        left join duplicates on {join_sql}
    """

"""The row contract as SQL: `_batch` (text) -> `_typed` (typed values, or a reject reason)."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.ingest.entities import Entity, Field
from pipelines.ingest.mappings import Mapping
from pipelines.ingest.readers import Batch, sql_literal

SEPARATOR = "\x1f"


@dataclass(frozen=True)
class RowRules:
    """Everything the row checks depend on besides the entity."""

    mapping: Mapping
    positions: dict[str, int]
    currency: str
    extra: str = "null::json"


def text_expr(field: Field, rules: RowRules) -> str:
    """The trimmed text of a field after the mapping's value map and the default."""
    index = rules.positions.get(field.name)
    if index is None:
        return sql_literal(field.default) if field.default else "null::varchar"
    value = f"nullif(trim(c{index}, ' \t\r\n'), '')"
    value_map = rules.mapping.values.get(field.name)
    if value_map:
        cases = " ".join(
            f"when {sql_literal(k)} then {sql_literal(v)}" for k, v in sorted(value_map.items())
        )
        value = f"coalesce(case lower({value}) {cases} end, {value})"
    if field.default:
        value = f"coalesce({value}, {sql_literal(field.default)})"
    return value


def parsed_expr(field: Field, v: str, rules: RowRules) -> str:
    """The typed value of text `v`, NULL where it cannot be read."""
    mapping = rules.mapping
    if field.kind == "timestamp":
        if mapping.timestamp_format:
            return f"try_strptime({v}, {sql_literal(mapping.timestamp_format)})::timestamptz"
        return f"try_cast({v} as timestamptz)"
    if field.kind == "amount":
        if mapping.decimal_comma:
            v = f"replace(replace({v}, '.', ''), ',', '.')"
        return f"try_cast({v} as decimal(18, 2))"
    if field.kind == "int":
        return f"case when regexp_full_match({v}, '[+-]?[0-9]+') then try_cast({v} as integer) end"
    if field.kind == "enum":
        return f"lower({v})"
    if field.kind == "code":
        return f"upper({v})"
    return v


def quoted(v: str) -> str:
    return f"'''' || left({v}, 60) || ''''"


def failure_expr(field: Field, v: str, parsed: str, rules: RowRules) -> str:
    """SQL yielding 'column<SEP>reason' for the first rule the value breaks, else NULL."""
    checks: list[tuple[str, str]] = []
    if field.required:
        checks.append((f"{v} is null", "'missing required value'"))
    unreadable = {
        "timestamp": "as a timestamp ("
        + (
            f"expected the format {rules.mapping.timestamp_format} that the mapping names"
            if rules.mapping.timestamp_format
            else "expected ISO 8601, e.g. 2025-06-30T14:05:00+02:00"
        )
        + ")",
        "amount": "as an amount"
        + (" (decimal comma expected)" if rules.mapping.decimal_comma else " (e.g. 19.99)"),
        "int": "as a whole number",
    }.get(field.kind)
    if unreadable:
        checks.append((f"{parsed} is null", f"'cannot read ' || {quoted(v)} || ' {unreadable}'"))
    if field.low is not None or field.high is not None:
        low = field.low if field.low is not None else "-inf"
        high = field.high if field.high is not None else "inf"
        bounds = []
        if field.low is not None:
            bounds.append(f"{parsed} < {field.low}")
        if field.high is not None:
            bounds.append(f"{parsed} > {field.high}")
        checks.append(
            (" or ".join(bounds), f"{quoted(v)} || ' is outside the allowed range {low} to {high}'")
        )
    if field.choices:
        allowed = ", ".join(sql_literal(c) for c in field.choices)
        checks.append(
            (
                f"{parsed} not in ({allowed})",
                f"'unknown value ' || {quoted(v)} || '; expected one of {', '.join(field.choices)}'",
            )
        )
    if field.kind == "code" and field.code_length:
        checks.append(
            (
                f"not regexp_full_match({parsed}, '[A-Z]{{{field.code_length}}}')",
                f"{quoted(v)} || ' is not a {field.code_length}-letter code'",
            )
        )
    if field.name == "currency":
        checks.append(
            (
                f"{parsed} <> {sql_literal(rules.currency)}",
                f"'amount is in ' || {quoted(v)} || ' but the reporting currency is "
                f"{rules.currency}; convert it in the export or configure an exchange-rate table'",
            )
        )
    if not checks:
        return "null"
    optional_guard = "" if field.required else f"when {v} is null then null "
    whens = " ".join(
        f"when {cond} then '{field.name}{SEPARATOR}' || {reason}" for cond, reason in checks
    )
    return f"case {optional_guard}{whens} end"


def typed_batch_sql(entity: Entity, rules: RowRules, batch: Batch) -> str:
    """SQL creating `_typed` from the file's records: typed columns, `_reject`, duplicates.

    The raw line is kept for rejected records only, and duplicate keys are found with one
    aggregate over the file (no window over every row), which keeps large files fast.
    """
    texts = {f.name: text_expr(f, rules) for f in entity.fields}
    mapped = ", ".join(f"{texts[f.name]} as t_{f.name}" for f in entity.fields)
    parsed = ", ".join(
        f"{parsed_expr(f, 't_' + f.name, rules)}::{f.sql_type} as p_{f.name}" for f in entity.fields
    )
    failures = ", ".join(
        failure_expr(f, "t_" + f.name, "p_" + f.name, rules) for f in entity.fields
    )
    key = entity.key
    columns = ", ".join(f"checked.p_{c} as {c}" for c in entity.columns)
    return f"""
        create or replace temp table _typed as
        with batch as (
            {batch.source_sql}
        ),
        mapped as (
            select *, {mapped} from batch
        ),
        parsed as (
            select *, {parsed} from mapped
        ),
        checked as (
            select *, coalesce({sql_literal(SEPARATOR)} || _format_error, {failures}) as _reject
            from parsed
        ),
        duplicates as (
            select {", ".join(f"p_{c} as {c}" for c in entity.duplicate_key)}, min(_record) as _first
            from checked
            where _reject is null
            group by all
            having count(*) > 1
        )
        select checked._record, {columns}, {rules.extra} as _extra,
               coalesce(
                   checked._reject,
                   case when checked._record > duplicates._first then '{key}{SEPARATOR}duplicate {key} '
                       || {quoted("checked.p_" + key)} || ' in this file (first at record ' || duplicates._first || ')' end
               ) as _reject,
               case when checked._reject is not null or checked._record > duplicates._first
                   then {batch.raw_line} end as _raw_line
        from checked
        left join duplicates on {" and ".join(f"duplicates.{c} = checked.p_{c}" for c in entity.duplicate_key)}
    """

"""The SQL model runner: sql/<layer>/<table>.sql -> <layer>.<table>, in dependency order."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from graphlib import TopologicalSorter
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import yaml

from pipelines.alerts.targets import set_alert_parameters
from pipelines.config import SQL_DIR, Settings
from pipelines.errors import LoyaltyError, ModelError
from pipelines.incremental import (
    BuildPlan,
    fingerprint,
    forget_state,
    plan_build,
    prepare_scope,
    record_state,
)
from pipelines.ingest.entities import ENTITIES
from pipelines.local_time import define_to_local
from pipelines.purchase_model import PYTHON_MODELS
from pipelines.quoting import ident, literal, plain_name, qualified
from pipelines.registry_sql import STAGING_TEMPLATE, default_as_of_sql, staging_sql

LAYERS = ("staging", "core", "marts")
REFERENCE = re.compile(r"\b(staging|core|marts)\.([a-z_][a-z0-9_]*)\b")
HEADER = re.compile(r"\A\s*/\*(.*?)\*/", re.DOTALL)
NO_DATA_AS_OF = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Model:
    """One SQL file: the table it builds, its documentation and what it reads."""

    name: str
    path: Path
    sql: str
    description: str
    columns: dict[str, str]
    depends_on: frozenset[str]
    text: str
    incremental: tuple[tuple[str, str], ...] = ()
    python: str | None = None

    @property
    def table_sql(self) -> str:
        """The table the model builds, as a quoted schema.table."""
        return qualified(*self.name.split("."))


@dataclass
class BuildResult:
    built: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    plan: BuildPlan | None = None
    # Tables updated in place (not rebuilt): the condition of the rows that were replaced.
    updated: dict[str, str] = field(default_factory=dict)


def parse_model(path: Path, generated: tuple[str, str] | None = None) -> Model:
    """Read a model file: a YAML header comment (description, columns), then one SELECT.

    A generated model (staging) comes as (its name, its text), `path` being its template.
    """
    name, text = generated or (f"{path.parent.name}.{path.stem}", path.read_text(encoding="utf-8"))
    header = HEADER.match(text)
    if header is None:
        raise LoyaltyError(f"{path} must start with a /* ... */ header holding its description")
    doc = yaml.safe_load(header.group(1)) or {}
    body = text[header.end() :].strip().rstrip(";")
    refs = {f"{schema}.{table}" for schema, table in REFERENCE.findall(body)} - {name}
    incremental = doc.get("incremental") or []
    return Model(
        name=name,
        path=path,
        sql=body,
        description=" ".join(str(doc.get("description", "")).split()),
        columns={str(k): " ".join(str(v).split()) for k, v in (doc.get("columns") or {}).items()},
        depends_on=frozenset(refs),
        text=text,
        incremental=tuple(
            (item["scope"], item["key"])
            for item in (incremental if isinstance(incremental, list) else [incremental])
        ),
        python=python_model(path, doc.get("python")),
    )


def python_model(path: Path, name: object) -> str | None:
    """The header's `python:` entry: the function that turns the SELECT's rows into the table."""
    if name is None:
        return None
    if name not in PYTHON_MODELS:
        raise LoyaltyError(f"{path}: python: {name} is none of {', '.join(sorted(PYTHON_MODELS))}")
    return str(name)


def discover_models(sql_dir: Path = SQL_DIR) -> dict[str, Model]:
    models = {}
    for layer in LAYERS:
        for path in sorted((sql_dir / layer).glob("*.sql")):
            model = parse_model(path)
            models[model.name] = model
    for entity in ENTITIES.values():
        name = f"staging.stg_{entity.name}"
        if name not in models:
            models[name] = parse_model(STAGING_TEMPLATE, (name, staging_sql(entity)))
    for model in models.values():
        unknown = model.depends_on - models.keys()
        if unknown:
            raise LoyaltyError(
                f"{model.path} reads {', '.join(sorted(unknown))}, which no model builds"
            )
    return models


def build_order(models: dict[str, Model]) -> list[str]:
    """Models in an order where every model comes after what it reads."""
    sorter = TopologicalSorter({name: sorted(m.depends_on) for name, m in sorted(models.items())})
    return list(sorter.static_order())


@dataclass(frozen=True)
class DataRange:
    """When the validated data begins, its default as_of and the latest as_of it allows."""

    first_data_at: datetime
    default_as_of: datetime
    latest_as_of: datetime


def data_range(con: duckdb.DuckDBPyConnection) -> DataRange | None:
    """The range of the validated files' timestamps; None before any validated data."""
    row = con.execute(default_as_of_sql()).fetchone()
    return DataRange(*row) if row and row[0] is not None else None


def resolve_as_of(settings: Settings, data: DataRange | None) -> datetime:
    """The default as_of, or the explicit one if it lies between the first data and a year after the last."""
    if data is None:
        return settings.as_of or NO_DATA_AS_OF
    if settings.as_of is None:
        return data.default_as_of
    if not data.first_data_at <= settings.as_of <= data.latest_as_of:
        zone = ZoneInfo(settings.timezone)

        def shown(moment: datetime) -> str:
            return f"{moment.astimezone(zone):%Y-%m-%d %H:%M:%S} {settings.timezone}"

        raise LoyaltyError(
            f"as_of {shown(settings.as_of)} lies outside the data: the allowed range is "
            f"{shown(data.first_data_at)} (the first data) to {shown(data.latest_as_of)} "
            f"(a year after the last day with data); leave --as-of / LOYALTY_AS_OF unset for "
            f"the default {shown(data.default_as_of)}"
        )
    return settings.as_of


def set_parameters(con: duckdb.DuckDBPyConnection, settings: Settings) -> datetime:
    """Make the metric parameters visible to every model as DuckDB variables, and define
    to_local() for the reporting time zone over the data's range."""
    con.execute("set TimeZone = ?", [settings.timezone])
    data = data_range(con)
    as_of = resolve_as_of(settings, data)
    define_to_local(
        con,
        min(data.first_data_at, as_of) if data else as_of,
        max(data.latest_as_of, as_of) if data else as_of,
    )
    con.execute("set variable as_of = ?::timestamptz", [as_of])
    con.execute("set variable inactivity_days = ?::integer", [settings.inactivity_days])
    con.execute("set variable outcome_days = ?::integer", [settings.outcome_days])
    con.execute("set variable min_sample = ?::integer", [settings.min_sample])
    con.execute("set variable risk_high = ?::double", [settings.risk_high])
    con.execute("set variable risk_medium = ?::double", [settings.risk_medium])
    con.execute("set variable currency = ?", [settings.currency])
    set_alert_parameters(con, settings.targets_file)
    return as_of


def build_model(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Replace one table in one transaction, with its comments; on error the old table stays."""
    rows = (
        PYTHON_MODELS[model.python](con.execute(model.sql).fetch_arrow_table())
        if model.python
        else None
    )
    con.execute("begin transaction")
    try:
        if rows is None:
            con.execute(f"create or replace table {model.table_sql} as\n{model.sql}")
        else:
            con.register("python_model_rows", rows)
            con.execute(f"create or replace table {model.table_sql} as from python_model_rows")
            con.unregister("python_model_rows")
        if model.description:
            con.execute(f"comment on table {model.table_sql} is {literal(model.description)}")
        for column, text in model.columns.items():
            con.execute(f"comment on column {model.table_sql}.{ident(column)} is {literal(text)}")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def scope_condition(model: Model) -> str:
    """The rows of an incremental model that the build's scope replaces, as a WHERE condition."""
    return " or ".join(
        f"in_scope({literal(scope)}, {plain_name(key)})" for scope, key in model.incremental
    )


def update_model(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Replace only the rows in the build's scope, in one transaction."""
    in_scope_sql = scope_condition(model)
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {model.table_sql} where {in_scope_sql}")
        con.execute(f"insert into {model.table_sql} by name\n{model.sql}")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def record_step(
    con: duckdb.DuckDBPyConnection,
    run_id: int | None,
    step: str,
    started: datetime,
    seconds: float,
    status: str,
    rows: int | None = None,
    message: str | None = None,
) -> None:
    if run_id is None:
        return
    con.execute(
        "insert into audit.runs (run_id, step, started_at, finished_at, seconds, status, "
        "row_count, message) values (?, ?, ?, now(), ?, ?, ?, ?)",
        [run_id, step, started, seconds, status, rows, message],
    )


def build(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: int | None = None,
    on_model: Callable[[str, float], None] | None = None,
    sql_dir: Path = SQL_DIR,
    full: bool = False,
) -> BuildResult:
    """Run every model; a failed model is reported and skips only what depends on it.

    After a complete build, the next one updates only the rows new files can change (models
    with an `incremental` header) unless `full` is set or something else changed.
    """
    models = discover_models(sql_dir)
    as_of = set_parameters(con, settings)
    model_print = fingerprint(settings, [models[name].text for name in sorted(models)])
    plan = plan_build(con, settings, as_of, model_print, full)
    prepare_scope(con, plan)
    forget_state(con)
    result = run_models(con, models, plan, run_id, on_model)
    if result.failed:
        first, message = next(iter(result.failed.items()))
        raise ModelError(
            f"model {first} failed ({message}); its previous table and {len(result.skipped)} "
            f"dependent table(s) were left as they were - fix {models[first].path.relative_to(sql_dir.parent)}"
        )
    record_state(con, settings, as_of, model_print)
    return result


def run_models(
    con: duckdb.DuckDBPyConnection,
    models: dict[str, Model],
    plan: BuildPlan,
    run_id: int | None,
    on_model: Callable[[str, float], None] | None,
) -> BuildResult:
    """Each model in dependency order; a failed one is recorded and skips its dependents."""
    result = BuildResult(plan=plan)
    broken: set[str] = set()
    for name in build_order(models):
        model = models[name]
        if model.depends_on & broken:
            result.skipped.append(name)
            broken.add(name)
            continue
        started, clock = datetime.now().astimezone(), time.perf_counter()
        try:
            if plan.incremental and model.incremental:
                update_model(con, model)
                result.updated[name] = scope_condition(model)
            else:
                build_model(con, model)
        except (duckdb.Error, LoyaltyError) as exc:
            broken.add(name)
            message = str(exc).strip().splitlines()[0]
            result.failed[name] = message
            record_step(
                con,
                run_id,
                f"model:{name}",
                started,
                time.perf_counter() - clock,
                "failed",
                message=message,
            )
            continue
        seconds = time.perf_counter() - clock
        result.built.append(name)
        result.seconds[name] = seconds
        rows = con.execute(f"select count(*) from {model.table_sql}").fetchone()
        record_step(con, run_id, f"model:{name}", started, seconds, "ok", rows[0] if rows else None)
        if on_model:
            on_model(name, seconds)
    return result

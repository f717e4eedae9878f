"""The `loyalty` command: parses arguments, calls pipelines functions, prints for people."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipelines.config import Settings, debug_requested, parse_as_of, settings_from_env
from pipelines.errors import LoyaltyError
from pipelines.filemodes import restrict_new_files
from pipelines.generate import GenerateOptions, generate
from pipelines.ingest.outcomes import FileResult
from pipelines.ingest.reload import files_awaiting_reload, reload_files
from pipelines.ingest.settling import landing_files
from pipelines.models import discover_models
from pipelines.report.write import write_reports
from pipelines.results import json_text, rich_table, write_csv
from pipelines.rounding import round_half_away
from pipelines.run import Progress as RunProgress
from pipelines.run import RunResult, run_steps
from pipelines.snapshot import snapshot_path
from pipelines.status import latest_kpis, query, status_tables
from pipelines.warehouse import open_reader, open_snapshot, warehouse_of
from pipelines.warehouse_ducklake import Lake, refuse_writing

app = typer.Typer(
    help=(
        "Customer-loyalty metrics from CRM, shop and survey exports.\n\n"
        "Drop exports into the landing zone (one folder per entity, see docs/exports.md), "
        "then `loyalty run` loads, checks and turns them into the marts tables of the "
        "DuckDB warehouse. Start with `loyalty generate` for a sample company."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


class Language(StrEnum):
    en = "en"
    de = "de"


class OutputFormat(StrEnum):
    html = "html"
    pdf = "pdf"


Landing = Annotated[
    Path | None,
    typer.Option(
        "--landing",
        envvar="LOYALTY_LANDING",
        help="Landing zone: one folder per entity (crm/customers, shop/orders, ...). [default: data/landing]",
        show_default=False,
    ),
]
Warehouse = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        envvar="LOYALTY_WAREHOUSE",
        help="DuckDB warehouse file. [default: data/warehouse.duckdb]",
        show_default=False,
    ),
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="The instant the metrics describe (ISO 8601), between the first data and a year "
        "after the last; later data is ignored. [default: 23:59:59 of the last day with "
        "validated data]",
        show_default=False,
    ),
]
InactivityDays = Annotated[
    int | None,
    typer.Option(
        "--inactivity-days",
        help="W: days without a purchase after which a customer counts as lapsed. [default: 180]",
        show_default=False,
    ),
]
FullBuild = Annotated[
    bool,
    typer.Option(
        "--full",
        help="Rebuild every table from scratch instead of updating what new files touched.",
    ),
]
TimeZone = Annotated[
    str | None,
    typer.Option(
        "--timezone",
        help="Reporting time zone: months are calendar months there. [default: UTC]",
        show_default=False,
    ),
]


READ_ONLY_HINT = (
    " (loyalty sql only reads the warehouse: no other file, ATTACH, COPY, extension "
    "or SET; see docs/security.md)"
)


def settings_for(
    landing: Path | None = None,
    warehouse: Path | None = None,
    as_of: str | None = None,
    inactivity_days: int | None = None,
    timezone: str | None = None,
    full_build: bool = False,
) -> Settings:
    return settings_from_env().with_overrides(
        full_build=full_build or None,
        landing=landing,
        warehouse=warehouse,
        as_of=parse_as_of(as_of) if as_of else None,
        inactivity_days=inactivity_days,
        timezone=timezone,
    )


def fail(message: str, code: int = 1) -> None:
    err.print(
        f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True, emoji=False
    )
    raise typer.Exit(code)


@app.command("generate")
def generate_command(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder to write the landing layout into.")
    ] = Path("data/landing"),
    customers: Annotated[int, typer.Option(help="Number of customers.", min=10)] = 5_000,
    months: Annotated[int, typer.Option(help="Months of history.", min=3, max=120)] = 24,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed writes the same bytes.")
    ] = 7,
    flags: Annotated[
        bool,
        typer.Option(
            help="Touch each entity folder's _ready flag after its files (wakes the Airflow watchers)."
        ),
    ] = True,
) -> None:
    """Write a sample company's exports (CRM, shop, survey) in the canonical landing layout."""
    started = time.perf_counter()
    with err.status("generating the sample company ..."):
        written = generate(GenerateOptions(out_dir, customers, months, seed, flags))
    out.print(
        f"wrote {len(written)} export files for {customers:,} customers over {months} months "
        f"to {out_dir} in {time.perf_counter() - started:.1f} s"
    )


def file_progress(
    total: int, on_step_done: Callable[[str, RunResult], None] | None = None
) -> tuple[Progress, RunProgress]:
    bar = Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task("", total=total)

    def on_file(result: FileResult) -> None:
        bar.update(task, advance=1, description=f"{result.entity}: {result.path.name}")

    def on_step(step: str) -> None:
        err.print(f"[bold]{step}[/]")

    return bar, RunProgress(on_file=on_file, on_step=on_step, on_step_done=on_step_done)


def run_with_progress(
    settings: Settings,
    steps: tuple[str, ...],
    on_step_done: Callable[[str, RunResult], None] | None = None,
) -> RunResult:
    total = sum(1 for _ in landing_files(settings.landing)) if "ingest" in steps else 0
    bar, progress = file_progress(total, on_step_done)
    with bar:
        return run_steps(settings, steps, progress)


def print_ingest(result: RunResult) -> None:
    if result.ingest is None:
        return
    out.print(f"ingest: {result.ingest.line()}", highlight=False)
    for f in result.ingest.files:
        if f.status in ("quarantined", "waiting"):
            line = escape(f"{f.path}: {f.reason}")
            out.print(f"  [yellow]{f.status}[/] {line}", highlight=False, emoji=False)
        elif f.notes:
            line = escape(f"{f.path}: {'; '.join(f.notes)}")
            out.print(f"  [cyan]note[/] {line}", highlight=False, emoji=False)
    for rejected in result.mostly_rejected:
        out.print(
            f"  [red]{escape(rejected.line())}[/]", highlight=False, emoji=False, soft_wrap=True
        )
    if result.ingest.rows_rejected:
        out.print(
            '  rejected rows are in audit.rejects (loyalty sql "select * from audit.rejects")'
        )


def print_validation(result: RunResult) -> None:
    if result.validation is None:
        return
    out.print(result.validation.line(), highlight=False)
    for checked in result.validation.files:
        for warning in checked.warnings:
            detail = escape(
                f"{checked.file.file_name}: {warning.expectation} "
                f"({warning.observed_value or warning.unexpected_count})"
            )
            out.print(f"  [yellow]warning[/] {detail}", highlight=False, emoji=False)


def print_build(result: RunResult) -> None:
    if result.build is None:
        return
    plan = result.build.plan
    out.print(
        f"build: {len(result.build.built)} models in {result.seconds.get('build', 0):.1f} s"
        + (f", {plan.describe()}" if plan else ""),
        highlight=False,
    )


def print_reports(result: RunResult) -> None:
    if result.reports:
        out.print(
            f"report: {len(result.reports)} files in {result.reports[0].parent}", highlight=False
        )


STEP_PRINTERS = {
    "ingest": print_ingest,
    "validate": print_validation,
    "build": print_build,
    "report": print_reports,
}


def print_step(step: str, result: RunResult) -> None:
    """What a finished step did, printed as it finishes: a later failure hides none of it."""
    STEP_PRINTERS[step](result)


def print_result(result: RunResult) -> None:
    for printer in STEP_PRINTERS.values():
        printer(result)
    for note in result.notes:
        out.print(note, highlight=False)


@app.command()
def ingest(landing: Landing = None, warehouse: Warehouse = None) -> None:
    """Load every new export file from the landing zone into the warehouse (raw layer)."""
    settings = settings_for(landing, warehouse)
    if not settings.landing.is_dir():
        fail(f"no landing zone at {settings.landing}: create it or run `loyalty generate` first")
    print_result(run_with_progress(settings, ("ingest",)))


@app.command()
def validate(warehouse: Warehouse = None) -> None:
    """Check newly loaded files against expectations/; a critical failure quarantines the file."""
    print_result(run_steps(settings_for(warehouse=warehouse), ("validate",)))


@app.command("build")
def build_command(
    warehouse: Warehouse = None,
    as_of: AsOf = None,
    inactivity_days: InactivityDays = None,
    timezone: TimeZone = None,
    full: FullBuild = False,
) -> None:
    """Run the SQL models: staging -> core -> marts (only what new files touched, if it can)."""
    settings = settings_for(None, warehouse, as_of, inactivity_days, timezone, full)
    print_result(run_with_progress(settings, ("build",)))


@app.command()
def report(
    warehouse: Warehouse = None,
    lang: Annotated[
        list[Language] | None,
        typer.Option("--lang", help="Language(s) of the report. [default: en and de]"),
    ] = None,
    output_format: Annotated[
        list[OutputFormat] | None, typer.Option("--format", help="html and/or pdf. [default: both]")
    ] = None,
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM. [default: the latest complete month]")
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="File to write (one language, one format).")
    ] = None,
) -> None:
    """Write the executive report (HTML and PDF, English and German) from the marts."""
    settings = settings_for(warehouse=warehouse)
    languages = tuple(lang or ("en", "de"))
    formats = tuple(output_format or ("html", "pdf"))
    if out_file and (len(languages) > 1 or len(formats) > 1):
        fail("--out names one file: choose one --lang and one --format with it")
    with open_snapshot(warehouse_of(settings), settings.duckdb_memory_limit) as con:
        written = write_reports(con, settings, parse_month(month), languages, formats, out_file)
    for path in written:
        out.print(f"wrote {path}", highlight=False)


def parse_month(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise LoyaltyError(f"--month {text!r} is not a month like 2025-06") from None


@app.command()
def run(
    landing: Landing = None,
    warehouse: Warehouse = None,
    as_of: AsOf = None,
    inactivity_days: InactivityDays = None,
    timezone: TimeZone = None,
    full: FullBuild = False,
) -> None:
    """Ingest, validate, build and report, in that order: what the Airflow DAGs do."""
    settings = settings_for(landing, warehouse, as_of, inactivity_days, timezone, full)
    if not settings.landing.is_dir():
        fail(f"no landing zone at {settings.landing}: create it or run `loyalty generate` first")
    result = run_with_progress(settings, ("ingest", "validate", "build", "report"), print_step)
    for note in result.notes:
        out.print(note, highlight=False)
    with open_reader(warehouse_of(settings), limit=settings.duckdb_memory_limit) as con:
        print_kpis(latest_kpis(con))
    html = [p for p in result.reports if p.suffix == ".html"]
    out.print("\nnext:", highlight=False)
    if html:
        out.print(
            f"  read the report: {html[0]} (the PDF and the German version lie beside it)",
            highlight=False,
        )
    where = (
        "(it reads the DuckLake directly, also while the pipeline writes; --at N reads snapshot N)"
        if settings.warehouse_backend == "ducklake"
        else f"or duckdb -readonly {snapshot_path(settings.warehouse)} (readable while the "
        "pipeline writes)"
    )
    out.print(
        f'  query the marts: loyalty sql "select * from marts.kpi_monthly" {where}; '
        "docs/marts/ explains every column",
        highlight=False,
    )


def percent(value: float | None) -> str:
    """A rate as the report shows it, rounded like SQL round(): 0.3125 -> "31.3 %"."""
    return "-" if value is None else f"{round_half_away(float(value) * 100, 1):.1f} %"


def nps_text(kpis: dict[str, Any]) -> str:
    if kpis.get("nps") is None:
        return "-"
    nps = round_half_away(kpis["nps"], 1)
    text = f"{nps:+.1f}" if nps else "0"
    text += f" ± {round_half_away(kpis['nps_moe'], 1):.1f} (n={kpis['nps_responses']})"
    return text + (" LOW SAMPLE" if kpis.get("nps_low_sample") else "")


def print_kpis(kpis: dict[str, Any] | None) -> None:
    if kpis is None:
        out.print("no complete month with purchases yet: no KPIs to show")
        return
    table = Table(title=f"KPIs of {kpis['month']:%B %Y} (latest complete month)", show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows = [
        ("active customers at the start", f"{kpis['active_customers_start']:,}"),
        ("  + new (still active at the end)", f"{kpis['gained_new_customers']:,}"),
        ("  + won back (still active at the end)", f"{kpis['gained_won_back_customers']:,}"),
        ("  - lost", f"{kpis['lost_customers']:,}"),
        ("  = active customers at the end", f"{kpis['active_customers_end']:,}"),
        ("new customers (first purchase)", f"{kpis['new_customers']:,}"),
        ("retention rate", percent(kpis["retention_rate"])),
        ("switching rate", percent(kpis["switching_rate"])),
        ("  to competitors", percent(kpis["competitor_switching_rate"])),
        ("win-back rate", percent(kpis["winback_rate"])),
        ("repeat purchase rate", percent(kpis["repeat_purchase_rate"])),
        ("purchases", f"{kpis['purchases']:,}"),
        ("net revenue", f"{kpis['revenue_net']:,.2f}"),
        ("NPS", nps_text(kpis)),
        ("CSAT (4-5)", percent(kpis.get("csat_pct"))),
        ("delighted (5)", percent(kpis.get("delight_pct"))),
    ]
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)


@app.command()
def status(warehouse: Warehouse = None) -> None:
    """What is loaded: files by final status, quarantined files, failures of the last 7 days, the last runs."""
    settings = settings_for(warehouse=warehouse)
    with open_reader(warehouse_of(settings), limit=settings.duckdb_memory_limit) as con:
        tables = status_tables(con)
    titles = {
        "entities": "files per entity",
        "quarantined": "quarantined files",
        "failures": "failures of the last 7 days (CLI and Airflow)",
        "runs": "last runs",
        "awaiting_reload": "files waiting to be read again (a setting or mapping changed)",
    }
    for name, data in tables.items():
        if not data.rows:
            out.print(f"{titles[name]}: none")
            continue
        print_table(data.columns, data.rows, titles[name])


def print_table(columns: list[str], rows: list[tuple], title: str | None = None) -> None:
    out.print(rich_table(columns, rows, title))


@app.command()
def sql(
    statement: Annotated[
        str, typer.Argument(help='A query, e.g. "select * from marts.kpi_monthly".')
    ],
    warehouse: Warehouse = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array of objects instead of a table.")
    ] = False,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help="Query the warehouse file itself (raw, staging, core too); fails while a run writes.",
        ),
    ] = False,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="DuckLake only: read an earlier snapshot, by number or ISO timestamp.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Query the read-only snapshot (marts and audit), which can be read while the pipeline writes.

    The connection is read-only and locked down: no other file can be read, attached or
    written, no extension loaded, no setting changed. Values print as they are, every digit.
    """
    if as_csv and as_json:
        fail("choose --csv or --json, not both")
    settings = settings_for(warehouse=warehouse)
    target = warehouse_of(settings)
    if isinstance(target, Lake):
        refuse_writing(statement)
    opener = partial(open_reader, at=at) if live or at else open_snapshot
    with opener(target) as con:
        try:
            data = query(con, statement)
        except duckdb.CatalogException as exc:
            hint = (
                ""
                if live or at or isinstance(target, Lake)
                else " (the snapshot holds marts and audit; add --live for raw, staging and core)"
            )
            fail(str(exc).strip().splitlines()[0] + hint)
            return
        except duckdb.Error as exc:
            message = str(exc).strip().splitlines()[0]
            refused = isinstance(exc, duckdb.PermissionException) or any(
                word in message for word in ("has been locked", "read-only")
            )
            fail(message + (READ_ONLY_HINT if refused else ""))
            return
    if as_csv:
        write_csv(data.columns, data.rows, sys.stdout)
    elif as_json:
        sys.stdout.write(json_text(data.columns, data.rows) + "\n")
    else:
        print_table(data.columns, data.rows)


@app.command()
def reload(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Landing files to read again. Without one, list the files a settings change left waiting.",
            show_default=False,
        ),
    ] = None,
    landing: Landing = None,
    warehouse: Warehouse = None,
) -> None:
    """Read files again under today's settings and mappings, replacing their earlier rows."""
    settings = settings_for(landing, warehouse)
    if not files:
        with open_reader(warehouse_of(settings), limit=settings.duckdb_memory_limit) as con:
            waiting = files_awaiting_reload(con, settings)
        if not waiting:
            out.print("no file waits to be read again: every file was read under today's settings")
            return
        print_table(
            ["file_name", "entity", "reason"],
            [(w.file_name, w.entity, w.reason) for w in waiting],
            "files waiting to be read again (the next ingest reads them)",
        )
        return
    for result in reload_files(settings, files):
        if result.status == "quarantined":
            out.print(
                f"{result.path.name}: quarantined: {result.reason}", highlight=False, markup=False
            )
        else:
            out.print(
                f"{result.path.name}: re-read, {result.rows_loaded} rows loaded, "
                f"{result.rows_rejected} rejected",
                highlight=False,
                markup=False,
            )
    out.print(
        "next: `loyalty run` validates the files again and rebuilds the marts from them",
        highlight=False,
        markup=False,
    )


@app.command("notify")
def notify_command(
    entity: Annotated[str, typer.Argument(help="customers, events, orders, returns or responses")],
    files: Annotated[
        list[str] | None, typer.Option("--file", help="Name of a new export file (repeatable).")
    ] = None,
) -> None:
    """Tell the running Airflow that new exports of ENTITY arrived (Redis message, LOYALTY_REDIS_URL).

    Fails when no Airflow message watcher listens: the message would be lost.
    """
    from pipelines.notify import DEFAULT_CHANNEL_PREFIX, notify

    settings = settings_for()
    prefix = settings.redis_channel_prefix or DEFAULT_CHANNEL_PREFIX
    channel, listeners = notify(entity, files or [], settings.redis_url, prefix)
    out.print(f"published on {channel} ({listeners} listener(s))", highlight=False)


@app.command("alerts")
def alerts_command(
    send: Annotated[
        bool,
        typer.Option(
            "--send",
            help="Deliver the new alerts (e-mail with the report attached, webhook), each once per destination.",
        ),
    ] = False,
    warehouse: Warehouse = None,
) -> None:
    """Show the alerts (marts.alerts) each destination has not received yet; --send delivers them.

    Destinations come from .env: LOYALTY_ALERT_EMAIL_TO with LOYALTY_SMTP_*, and
    LOYALTY_ALERT_WEBHOOK_URL (docs/alerts.md). audit.alert_deliveries records what was sent.
    """
    from pipelines.alerts.send import deliver_alerts, email_sender_from_env, preview_alerts

    settings = settings_for(warehouse=warehouse)
    delivery = settings.alerts
    if not send:
        for destination, alerts in preview_alerts(settings, delivery).items():
            out.print(f"{destination}: {len(alerts)} new alert(s)", highlight=False, markup=False)
            for alert in alerts:
                out.print(
                    f"  [{alert.severity}] {alert.message(delivery.language)}",
                    highlight=False,
                    markup=False,
                )
        out.print("next: loyalty alerts --send delivers them, each once per destination")
        return
    results = deliver_alerts(settings, delivery, email_sender_from_env(delivery))
    for result in results:
        out.print(result.line(), highlight=False, markup=False)
    if any(result.error for result in results):
        raise typer.Exit(1)


@app.command("actions")
def actions_command(
    kind: Annotated[
        str,
        typer.Argument(
            help="at-risk: active customers in the high and medium risk bands; "
            "detractors: detractors nobody has called back yet."
        ),
    ],
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the first N rows.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Write to this file instead of printing.", show_default=False),
    ] = None,
    warehouse: Warehouse = None,
) -> None:
    """The list a CRM imports: customer ids and coded fields, no contact data or free text.

    Reads the snapshot. The metrics DAG writes both lists after every build to
    data/exports/actions/ (LOYALTY_EXPORTS).
    """
    from pipelines.actions import LISTS, action_list, render

    if kind not in LISTS:
        fail(f"unknown list {kind!r}: choose {' or '.join(LISTS)}", code=2)
    if fmt not in ("csv", "json"):
        fail(f"unknown format {fmt!r}: choose csv or json", code=2)
    settings = settings_for(warehouse=warehouse)
    with open_snapshot(warehouse_of(settings), settings.duckdb_memory_limit) as con:
        text = render(action_list(con, kind, limit), fmt)  # type: ignore[arg-type]
    if out_file is None:
        sys.stdout.write(text)
        return
    out_file.write_text(text, encoding="utf-8")
    out.print(f"wrote {out_file}", highlight=False, markup=False)


@app.command("release")
def release_command(
    file: Annotated[str, typer.Argument(help="The quarantined file: its name or its path.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why, in a sentence; kept in audit.releases.")
    ],
    exclude: Annotated[
        bool,
        typer.Option(
            "--exclude",
            help="Keep the file's rows out of the marts for good and let the build go on "
            "without them. [default: accept the rows as they are]",
        ),
    ] = False,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who decided. [default: your login name]", show_default=False),
    ] = None,
    warehouse: Warehouse = None,
) -> None:
    """Release a file a critical expectation quarantined, after a person has looked at it.

    While such a file is neither released nor replaced, validation fails and the marts keep
    their state. The decision, who made it, when and why are kept in audit.releases.
    """
    import getpass

    from pipelines.validate.release import release_file
    from pipelines.warehouse import open_writer, warehouse_of

    settings = settings_for(warehouse=warehouse)
    with open_writer(warehouse_of(settings), limit=settings.duckdb_memory_limit) as con:
        release = release_file(con, file, reason, by or getpass.getuser(), exclude)
    outcome = (
        "its rows stay out of the marts"
        if release.decision == "excluded"
        else "its rows reach the marts at the next build"
    )
    out.print(
        f"released {release.file.path} ({release.decision} by {release.released_by}): {outcome}; "
        "recorded in audit.releases",
        highlight=False,
    )
    out.print(
        "next: `loyalty run` (in Airflow: clear the failed validate task of loyalty_metrics)",
        highlight=False,
    )


@app.command()
def docs(
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out", help="Where to write one page per table, in staging/, core/ and marts/."
        ),
    ] = Path("docs"),
) -> None:
    """Write docs/<layer>/<table>.md from the SQL models, and docs/landing.md from the registry."""
    from pipelines.docs import LANDING_PAGE, landing_page, write_model_docs

    written = write_model_docs(discover_models(), out_dir)
    LANDING_PAGE.write_text(landing_page(), encoding="utf-8")
    out.print(
        f"wrote {len(written)} pages to {out_dir}/staging, core and marts, and {LANDING_PAGE}"
    )


def main() -> None:
    """Entry point: user errors become one line and exit code 1, never a traceback."""
    try:
        restrict_new_files(settings_from_env())
        app()
    except LoyaltyError as exc:
        err.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True, emoji=False
        )
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted: nothing half-written was committed")
        sys.exit(130)
    except Exception as exc:
        if debug_requested():
            raise
        err.print(
            f"[bold red]error:[/] unexpected {type(exc).__name__}: {escape(str(exc))} "
            "(set LOYALTY_DEBUG=1 for the traceback and report it)",
            highlight=False,
            emoji=False,
            soft_wrap=True,
        )
        sys.exit(2)

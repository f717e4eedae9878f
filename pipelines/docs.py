"""Generated documentation: a page per model from the SQL model headers, the landing folders from the registry."""

from __future__ import annotations

from pathlib import Path

from pipelines.ingest.entities import ENTITIES, FLAG_NAME, Entity, Field
from pipelines.models import Model
from pipelines.registry_sql import STAGING_TEMPLATE

DOCS_DIR = Path("docs")
LANDING_PAGE = DOCS_DIR / "landing.md"


def defined_in(model: Model) -> str:
    """Where the model's SQL and documentation come from."""
    if model.path == STAGING_TEMPLATE:
        return (
            "Generated from the registry (`pipelines/ingest/entities.py`, the columns' "
            "descriptions and rules) and `sql/templates/staging.sql`"
        )
    return (
        f"Defined in `{model.path.parent.parent.name}/{model.path.parent.name}/{model.path.name}`"
    )


def model_page(model: Model) -> str:
    """The Markdown page of one table: what a row is, then every column."""
    schema = model.name.split(".")[0]
    lines = [
        f"# `{model.name}`",
        "",
        model.description,
        "",
        f"{defined_in(model)}; the same text is the table's and columns' DuckDB `COMMENT` "
        f"(`select * from duckdb_columns() where schema_name = '{schema}'`).",
        "",
        "| column | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {text.replace('|', '/')} |" for name, text in model.columns.items()]
    return "\n".join(lines) + "\n"


def model_doc_path(model: Model, out_dir: Path = DOCS_DIR) -> Path:
    """docs/<layer>/<table>.md"""
    schema, table = model.name.split(".")
    return out_dir / schema / f"{table}.md"


def write_model_docs(models: dict[str, Model], out_dir: Path = DOCS_DIR) -> list[Path]:
    """A page per staging, core and marts table, in out_dir/<layer>/."""
    written = []
    for model in models.values():
        path = model_doc_path(model, out_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(model_page(model), encoding="utf-8")
        written.append(path)
    return written


def field_text(field: Field) -> str:
    """`name` with its rule, as the landing page shows it."""
    rules = []
    if field.choices:
        rules.append(", ".join(field.choices))
    if field.low is not None and field.high is not None:
        rules.append(f"{field.low}-{field.high}")
    elif field.low is not None or field.high is not None:
        rules.append(f">= {field.low}" if field.low is not None else f"<= {field.high}")
    if field.code_length:
        rules.append(f"{field.code_length}-letter code")
    if field.default:
        rules.append(f"default {field.default}")
    if field.kind not in ("text", "enum", "code"):
        rules.insert(0, field.kind)
    return f"`{field.name}`" + (f" ({'; '.join(rules)})" if rules else "")


def landing_row(entity: Entity) -> str:
    key = " + ".join(f"`{c}`" for c in entity.duplicate_key)
    required = ", ".join(field_text(f) for f in entity.fields if f.required)
    optional = ", ".join(field_text(f) for f in entity.fields if not f.required)
    return f"| {entity.system} | {entity.name} | `{entity.folder}/` | {key} | {required} | {optional} |"


def landing_page() -> str:
    """docs/landing.md: one row per entity of the registry, where its exports land."""
    lines = [
        "# Landing zone",
        "",
        "Generated from the registry (`pipelines/ingest/entities.py`) by `make docs`; "
        "[docs/extending.md](extending.md) tells how to add a source.",
        "",
        "Each export goes into its entity's folder below the landing zone (`data/landing/` by "
        f"default); an exporter touches `{FLAG_NAME}` in the folder when its delivery is "
        "complete. A row breaking a rule below goes to `audit.rejects`; the full contract is "
        "[docs/exports.md](exports.md).",
        "",
        "| system | entity | folder | unique per file | required columns | optional columns |",
        "|---|---|---|---|---|---|",
        *(landing_row(e) for e in ENTITIES.values()),
    ]
    return "\n".join(lines) + "\n"

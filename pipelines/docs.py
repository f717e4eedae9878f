"""Generated documentation: a page per mart from the SQL model headers, the landing folders from the registry."""

from __future__ import annotations

from pathlib import Path

from pipelines.ingest.entities import ENTITIES, FLAG_NAME, Entity, Field
from pipelines.models import Model

LANDING_PAGE = Path("docs") / "landing.md"


def mart_page(model: Model) -> str:
    """The Markdown page of one mart: what a row is, then every column."""
    lines = [
        f"# `{model.name}`",
        "",
        model.description,
        "",
        f"Defined in `{model.path.parent.parent.name}/{model.path.parent.name}/{model.path.name}`; "
        "the same text is the table's and columns' DuckDB `COMMENT` "
        "(`select * from duckdb_columns() where schema_name = 'marts'`).",
        "",
        "| column | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {text.replace('|', '/')} |" for name, text in model.columns.items()]
    return "\n".join(lines) + "\n"


def write_mart_docs(models: dict[str, Model], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for model in models.values():
        if not model.name.startswith("marts."):
            continue
        path = out_dir / f"{model.name.removeprefix('marts.')}.md"
        path.write_text(mart_page(model), encoding="utf-8")
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

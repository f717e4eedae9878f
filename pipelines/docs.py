"""The analysts' data dictionary: one Markdown page per mart, from the SQL model headers."""

from __future__ import annotations

from pathlib import Path

from pipelines.models import Model


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

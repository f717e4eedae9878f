"""Source mappings: how a real export's columns and formats map onto the canonical ones."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines.errors import LoyaltyError
from pipelines.ingest.entities import ENTITIES, Entity

CANONICAL = "canonical"


def normalize(name: str) -> str:
    """Header names compare case-, space- and punctuation-insensitively."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


@dataclass(frozen=True)
class Mapping:
    """One export shape of one entity: renames, value maps and file format."""

    name: str
    entity: Entity
    columns: dict[str, str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    delimiter: str | None = None
    encoding: str = "utf-8"
    header_row: int = 1
    skip_after_header: int = 0
    decimal_comma: bool = False
    timestamp_format: str | None = None
    timezone: str = "UTC"

    def source_columns(self, header: list[str]) -> dict[str, int]:
        """Canonical column -> index in `header`, for every mapped column present."""
        positions = {normalize(h): i for i, h in reversed(list(enumerate(header)))}
        return {
            canonical: positions[normalize(source)]
            for canonical, source in self.columns.items()
            if normalize(source) in positions
        }

    def missing_required(self, header: list[str]) -> list[str]:
        """Required canonical columns whose source column the header lacks, as source names."""
        present = self.source_columns(header)
        return [self.columns[c] for c in self.entity.required if c not in present]


def canonical_mapping(entity: Entity) -> Mapping:
    return Mapping(CANONICAL, entity, {c: c for c in entity.columns})


def load_preset(path: Path) -> Mapping:
    """A preset file from sources/presets/, checked against the entity's columns."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entity = ENTITIES.get(data.get("entity", ""))
    if entity is None:
        raise LoyaltyError(f"{path}: entity must be one of {', '.join(ENTITIES)}")
    unknown = set(data.get("columns", {})) - set(entity.columns)
    if unknown:
        raise LoyaltyError(
            f"{path}: {', '.join(sorted(unknown))} are not canonical columns of {entity.name}"
        )
    fmt = data.get("format", {})
    return Mapping(
        name=data["name"],
        entity=entity,
        columns={k: str(v) for k, v in data["columns"].items()},
        values={
            col: {str(k).lower(): str(v) for k, v in vmap.items()}
            for col, vmap in data.get("values", {}).items()
        },
        delimiter=fmt.get("delimiter"),
        encoding=fmt.get("encoding", "utf-8"),
        header_row=int(fmt.get("header_row", 1)),
        skip_after_header=int(fmt.get("skip_after_header", 0)),
        decimal_comma=bool(fmt.get("decimal_comma", False)),
        timestamp_format=fmt.get("timestamp_format"),
        timezone=fmt.get("timezone", "UTC"),
    )


def load_mappings(config: dict, sources_file: Path) -> dict[str, list[Mapping]]:
    """Entity name -> the mappings to try, in the order sources.yaml (parsed: `config`) lists them."""
    listed = config.get("mappings", {})
    presets_dir = sources_file.parent / "presets"
    result: dict[str, list[Mapping]] = {}
    for name, entity in ENTITIES.items():
        result[name] = []
        for mapping_name in listed.get(name, [CANONICAL]):
            if mapping_name == CANONICAL:
                result[name].append(canonical_mapping(entity))
                continue
            preset = presets_dir / f"{mapping_name}.yaml"
            if not preset.exists():
                raise LoyaltyError(
                    f"{sources_file} names mapping {mapping_name!r} for {name}, "
                    f"but {preset} does not exist"
                )
            mapping = load_preset(preset)
            if mapping.entity.name != name:
                raise LoyaltyError(f"{preset} is a mapping for {mapping.entity.name}, not {name}")
            result[name].append(mapping)
    return result

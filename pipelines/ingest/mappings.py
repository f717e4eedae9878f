"""Source mappings: how a real export's columns and formats map onto the canonical ones."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.errors import LoyaltyError
from pipelines.ingest.entities import ENTITIES, Entity
from pipelines.ingest.yaml_files import (
    boolean,
    known_options,
    read_yaml,
    section,
    text,
    whole_number,
)
from pipelines.quoting import timestamp_format, timezone_name

CANONICAL = "canonical"
PRESET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
PRESET_KEYS = {"name", "entity", "description", "format", "columns", "values"}
FORMAT_KEYS = {
    "delimiter",
    "encoding",
    "header_row",
    "skip_after_header",
    "decimal_comma",
    "timestamp_format",
    "timezone",
}
# The line splitter of the NDJSON reader; quotes and line breaks would make a CSV unreadable.
LINE_DELIMITER = "\x1f"
FORBIDDEN_DELIMITERS = {'"', "'", "\n", "\r", LINE_DELIMITER}
MAX_HEADER_ROW = 1000


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


def check_delimiter(where: str, value: object) -> str:
    if not isinstance(value, str) or len(value) != 1 or value in FORBIDDEN_DELIMITERS:
        raise LoyaltyError(
            f"{where} must be one character other than a quote, a line break or {LINE_DELIMITER!r}, "
            f'e.g. "," or ";"; got {value!r}'
        )
    return value


def check_encoding(where: str, value: object) -> str:
    name = text(where, value)
    try:
        codecs.lookup(name)
    except LookupError:
        raise LoyaltyError(
            f"{where} {name!r} is unknown; name one Python knows, e.g. utf-8, cp1252, utf-16"
        ) from None
    return name


def value_maps(where: str, values: object, entity: Entity) -> dict[str, dict[str, str]]:
    maps = section(where, values)
    unknown = set(maps) - set(entity.columns)
    if unknown:
        raise LoyaltyError(
            f"{where}: {', '.join(sorted(map(str, unknown)))} are not canonical columns of {entity.name}"
        )
    return {
        column: {
            text(f"{where}.{column}", k).lower(): text(f"{where}.{column}.{k}", v)
            for k, v in section(f"{where}.{column}", vmap).items()
        }
        for column, vmap in maps.items()
    }


def load_preset(path: Path) -> Mapping:
    """A preset file from sources/presets/, checked option by option against what it may hold."""
    data = known_options(str(path), read_yaml(path), PRESET_KEYS)
    name = data.get("name")
    if name != path.stem:
        raise LoyaltyError(f"{path}: name must be {path.stem!r} (the file's name), got {name!r}")
    entity = ENTITIES.get(str(data.get("entity", "")))
    if entity is None:
        raise LoyaltyError(f"{path}: entity must be one of {', '.join(ENTITIES)}")
    columns = section(f"{path}: columns", data.get("columns"))
    unknown = set(columns) - set(entity.columns)
    if unknown:
        raise LoyaltyError(
            f"{path}: {', '.join(sorted(map(str, unknown)))} are not canonical columns of {entity.name}"
        )
    fmt = known_options(
        f"{path}: format", section(f"{path}: format", data.get("format")), FORMAT_KEYS
    )
    where = f"{path}: format."
    delimiter = fmt.get("delimiter")
    timestamp = fmt.get("timestamp_format")
    return Mapping(
        name=name,
        entity=entity,
        columns={k: text(f"{path}: columns.{k}", v) for k, v in columns.items()},
        values=value_maps(f"{path}: values", data.get("values"), entity),
        delimiter=None if delimiter is None else check_delimiter(where + "delimiter", delimiter),
        encoding=check_encoding(where + "encoding", fmt.get("encoding", "utf-8")),
        header_row=whole_number(where + "header_row", fmt.get("header_row", 1), 1, MAX_HEADER_ROW),
        skip_after_header=whole_number(
            where + "skip_after_header", fmt.get("skip_after_header", 0), 0, MAX_HEADER_ROW
        ),
        decimal_comma=boolean(where + "decimal_comma", fmt.get("decimal_comma", False)),
        timestamp_format=None
        if timestamp is None
        else timestamp_format(
            text(where + "timestamp_format", timestamp), where + "timestamp_format"
        ),
        timezone=timezone_name(
            text(where + "timezone", fmt.get("timezone", "UTC")), where + "timezone"
        ),
    )


def mapping_names(where: str, names: object) -> list[str]:
    """The mapping names sources.yaml lists for one entity: `canonical` or a preset's file name."""
    if not isinstance(names, list) or not names:
        raise LoyaltyError(
            f"{where} must be a list of mapping names, e.g. [canonical], got {names!r}"
        )
    for name in names:
        if not isinstance(name, str) or not PRESET_NAME.fullmatch(name):
            raise LoyaltyError(
                f"{where}: mapping name {name!r} must be `canonical` or the name of a file in "
                "sources/presets/ without .yaml: letters, digits, _ and - only"
            )
    return names


def load_mappings(config: dict, sources_file: Path) -> dict[str, list[Mapping]]:
    """Entity name -> the mappings to try, in the order sources.yaml (parsed: `config`) lists them."""
    listed = section(f"{sources_file}: mappings", config.get("mappings"))
    unknown = set(listed) - set(ENTITIES)
    if unknown:
        raise LoyaltyError(
            f"{sources_file}: mappings names unknown entities {', '.join(sorted(map(str, unknown)))}; "
            f"entities are {', '.join(ENTITIES)}"
        )
    presets_dir = sources_file.parent / "presets"
    result: dict[str, list[Mapping]] = {}
    for name, entity in ENTITIES.items():
        result[name] = []
        where = f"{sources_file}: mappings.{name}"
        for mapping_name in mapping_names(where, listed.get(name, [CANONICAL])):
            if mapping_name == CANONICAL:
                result[name].append(canonical_mapping(entity))
                continue
            preset = presets_dir / f"{mapping_name}.yaml"
            if not preset.is_file():
                raise LoyaltyError(
                    f"{sources_file} names mapping {mapping_name!r} for {name}, "
                    f"but {preset} does not exist"
                )
            mapping = load_preset(preset)
            if mapping.entity.name != name:
                raise LoyaltyError(f"{preset} is a mapping for {mapping.entity.name}, not {name}")
            result[name].append(mapping)
    return result

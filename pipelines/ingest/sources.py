"""What sources/sources.yaml says about each entity: mappings, drift policy, privacy rules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest import drift
from pipelines.ingest.mappings import Mapping, load_mappings
from pipelines.ingest.yaml_files import read_yaml


@dataclass(frozen=True)
class SourceConfig:
    """What sources.yaml says about one entity: its mappings, drift policy and privacy rules."""

    mappings: list[Mapping]
    drift: drift.DriftPolicy
    privacy: drift.Privacy


def load_sources(sources_file: Path) -> dict[str, SourceConfig]:
    config = read_yaml(sources_file)
    mappings = load_mappings(config, sources_file)
    policies = drift.load_policies(config, sources_file)
    privacy = drift.load_privacy(config, sources_file)
    return {name: SourceConfig(mappings[name], policies[name], privacy) for name in mappings}

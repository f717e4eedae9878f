"""What a file's outcome depended on, and whether that has changed since it was read.

The ledger keeps, per file, `depends_on`: a JSON object from each dependency to a short
fingerprint of its value when the file was read. The dependencies are:

- `order:<entity>` / `order:<entity>:<mapping>`: the mappings tried, in order (all of them,
  or up to the one that fitted);
- `mapping:<name>`: one mapping's content (columns, value maps, format);
- `schema_drift`: the entity's schema_drift policy;
- `currency`: LOYALTY_CURRENCY, for files with a currency column;
- `privacy`: the privacy policy, for files with an e-mail column beyond the contract (not
  LOYALTY_PII_SALT: a fingerprint of a secret would let anyone who reads the ledger test
  guesses of it);
- `max_file_bytes`: LOYALTY_MAX_FILE_BYTES, for files quarantined for their size.

A file whose recorded fingerprints differ from the current ones is read again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from pipelines.config import Settings
from pipelines.ingest.mappings import Mapping
from pipelines.ingest.sources import SourceConfig

REASONS = {
    "schema_drift": "schema_drift changed",
    "currency": "LOYALTY_CURRENCY changed",
    "privacy": "privacy changed",
    "max_file_bytes": "LOYALTY_MAX_FILE_BYTES changed",
}
ABSENT = "absent"


def digest(value: object) -> str:
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def mapping_content(mapping: Mapping) -> dict[str, object]:
    return {k: v for k, v in asdict(mapping).items() if k != "entity"} | {
        "entity": mapping.entity.name
    }


def tried_names(mappings: list[Mapping], upto: str | None) -> list[str]:
    """Names of the mappings tried before one fitted (all when none did, or it is gone)."""
    names = [m.name for m in mappings]
    if upto is None:
        return names
    return names[: names.index(upto) + 1] if upto in names else [*names, f"-{upto}"]


def value_of(dependency: str, source: SourceConfig, settings: Settings) -> str:
    """The current fingerprint of one dependency."""
    kind, _, argument = dependency.partition(":")
    if kind == "order":
        _, _, upto = argument.partition(":")
        return digest(tried_names(source.mappings, upto or None))
    if kind == "mapping":
        found = [m for m in source.mappings if m.name == argument]
        return digest(mapping_content(found[0])) if found else ABSENT
    values = {
        "schema_drift": lambda: digest(asdict(source.drift)),
        "privacy": lambda: digest(asdict(source.privacy)),
        "currency": lambda: settings.currency,
        "max_file_bytes": lambda: str(settings.max_file_bytes),
    }
    return values[kind]() if kind in values else ABSENT


def fingerprint(dependencies: list[str], source: SourceConfig, settings: Settings) -> str | None:
    """The ledger's `depends_on` for a file read now; None when no setting mattered."""
    if not dependencies:
        return None
    return json.dumps({d: value_of(d, source, settings) for d in dependencies}, sort_keys=True)


def reason(dependency: str) -> str:
    kind, _, argument = dependency.partition(":")
    if kind == "order":
        return f"the mappings listed for {argument.partition(':')[0]} changed"
    if kind == "mapping":
        return f"mapping {argument} changed"
    return REASONS.get(kind, f"{kind} changed")


def changes(depends_on: str, source: SourceConfig, settings: Settings) -> str | None:
    """Why a file must be read again ('mapping myshop changed; ...'), or None if nothing changed."""
    recorded = json.loads(depends_on)
    changed = [d for d, value in recorded.items() if value_of(d, source, settings) != value]
    return "; ".join(reason(d) for d in sorted(changed)) or None

"""The registry of sources: consistent entries, and the documents derived from it kept current."""

from __future__ import annotations

import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.docs import LANDING_PAGE, landing_page
from pipelines.ingest.entities import ENTITIES, Entity


@pytest.mark.parametrize("entity", ENTITIES.values(), ids=list(ENTITIES))
def test_an_entry_names_its_own_fields(entity: Entity) -> None:
    fields = {f.name: f for f in entity.fields}
    assert fields[entity.key].required
    assert fields[entity.stamp].kind == "timestamp" and fields[entity.stamp].required
    assert entity.version is None or fields[entity.version].required
    assert all(f.kind == "text" for f in entity.fields if f.clean)
    assert entity.folder.split("/")[0] == entity.system
    # The staging columns' COMMENTs and docs/staging/ start from these.
    assert all(f.description for f in entity.fields)


def test_the_landing_page_is_current() -> None:
    page = PROJECT_ROOT / LANDING_PAGE
    assert page.read_text(encoding="utf-8") == landing_page(), f"{page} is stale: run `make docs`"

"""Our build of exactly what the pandas notebook computes, for a like-for-like comparison.

The notebook reproduces monthly active customers and switching (core.customer_flows),
cohort retention (core.cohort_counts) and the monthly NPS (core.nps_monthly); this rebuilds
those tables and every table they read, from staging up, on a built warehouse.
"""

from __future__ import annotations

from benchmarks.memory import Measurement, measured
from pipelines.config import Settings
from pipelines.incremental import BuildPlan, prepare_scope
from pipelines.models import Model, build_model, build_order, discover_models, set_parameters
from pipelines.warehouse import open_writer

TARGETS = ("core.customer_flows", "core.cohort_counts", "core.nps_monthly")


def needed(models: dict[str, Model], targets: tuple[str, ...] = TARGETS) -> list[str]:
    """The targets and every model they read, in build order."""
    wanted: set[str] = set()
    stack = list(targets)
    while stack:
        name = stack.pop()
        if name not in wanted:
            wanted.add(name)
            stack.extend(models[name].depends_on & models.keys())
    return [name for name in build_order(models) if name in wanted]


def same_metrics_build(settings: Settings) -> tuple[Measurement, list[str]]:
    """Time and peak memory of building only what the pandas notebook's metrics need."""
    models = discover_models()
    names = needed(models)
    with open_writer(settings.warehouse, limit=settings.duckdb_memory_limit) as con:
        set_parameters(con, settings)
        prepare_scope(con, BuildPlan(False, "benchmark: the notebook's metrics", []))
        with measured() as measurement:
            for name in names:
                build_model(con, models[name])
    return measurement, names

"""The purchase model's stage: fit, predictions and customer_health rebuilt on a built warehouse."""

from __future__ import annotations

from benchmarks.memory import Measurement, measured
from pipelines.config import Settings
from pipelines.models import build_model, discover_models, set_parameters
from pipelines.warehouse import open_writer

MODELS = ("marts.purchase_model", "core.purchase_predictions", "marts.customer_health")


def purchase_model_stage(settings: Settings) -> Measurement:
    """Time and peak memory of the three models that fit and apply the BG/NBD model."""
    models = discover_models()
    with open_writer(settings.warehouse, limit=settings.duckdb_memory_limit) as con:
        set_parameters(con, settings)
        with measured() as measurement:
            for name in MODELS:
                build_model(con, models[name])
    return measurement

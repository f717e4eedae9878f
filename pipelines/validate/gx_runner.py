"""Every call into Great Expectations lives here, so a GX upgrade touches one module."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import pandas as pd

from pipelines.validate.suites import ExpectationSpec

EXAMPLES = 5


@dataclass
class CheckResult:
    """The outcome of one expectation on one batch (summed over its chunks)."""

    spec: ExpectationSpec
    success: bool
    unexpected_count: int = 0
    element_count: int = 0
    observed_value: str | None = None
    examples: list[str] | None = None

    @property
    def expectation(self) -> str:
        return self.spec.type

    @property
    def column(self) -> str | None:
        return self.spec.column

    @property
    def severity(self) -> str:
        return self.spec.severity

    @property
    def description(self) -> str:
        return self.spec.description

    def merge(self, other: CheckResult) -> None:
        """Fold the result of the next chunk of the same batch into this one."""
        self.success = self.success and other.success
        self.unexpected_count += other.unexpected_count
        self.element_count += other.element_count
        self.examples = ((self.examples or []) + (other.examples or []))[:EXAMPLES]
        self.observed_value = other.observed_value or self.observed_value


def apply_mostly(spec: ExpectationSpec, result: CheckResult) -> None:
    """Over the whole batch, a spec with `mostly` passes while the unexpected share stays within it."""
    if (
        "mostly" in spec.kwargs
        and result.element_count
        and not (result.observed_value or "").startswith("error")
    ):
        result.success = result.unexpected_count / result.element_count <= 1 - float(
            spec.kwargs["mostly"]
        )


def quiet_gx_logging() -> None:
    """Keep GX's warnings and errors only.

    GX logs hundreds of INFO lines ("Skipping registering function ...") as it is imported,
    and one of its modules pins its logger to INFO; in a task log they bury the line that
    matters. Called before GX is imported and again after.
    """
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    for name, logger in logging.root.manager.loggerDict.items():
        if name.startswith("great_expectations.") and isinstance(logger, logging.Logger):
            logger.setLevel(logging.NOTSET)


quiet_gx_logging()


@cache
def batch_definition() -> Any:
    """An ephemeral GX context with one pandas data asset: no files, no network, no analytics."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    quiet_gx_logging()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("loyalty").add_dataframe_asset("batch")
    return asset.add_batch_definition_whole_dataframe("chunk")


def gx_kwargs(spec: ExpectationSpec) -> dict[str, Any]:
    """Arguments as GX wants them: ISO timestamps as datetimes, `mostly` left to the batch total."""
    kwargs = {k: v for k, v in spec.kwargs.items() if k != "mostly"}
    for bound in ("min_value", "max_value"):
        value = kwargs.get(bound)
        if isinstance(value, str):
            kwargs[bound] = datetime.fromisoformat(value)
    return kwargs


def build_suite(name: str, specs: list[ExpectationSpec]) -> Any:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    expectations = [
        ExpectationConfiguration(
            type=s.type, kwargs=gx_kwargs(s), meta={"position": i}
        ).to_domain_obj()
        for i, s in enumerate(specs)
    ]
    return gx.ExpectationSuite(name=name, expectations=expectations)


def example_text(value: Any) -> str:
    return str(value)[:80]


def validate_frame(
    name: str, frame: pd.DataFrame, specs: list[ExpectationSpec]
) -> list[CheckResult]:
    """Run the suite on one chunk; expectations on columns the chunk lacks are skipped."""
    present = [s for s in specs if all(c in frame.columns for c in s.columns)]
    if not present:
        return []
    batch = batch_definition().get_batch(batch_parameters={"dataframe": frame})
    outcome = batch.validate(
        build_suite(name, present),
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES},
    )
    results = []
    for item in sorted(outcome.results, key=lambda r: r.expectation_config.meta["position"]):
        spec = present[item.expectation_config.meta["position"]]
        info = item.result or {}
        if item.exception_info and item.exception_info.get("raised_exception"):
            message = str(item.exception_info.get("exception_message"))[:200]
            results.append(CheckResult(spec, False, observed_value=f"error: {message}"))
            continue
        observed = info.get("observed_value")
        results.append(
            CheckResult(
                spec=spec,
                success=bool(item.success),
                unexpected_count=int(info.get("unexpected_count") or 0),
                element_count=int(info.get("element_count") or len(frame)),
                observed_value=None if observed is None else str(observed),
                examples=[example_text(v) for v in info.get("partial_unexpected_list") or []][
                    :EXAMPLES
                ],
            )
        )
    return results

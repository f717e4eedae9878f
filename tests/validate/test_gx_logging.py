"""Great Expectations stays quiet in a task log: its warnings and errors only."""

from __future__ import annotations

import logging
import subprocess
import sys


def test_importing_and_running_gx_logs_nothing_below_warning() -> None:
    script = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stdout)\n"
        "import pandas as pd\n"
        "from pipelines.validate.gx_runner import validate_frame\n"
        "from pipelines.validate.suites import ExpectationSpec\n"
        "spec = ExpectationSpec('expect_column_values_to_not_be_null', {'column': 'x'}, "
        "'critical', 'x is set', 'x_set')\n"
        "print(validate_frame('t', pd.DataFrame({'x': [1, None]}), [spec])[0].success)\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True
    )
    lines = process.stdout.splitlines()
    assert lines[-1] == "False"
    assert [line for line in lines if "great_expectations" in line] == []


def test_a_gx_warning_still_shows() -> None:
    from pipelines.validate.gx_runner import batch_definition

    batch_definition()
    assert logging.getLogger("great_expectations.data_context.types.base").isEnabledFor(
        logging.WARNING
    )
    assert not logging.getLogger("great_expectations.data_context.types.base").isEnabledFor(
        logging.INFO
    )

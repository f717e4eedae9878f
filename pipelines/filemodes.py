"""Files the pipeline writes hold personal data: no access for other users (LOYALTY_UMASK)."""

from __future__ import annotations

import os

from pipelines.config import Settings


def restrict_new_files(settings: Settings) -> None:
    """Apply the settings' umask to this process: every file and folder it creates from now on.

    Called once where a process starts its work: the `loyalty` entry point and each Airflow
    task's call into pipelines.orchestration. The default 027 leaves the warehouse, snapshot,
    reports and landing copies readable by owner and group only.
    """
    os.umask(settings.umask)

"""Releasing a quarantined file after a person's decision, kept in audit.releases."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.errors import LoyaltyError
from pipelines.validate.gate import OpenQuarantine, open_quarantines


@dataclass(frozen=True)
class Release:
    """What `loyalty release` decided about one file."""

    file: OpenQuarantine
    decision: str
    reason: str
    released_by: str


def find_open_quarantine(con: duckdb.DuckDBPyConnection, name: str) -> OpenQuarantine:
    """The open quarantine a file name or path names; an error that says why when there is none."""
    wanted = Path(name)
    same_name = [f for f in open_quarantines(con) if f.file_name == wanted.name]
    if len(same_name) > 1:
        same_path = [f for f in same_name if Path(f.path).resolve() == wanted.resolve()]
        if len(same_path) != 1:
            paths = ", ".join(f.path for f in same_name)
            raise LoyaltyError(
                f"{name} names more than one quarantined file ({paths}): give its path"
            )
        return same_path[0]
    if same_name:
        return same_name[0]
    raise LoyaltyError(not_open_reason(con, wanted.name))


def not_open_reason(con: duckdb.DuckDBPyConnection, file_name: str) -> str:
    """Why a file name has no open validation quarantine, from the ledger."""
    row = con.execute(
        """
        select status, reason, exists (
            select 1 from audit.validation_results as results
            where results.file_id = files.file_id and results.severity = 'critical'
                and not results.success
        )
        from audit.files as files
        where file_name = ?
        order by file_id desc
        limit 1
        """,
        [file_name],
    ).fetchone()
    if row is None:
        return (
            f"no file named {file_name} in the ledger; `loyalty status` lists the quarantined files"
        )
    status, reason, failed_validation = row
    if status == "quarantined" and not failed_validation:
        return (
            f"{file_name} was quarantined when it was read ({reason}); none of its rows were "
            "loaded, so there is nothing to release: deliver a corrected file under the same name"
        )
    if status == "quarantined":
        return f"{file_name} is already released or replaced; `loyalty status` shows what is open"
    return f"{file_name} is not quarantined (status {status}); there is nothing to release"


def release_file(
    con: duckdb.DuckDBPyConnection, name: str, reason: str, released_by: str, exclude: bool
) -> Release:
    """Accept a quarantined file's rows (or exclude them for good) so the build goes on.

    Accepted rows reach the marts at the next build; excluded rows never do. Either way the
    decision, who made it, when and why are kept in audit.releases.
    """
    if not reason.strip():
        raise LoyaltyError("say why with --reason: the release is kept in audit.releases")
    file = find_open_quarantine(con, name)
    decision = "excluded" if exclude else "accepted"
    con.execute("begin transaction")
    try:
        con.execute(
            "insert into audit.releases values (?, ?, ?, ?, ?, ?, now(), ?)",
            [
                file.file_id,
                file.entity,
                file.file_name,
                decision,
                reason.strip(),
                released_by,
                file.reason,
            ],
        )
        if not exclude:
            con.execute(
                "update audit.files set status = 'validated' where file_id = ?", [file.file_id]
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return Release(file, decision, reason.strip(), released_by)

"""Files most of whose rows were rejected for one reason: named, with what to do about it."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.config import SQL_DIR


@dataclass(frozen=True)
class MostlyRejected:
    """Files and the one reason that rejected most of the rows of each."""

    file_names: list[str]
    column: str | None
    reason: str
    value: str | None
    rows_rejected: int
    rows_in_file: int
    currency: str

    def line(self) -> str:
        """E.g. "all 69,659 rows of orders.csv rejected: currency USD, reporting currency EUR (set
        LOYALTY_CURRENCY)"."""
        if self.rows_rejected == self.rows_in_file:
            share = f"all {self.rows_in_file:,}"
        else:
            share = f"{self.rows_rejected:,} of {self.rows_in_file:,}"
        if len(self.file_names) == 1:
            files = self.file_names[0]
        else:
            files = f"{len(self.file_names)} files ({self.file_names[0]} … {self.file_names[-1]})"
        return f"{share} rows of {files} rejected: {self.cause()}"

    def cause(self) -> str:
        if self.column == "currency" and self.value:
            return (
                f"currency {self.value}, reporting currency {self.currency} (set LOYALTY_CURRENCY)"
            )
        return f"{self.column}: {self.reason}" if self.column else self.reason


def mostly_rejected(
    con: duckdb.DuckDBPyConnection, run_id: int, currency: str
) -> list[MostlyRejected]:
    """The files `run_id` loaded that one reason rejected more than half of the rows of."""
    sql = (SQL_DIR / "status" / "mostly_rejected.sql").read_text()
    rows = con.execute(sql, {"run_id": run_id}).fetchall()
    return [MostlyRejected(*row, currency=currency) for row in rows]

"""Which landing files are candidates, and waiting until a file's writer is done with it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from pipelines.ingest.entities import ENTITIES, Entity
from pipelines.ingest.text import shown

STILL_WRITTEN = "the file is still being written; it is left for the next run"
IGNORED_SUFFIXES = (".ready", ".part", ".tmp", ".crdownload", ".filepart")


class FileChanged(Exception):
    """The file changed while it was read: its writer is not done."""


def landing_files(
    landing: Path, entities: list[str] | None = None
) -> Iterator[tuple[Entity, Path]]:
    """Every candidate export file in the landing zone, by entity, in name order.

    Links are candidates too (the ingest quarantines those that leave the landing zone);
    a link to a folder inside the landing zone is not, its files are found where they are.
    """
    for entity in ENTITIES.values():
        if entities and entity.name not in entities:
            continue
        folder = landing / entity.folder
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_symlink() or p.is_file()):
            if path.name.startswith((".", "_")) or path.name.endswith(IGNORED_SUFFIXES):
                continue
            if path.is_symlink() and path.is_dir() and link_problem(path, landing, folder) is None:
                continue
            yield entity, path


def link_problem(path: Path, landing: Path, folder: Path) -> str | None:
    """Why a link may not be followed: it points to nothing, or out of the landing zone."""
    if not path.is_symlink():
        return None
    try:
        target = path.resolve()
    except (OSError, RuntimeError):
        return "a symbolic link that leads in a loop; it is not followed"
    if not target.exists():
        return f"a symbolic link that points to nothing ({shown(target)}); it is not followed"
    roots = (landing.resolve(), folder.resolve())
    if not any(target.is_relative_to(root) for root in roots):
        return (
            f"a symbolic link to {shown(target)}, outside the landing zone; links out of it "
            "are not followed: copy the file into the landing zone instead"
        )
    if not target.is_file():
        return f"a symbolic link to {shown(target)}, which is not a file"
    return None


def fingerprint(path: Path) -> tuple[int, int] | None:
    """Size and modification time; None once the file is gone."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns


def settled(path: Path, ready_flag: Path, settle_seconds: float) -> tuple[int, int] | None:
    """The file's fingerprint once it has been still for `settle_seconds`, else None.

    A writer that is still appending keeps the modification time young; such a file is
    waited for at most `settle_seconds` and then left for the next run. A `_ready` flag
    touched after the file's last change settles it at once.
    """
    deadline = time.monotonic() + settle_seconds
    while (seen := fingerprint(path)) is not None:
        mtime = seen[1] / 1e9
        age = time.time() - mtime
        flagged = ready_flag.exists() and ready_flag.stat().st_mtime_ns >= seen[1]
        if age >= settle_seconds or flagged:
            return seen
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        time.sleep(min(settle_seconds - age, remaining) + 0.01)
    return None

"""pipelines/ingest/settling.py on tiny folders: which files are candidates, links, settling."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipelines.ingest.entities import ENTITIES, FLAG_NAME
from pipelines.ingest.settling import fingerprint, landing_files, link_problem, settled

ORDERS = ENTITIES["orders"].folder


@pytest.mark.parametrize(
    ("name", "candidate"),
    [
        ("orders.csv", True),
        ("nested/orders.ndjson", True),
        ("orders.csv.part", False),
        ("orders.csv.tmp", False),
        ("download.crdownload", False),
        (".hidden.csv", False),
        ("_ready", False),
        (FLAG_NAME, False),
    ],
)
def test_landing_files_skips_partial_hidden_and_flag_files(
    tmp_path: Path, name: str, candidate: bool
) -> None:
    path = tmp_path / ORDERS / name
    path.parent.mkdir(parents=True)
    path.write_text("x\n")
    found = [p for entity, p in landing_files(tmp_path) if entity.name == "orders"]
    assert found == ([path] if candidate else [])


def test_landing_files_keeps_entity_order_and_filters_entities(tmp_path: Path) -> None:
    for entity in ("orders", "customers"):
        folder = tmp_path / ENTITIES[entity].folder
        folder.mkdir(parents=True)
        for name in ("b.csv", "a.csv"):
            (folder / name).write_text("x\n")
    found = [(e.name, p.name) for e, p in landing_files(tmp_path)]
    names = list(ENTITIES)
    assert found == sorted(found, key=lambda pair: (names.index(pair[0]), pair[1]))
    assert {e.name for e, _ in landing_files(tmp_path, ["customers"])} == {"customers"}


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("inside", None),
        ("outside", "outside the landing zone"),
        ("missing", "points to nothing"),
        ("folder", "which is not a file"),
    ],
)
def test_link_problem_names_what_is_wrong(tmp_path: Path, target: str, problem: str | None) -> None:
    landing, folder = tmp_path / "landing", tmp_path / "landing" / ORDERS
    folder.mkdir(parents=True)
    (folder / "inside.csv").write_text("x\n")
    (tmp_path / "outside.csv").write_text("x\n")
    (folder / "sub").mkdir()
    targets = {
        "inside": folder / "inside.csv",
        "outside": tmp_path / "outside.csv",
        "missing": tmp_path / "gone.csv",
        "folder": folder / "sub",
    }
    link = folder / "link.csv"
    link.symlink_to(targets[target])
    found = link_problem(link, landing, folder)
    assert (found is None) if problem is None else (problem in str(found))
    assert link_problem(folder / "inside.csv", landing, folder) is None


def test_a_file_changed_within_the_settle_time_is_left_for_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("x\n")
    young = time.time() + 3600
    os.utime(path, (young, young))
    assert settled(path, tmp_path / FLAG_NAME, settle_seconds=0.2) is None


def test_an_old_file_or_a_newer_flag_settles_at_once(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("x\n")
    old = time.time() - 120
    os.utime(path, (old, old))
    assert settled(path, tmp_path / FLAG_NAME, settle_seconds=60) == fingerprint(path)
    fresh = tmp_path / "fresh.csv"
    fresh.write_text("y\n")
    (tmp_path / FLAG_NAME).touch()
    assert settled(fresh, tmp_path / FLAG_NAME, settle_seconds=60) == fingerprint(fresh)


def test_a_file_that_is_gone_has_no_fingerprint(tmp_path: Path) -> None:
    assert fingerprint(tmp_path / "gone.csv") is None
    assert settled(tmp_path / "gone.csv", tmp_path / FLAG_NAME, settle_seconds=0) is None

"""DuckLake's extensions come from the installed packages, signature-checked, never downloaded."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.warehouse_ducklake import OFFLINE_CONFIG, extension_directory, offline_connection

# Run with no network at all (a new, empty network namespace): the extensions load, a
# DuckLake is written and read, and an extension that is not installed cannot be fetched.
OFFLINE_SCRIPT = """
import json, sys
from pipelines.warehouse_ducklake import offline_connection
con = offline_connection(("ducklake", "postgres", "httpfs"), "1GB")
con.execute("set custom_extension_repository = 'http://127.0.0.1:9/'")
folder = sys.argv[1]
con.execute(f"attach 'ducklake:{folder}/catalog.ducklake' as lake (data_path '{folder}/data/')")
con.execute("create table lake.numbers as select range as n from range(5)")
total = con.execute("select sum(n) from lake.numbers").fetchone()[0]
try:
    con.execute("install spatial")
    fetched = True
except Exception:
    fetched = False
loaded = con.execute(
    "select extension_name, install_path from duckdb_extensions() "
    "where loaded and install_mode <> 'STATICALLY_LINKED'"
).fetchall()
print(json.dumps({"total": total, "fetched": fetched, "loaded": loaded}))
"""


def test_the_extensions_load_and_work_without_any_network(tmp_path: Path) -> None:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is needed to run without a network")
    if subprocess.run([unshare, "-rn", "true"], check=False).returncode != 0:
        pytest.skip("this machine does not allow a process its own empty network namespace")
    done = subprocess.run(
        [unshare, "-rn", sys.executable, "-c", OFFLINE_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["total"] == 10
    assert answer["fetched"] is False
    loaded = dict(answer["loaded"])
    assert set(loaded) == {"ducklake", "postgres_scanner", "httpfs"}
    for path in loaded.values():
        assert path.startswith(extension_directory())


def test_connections_never_install_or_load_on_their_own() -> None:
    con = offline_connection(("ducklake",), "1GB")
    settings = dict(
        con.execute(
            "select name, value from duckdb_settings() where name in ?", [list(OFFLINE_CONFIG)]
        ).fetchall()
    )
    assert settings == {name: "false" for name in OFFLINE_CONFIG}
    # excel is a known extension that is not installed: no autoload, no download
    with pytest.raises(duckdb.Error, match=r"excel|read_xlsx"):
        con.execute("select * from read_xlsx('nothing.xlsx')")


def test_a_tampered_extension_file_is_refused(tmp_path: Path) -> None:
    installed = next(Path(extension_directory()).glob("v*/*/ducklake.duckdb_extension"))
    copy = tmp_path / installed.relative_to(extension_directory())
    copy.parent.mkdir(parents=True)
    data = bytearray(installed.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    con = duckdb.connect(config={**OFFLINE_CONFIG, "extension_directory": str(tmp_path)})
    with pytest.raises(duckdb.Error, match="signature"):
        con.execute("load ducklake")

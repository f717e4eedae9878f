"""No text from a file, a mapping or a setting reaches SQL through an f-string.

The test reads the source of every module of `pipelines/` and finds the f-strings that
build SQL: those handed to `execute`/`executemany`, those whose text looks like SQL,
those assigned to or returned as `*_sql`, and every f-string nested in one of them.
Each value such an f-string interpolates must be one of:

- the output of the quoting helper (`pipelines.quoting`: ident, qualified, literal, ...);
- an integer, written `{value:d}` (the format fails on anything else);
- a constant the code defines (an UPPER_CASE name, or an entry of one);
- a fragment of SQL the code built the same way: a name or call ending in `sql`;
- an f-string, a `.join(...)` or a conditional made only of the above.

Text for people is not checked: error messages (raised, or passed to an exception),
printed lines, file names joined to a folder with `/`, and pipelines/docs.py, which
writes Markdown pages.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import pipelines.quoting
from pipelines.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "pipelines"
HELPERS = set(pipelines.quoting.__all__)
EXECUTORS = {"execute", "executemany", "sql", "query", "inserted", "read_batch"}
MESSAGE_SINKS = ("Error", "Exception", "File", "Columns", "Changed", "print", "echo")
NOT_SQL = {"docs.py"}
LOOKS_LIKE_SQL = re.compile(
    r"(?i)(\bselect\b.*\bfrom\b|\binsert into\b|\bdelete from\b|\bupdate\b.*\bset\b|"
    r"\bcreate (or replace )?(temp |temporary )?(table|schema|view|macro)\b|\bdrop (table|schema|view)\b|"
    r"\balter table\b|\battach\b|\bdetach\b|\bcopy\b.*\bto\b|\bcomment on\b|^\s*set \w+\s*=|"
    r"^\s*use\b|\bcheckpoint\b|\bread_(csv|parquet|json)|\bcase\b.*\bwhen\b|\bcoalesce\(|\bnullif\(|"
    r"\btry_cast\(|\bcast\(|\bjson_\w+\(|\bstrptime\(|\bregexp_\w+\(|\bconcat_ws\(|\bsplit_part\(|"
    r"\bwhere\b|\bgroup by\b|\bleft join\b|\bover \(\))"
)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    value: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {{{self.value}}}"


def literal_text(node: ast.JoinedStr) -> str:
    return "".join(
        v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
    )


def final_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def fstrings(node: ast.AST) -> list[ast.JoinedStr]:
    """The f-strings in an expression, except file names joined to a folder with `/`."""
    if isinstance(node, ast.JoinedStr):
        return [node]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return []
    return [found for child in ast.iter_child_nodes(node) for found in fstrings(child)]


def safe(node: ast.expr) -> bool:
    """Whether an interpolated expression is SQL text the code itself made."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(safe_value(v) for v in node.values if isinstance(v, ast.FormattedValue))
    if isinstance(node, ast.IfExp):
        return safe(node.body) and safe(node.orelse)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return safe(node.left) and safe(node.right)
    if isinstance(node, ast.Subscript):
        return safe(node.value)
    if isinstance(node, ast.Call):
        name = final_name(node.func)
        if name in HELPERS or (name and name.endswith("sql")):
            return True
        if name == "join" and len(node.args) == 1:
            argument = node.args[0]
            if isinstance(argument, ast.GeneratorExp | ast.ListComp):
                return safe(argument.elt)
            return safe(argument)
        return False
    name = final_name(node)
    if name is None:
        return False
    return name.isupper() or name == "sql" or name.endswith("_sql")


def safe_value(value: ast.FormattedValue) -> bool:
    spec = value.format_spec
    if isinstance(spec, ast.JoinedStr) and literal_text(spec) == "d" and len(spec.values) == 1:
        return True
    return value.conversion == -1 and spec is None and safe(value.value)


class SqlFStrings(ast.NodeVisitor):
    """Collect the f-strings of a module that build SQL, and those that need no check: text
    for people, and the arguments of the quoting helpers (their output is safe whatever
    goes in)."""

    def __init__(self) -> None:
        self.sql: list[ast.JoinedStr] = []
        self.exempt: set[int] = set()

    def visit_Raise(self, node: ast.Raise) -> None:
        self.exempt.update(id(child) for child in ast.walk(node))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = final_name(node.func) or ""
        if name.endswith(MESSAGE_SINKS) or name in HELPERS:
            self.exempt.update(id(child) for child in ast.walk(node) if child is not node)
        if name in EXECUTORS:
            for argument in node.args[:1]:
                self.sql.extend(fstrings(argument))
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if any((final_name(t) or "").endswith("sql") for t in node.targets):
            self.sql.extend(fstrings(node.value))
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name.endswith("sql"):
            for statement in ast.walk(node):
                if isinstance(statement, ast.Return) and statement.value is not None:
                    self.sql.extend(fstrings(statement.value))
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        if LOOKS_LIKE_SQL.search(literal_text(node)):
            self.sql.append(node)
        self.generic_visit(node)


def findings(path: Path, root: Path = PROJECT_ROOT) -> list[Finding]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    visitor = SqlFStrings()
    visitor.visit(tree)
    result = []
    seen: set[int] = set()
    for node in visitor.sql:
        for nested in ast.walk(node):
            if not isinstance(nested, ast.JoinedStr) or id(nested) in seen:
                continue
            seen.add(id(nested))
            if id(nested) in visitor.exempt:
                continue
            for value in nested.values:
                if isinstance(value, ast.FormattedValue) and not safe_value(value):
                    relative = str(path.relative_to(root))
                    result.append(Finding(relative, value.lineno, ast.unparse(value.value)))
    return sorted(set(result), key=lambda f: (f.path, f.line, f.value))


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name not in NOT_SQL)


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_sql_f_strings_interpolate_only_code_or_quoted_text(path: Path) -> None:
    found = findings(path)
    assert not found, "SQL built from unquoted text:\n" + "\n".join(map(str, found))


def test_the_checker_finds_what_it_must(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def load(con, name, path, n, parts_sql):\n"
        "    con.execute(f'select * from {name}')\n"
        "    con.execute(f\"attach '{path}' as w\")\n"
        "    con.execute(f'select {n:d}, {ident(name)}, {parts_sql}, {LIMIT}')\n"
        "    where = f'where x = {name}'\n"
        "    raise ValueError(f'select {name} failed')\n"
    )
    assert [f.value for f in findings(sample, tmp_path)] == ["name", "path", "name"]

"""sources.yaml and the presets as data: strict YAML, and checks that name the option at fault."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pipelines.errors import LoyaltyError

# A source configuration is a few kilobytes; anything near this is not one.
MAX_BYTES = 1 << 20


class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader without anchors and aliases (no alias bombs) or repeated keys."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.MarkedYAMLError(
                problem="uses YAML anchors or aliases", problem_mark=event.start_mark
            )
        return super().compose_node(parent, index)  # type: ignore[arg-type]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.MarkedYAMLError(
                    problem=f"repeats the key {key!r}", problem_mark=key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML file whose top level is a mapping; every problem is a LoyaltyError naming the file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoyaltyError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise LoyaltyError(f"{path} is larger than {MAX_BYTES:,} bytes; is it the right file?")
    try:
        content = yaml.load(data.decode("utf-8"), Loader=StrictLoader)
    except UnicodeDecodeError:
        raise LoyaltyError(f"{path} is not UTF-8 text") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        if exc.problem and exc.problem.startswith("uses YAML"):
            raise LoyaltyError(f"{path} {exc.problem}{where}; write every value out once") from None
        if exc.problem and exc.problem.startswith("repeats"):
            raise LoyaltyError(f"{path} {exc.problem}{where}; keep one of them") from None
        raise LoyaltyError(f"{path} is not valid YAML{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise LoyaltyError(f"{path} is not valid YAML: {exc}") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise LoyaltyError(
            f"{path} must be a mapping of sections (name: value), not a {type(content).__name__}"
        )
    return content


def section(where: str, value: object) -> dict[str, Any]:
    """An optional mapping-valued option: None is empty, anything else must be a mapping."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise LoyaltyError(f"{where} must be a mapping (name: value), got {value!r}")
    return value


def known_options(where: str, options: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    unknown = set(options) - allowed
    if unknown:
        raise LoyaltyError(
            f"{where}: unknown option(s) {', '.join(sorted(map(str, unknown)))}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    return options


def whole_number(where: str, value: object, low: int, high: int | None = None) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        upper = f" and at most {high}" if high is not None else ""
        raise LoyaltyError(
            f"{where} must be a whole number of at least {low}{upper}, got {value!r}"
        )
    return value


def share(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise LoyaltyError(f"{where} must be a number between 0 and 1 (more than 0), got {value!r}")
    return float(value)


def boolean(where: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise LoyaltyError(f"{where} must be true or false, got {value!r}")
    return value


def text(where: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float) or str(value) == "":
        raise LoyaltyError(f"{where} must be a text, got {value!r}")
    return str(value)

"""The production deployment's secrets: refuse weak ones, write strong ones into .env.

`python -m pipelines.deploy_secrets` checks the secrets in the environment and exits 1 with
one line per weak secret (docker-compose.yml runs it before any other service);
`python -m pipelines.deploy_secrets write .env` (`make secrets`) fills .env with strong
random values and gives it mode 0600. Standard library only: it runs on a host without
the project's virtual environment.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["password", "token", "fernet"]
ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


@dataclass(frozen=True)
class Secret:
    """One secret of the deployment: its variable, what it protects, how strong it must be."""

    name: str
    kind: Kind
    min_length: int
    protects: str


SECRETS = (
    Secret("POSTGRES_PASSWORD", "password", 24, "the Airflow metadata database"),
    Secret("REDIS_PASSWORD", "password", 24, "Redis, the Celery broker and event channel"),
    Secret("AIRFLOW_FERNET_KEY", "fernet", 44, "connections and variables stored by Airflow"),
    Secret("AIRFLOW_JWT_SECRET", "token", 32, "the API's login tokens"),
    Secret("AIRFLOW_API_SECRET_KEY", "token", 32, "the UI's session cookies"),
    Secret("AIRFLOW_ADMIN_PASSWORD", "password", 16, "the first admin's login"),
    Secret("LOYALTY_PII_SALT", "token", 16, "hashed e-mail columns, privacy.email_columns: hash"),
    Secret("AWS_SECRET_ACCESS_KEY", "token", 24, "the DuckLake bucket, MinIO's root login"),
)
# Values people leave in place, compared in lower case without punctuation.
PLACEHOLDERS = {
    "admin",
    "airflow",
    "changeme",
    "changethis",
    "default",
    "example",
    "none",
    "null",
    "password",
    "placeholder",
    "postgres",
    "redis",
    "secret",
    "test",
    "todo",
}
# Passwords go into connection URLs (postgresql://user:password@host): unreserved URL characters only.
URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")
MIN_DISTINCT_CHARACTERS = 10
FIX = (
    "run `make secrets` (writes .env with strong random values, mode 0600), "
    "or put values at least that long in .env yourself; then `docker compose up -d` again"
)


def problem(secret: Secret, value: str) -> str | None:
    """Why `value` is too weak for `secret`, or None when it will do."""
    if not value:
        return "is empty"
    if re.sub(r"[^a-z0-9]", "", value.lower()) in PLACEHOLDERS or "change" in value.lower():
        return "is a placeholder, the first value anyone tries"
    if secret.kind == "fernet":
        return fernet_problem(value)
    if len(value) < secret.min_length:
        return f"has {len(value)} characters; it needs at least {secret.min_length}"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return (
            f"repeats a few characters; it needs at least {MIN_DISTINCT_CHARACTERS} different ones"
        )
    if secret.kind == "password" and not URL_SAFE.fullmatch(value):
        return "has characters that break a connection URL; use letters, digits, '.', '_', '~', '-'"
    return None


def fernet_problem(value: str) -> str | None:
    """Airflow encrypts with Fernet: the key is 32 random bytes, URL-safe base64."""
    try:
        key = base64.b64decode(value.encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return "is not URL-safe base64 (a Fernet key is 32 random bytes, base64-encoded)"
    if len(key) != 32:
        return f"decodes to {len(key)} bytes; a Fernet key is 32"
    if len(set(key)) < MIN_DISTINCT_CHARACTERS:
        return "is not random"
    return None


def weak_secrets(env: dict[str, str]) -> dict[str, str]:
    """Each secret in `env` that is missing, a placeholder, too short, malformed or reused: why."""
    weak = {}
    seen: dict[str, str] = {}
    for secret in SECRETS:
        value = env.get(secret.name, "")
        reason = problem(secret, value)
        if reason is None and value in seen:
            reason = f"is the same as {seen[value]}; every secret needs its own value"
        if reason is not None:
            weak[secret.name] = (
                f"{reason} (it protects {secret.protects}; at least {secret.min_length} characters)"
            )
        seen.setdefault(value, secret.name)
    return weak


def new_value(secret: Secret) -> str:
    if secret.kind == "fernet":
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
    return secrets.token_urlsafe(32)


def read_env_file(text: str) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments and blank lines skipped, one level of quotes removed)."""
    values = {}
    for line in text.splitlines():
        match = re.match(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$", line)
        if match and not line.lstrip().startswith("#"):
            value = match.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            values[match.group(1)] = value
    return values


def with_strong_secrets(text: str) -> tuple[str, list[str]]:
    """`text` (a .env file) with every weak secret replaced by a random value; the names replaced.

    Strong secrets are kept: a new Fernet key would make stored connections unreadable, and
    PostgreSQL keeps the password it was first started with.
    """
    by_name = {secret.name: secret for secret in SECRETS}
    replaced = list(weak_secrets(read_env_file(text)))
    for name in replaced:
        line = f"{name}={new_value(by_name[name])}"
        pattern = re.compile(rf"^[ \t]*(?:export[ \t]+)?{name}[ \t]*=.*$", re.M)
        text, count = pattern.subn(lambda _, line=line: line, text, count=1)
        if not count:
            text = text.rstrip("\n") + f"\n{line}\n"
    return text, replaced


def write_env(target: Path, template: Path) -> list[str]:
    """Write `target` (from `template` when it does not exist) with strong secrets, mode 0600."""
    text = target.read_text() if target.exists() else template.read_text()
    text, replaced = with_strong_secrets(text)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    partial.unlink(missing_ok=True)
    handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w") as out:
        out.write(text)
    partial.replace(target)
    target.chmod(0o600)
    return replaced


def main(argv: list[str]) -> int:
    if argv[:1] == ["write"] and len(argv) == 2:
        target = Path(argv[1])
        replaced = write_env(target, ENV_EXAMPLE)
        names = ", ".join(replaced) if replaced else "none (every secret was already strong)"
        print(f"wrote {target} (mode 0600); new random values: {names}")
        print("the first admin logs in as AIRFLOW_ADMIN_USER with AIRFLOW_ADMIN_PASSWORD from it")
        return 0
    if argv:
        print("usage: python -m pipelines.deploy_secrets [write .env]", file=sys.stderr)
        return 2
    weak = weak_secrets(dict(os.environ))
    for name, reason in weak.items():
        print(f"refusing to start: {name} {reason}", file=sys.stderr)
    if weak:
        print(f"to fix: {FIX}", file=sys.stderr)
        return 1
    print(f"secrets: all {len(SECRETS)} are set and strong")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

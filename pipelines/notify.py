"""Publish "new export" messages on Redis for the ingestion DAGs' message watchers."""

from __future__ import annotations

import json
import os

from pipelines.errors import LoyaltyError
from pipelines.ingest.entities import ENTITIES


def channel_for(entity: str, prefix: str) -> str:
    """The channel of the entity's source system, e.g. loyalty.shop for orders."""
    if entity not in ENTITIES:
        raise LoyaltyError(f"unknown entity {entity!r}; entities are {', '.join(ENTITIES)}")
    return f"{prefix}.{ENTITIES[entity].system}"


def notify(
    entity: str, files: list[str], redis_url: str | None = None, prefix: str | None = None
) -> tuple[str, int]:
    """Publish {"entity", "files"} on the system's channel; returns the channel and the listeners reached."""
    import redis

    url = redis_url or os.environ.get("LOYALTY_REDIS_URL", "redis://127.0.0.1:6379/1")
    channel = channel_for(
        entity, prefix or os.environ.get("LOYALTY_REDIS_CHANNEL_PREFIX", "loyalty")
    )
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5)
        listeners = int(client.publish(channel, json.dumps({"entity": entity, "files": files})))
    except redis.RedisError as exc:
        raise LoyaltyError(
            f"cannot publish on {url} ({exc}); is Redis running and LOYALTY_REDIS_URL right?"
        ) from exc
    return channel, listeners

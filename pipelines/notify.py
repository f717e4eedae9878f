"""Publish "new export" messages on Redis, and receive them, for the ingestion's message watchers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pipelines.errors import LoyaltyError
from pipelines.ingest.entities import ENTITIES

# The channel prefix when LOYALTY_REDIS_CHANNEL_PREFIX is empty (the DAGs then do not listen).
DEFAULT_CHANNEL_PREFIX = "loyalty"

if TYPE_CHECKING:
    import redis.asyncio


class NobodyListening(LoyaltyError):
    """A message was published, but no watcher is subscribed to its channel."""


def channel_for(entity: str, prefix: str) -> str:
    """The channel of the entity's source system, e.g. loyalty.shop for orders."""
    if entity not in ENTITIES:
        raise LoyaltyError(f"unknown entity {entity!r}; entities are {', '.join(ENTITIES)}")
    return f"{prefix}.{ENTITIES[entity].system}"


def without_password(url: str) -> str:
    """A Redis URL fit for a message: host, port and database, no credentials."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def notify(entity: str, files: list[str], redis_url: str, prefix: str) -> tuple[str, int]:
    """Publish {"entity", "files"} on the system's channel; returns the channel and the listeners reached.

    Pub/sub keeps nothing: a message nobody receives is lost, so that is an error, not a note.
    """
    import redis

    channel = channel_for(entity, prefix)
    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=5)
        listeners = int(client.publish(channel, json.dumps({"entity": entity, "files": files})))
    except redis.RedisError as exc:
        raise LoyaltyError(
            f"cannot publish on {without_password(redis_url)} ({exc}); is Redis running and "
            "LOYALTY_REDIS_URL right?"
        ) from exc
    if listeners == 0:
        folder = ENTITIES[entity].folder
        raise NobodyListening(
            f"nobody listens on {channel} at {without_password(redis_url)}, so the message is lost: "
            "no Airflow message watcher is running. Start Airflow with "
            f"LOYALTY_REDIS_CHANNEL_PREFIX={channel.rsplit('.', 1)[0]} and the same Redis "
            f"(`make airflow` does when Redis runs), or touch {folder}/_ready in the landing "
            "zone instead; otherwise the hourly run picks the files up."
        )
    return channel, listeners


async def messages(client: redis.asyncio.Redis, channel: str) -> AsyncIterator[dict[str, str]]:
    """Every message published on `channel` from now on, the moment it arrives (no polling)."""
    async with client.pubsub() as pubsub:
        await pubsub.subscribe(channel)
        async for message in pubsub.listen():
            if message["type"] == "message":
                data = message["data"]
                yield {
                    "channel": channel,
                    "data": data.decode() if isinstance(data, bytes) else str(data),
                }

"""The Airflow trigger that wakes the ingestion the moment a Redis message is published.

The common-messaging provider's `redis+pubsub` trigger polls (60 s apart unless told
otherwise) and ends after each message; the triggerer restarts it a second or two later,
and whatever is published in that gap is lost, since pub/sub keeps nothing. This trigger
stays subscribed, reads with a blocking call and yields every message at once.

It is the one module of the package that imports Airflow: Airflow's triggerer loads a
trigger by its class path from an installed package, and only Airflow processes (the DAG
files and the triggerer) import this module. The message handling itself is
`pipelines.notify.messages`, plain Python.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import redis
import redis.asyncio
from airflow.sdk import BaseHook
from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from pipelines.notify import messages

RECONNECT_SECONDS = 5.0


async def redis_client(conn_id: str) -> redis.asyncio.Redis:
    """An asyncio Redis client for the Airflow connection `conn_id` (host, port, login, password)."""
    conn = await BaseHook.aget_connection(conn_id)
    return redis.asyncio.Redis(
        host=conn.host or "127.0.0.1",
        port=conn.port or 6379,
        username=conn.login or None,
        password=conn.password or None,
        ssl=bool(conn.extra_dejson.get("ssl", False)),
        socket_keepalive=True,
        health_check_interval=30,
    )


class ExportMessageTrigger(BaseEventTrigger):
    """Fires for every message on one Redis pub/sub channel; resubscribes after a Redis outage."""

    def __init__(self, *, channel: str, redis_conn_id: str = "loyalty_redis") -> None:
        super().__init__()
        self.channel = channel
        self.redis_conn_id = redis_conn_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"channel": self.channel, "redis_conn_id": self.redis_conn_id},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            try:
                client = await redis_client(self.redis_conn_id)
                async with client:
                    async for payload in messages(client, self.channel):
                        yield TriggerEvent(payload)
            except (redis.RedisError, OSError) as exc:
                self.log.warning(
                    "Redis connection %s: %s; subscribing to %s again in %.0f s",
                    self.redis_conn_id,
                    exc,
                    self.channel,
                    RECONNECT_SECONDS,
                )
                await asyncio.sleep(RECONNECT_SECONDS)

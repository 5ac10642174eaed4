"""The Celery app: configuration comes from Django settings (CELERY_* names)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shadowvault.settings")

app = Celery("shadowvault")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Routing by task module: the first matching prefix names the queue; anything else runs on
# `default`. Queues split by resource: network (fetch; torrent, whose swarms can take long or
# stall, in slots of their own), CPU (media), upload bandwidth.
QUEUE_BY_TASK_PREFIX = (
    ("ingest.tasks.fetch_", "fetch"),
    ("ingest.tasks.torrent_", "torrent"),
    ("ingest.tasks.sanitise_", "media"),
    ("ingest.tasks.webversion_", "media"),
    ("ingest.tasks.store_", "upload"),
    ("readvault.tasks.", "readvault"),
)


def route_task(
    name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any
) -> dict:
    for prefix, queue in QUEUE_BY_TASK_PREFIX:
        if name.startswith(prefix):
            return {"queue": queue}
    return {"queue": "default"}


QUEUES = ("default", "fetch", "torrent", "media", "upload", "readvault")
# One direct exchange per queue, so a message routed to `fetch` lands in `fetch` only.
app.conf.task_queues = [Queue(name, Exchange(name), routing_key=name) for name in QUEUES]
app.autodiscover_tasks()

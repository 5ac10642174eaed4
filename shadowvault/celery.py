"""The Celery app: configuration comes from Django settings (CELERY_* names)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.contrib.django.task import DjangoTask
from kombu import Exchange, Queue

from .database_down import DATABASE_DOWN

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shadowvault.settings")


class Task(DjangoTask):
    """Every task's base: a task that finds the database unreachable (a restart, a failover)
    runs again after 1 s, then 2, 4 ... up to a minute (jittered, so a queue of them does not
    return at once), for some ten minutes in all, rather than failing for good. A retry
    keeps its task id, so a leased ingest step claims its job again."""

    autoretry_for = DATABASE_DOWN
    retry_backoff = 1
    retry_backoff_max = 60
    retry_kwargs = {"max_retries": 25}


app = Celery("shadowvault", task_cls=Task)
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

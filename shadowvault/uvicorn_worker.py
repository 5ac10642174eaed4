"""gunicorn's uvicorn worker for Django: Django's ASGI app has no lifespan protocol."""

from __future__ import annotations

from uvicorn_worker import UvicornWorker


class DjangoUvicornWorker(UvicornWorker):
    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "lifespan": "off"}

"""The origin process's ASGI entry point: `uvicorn streaming.origin_asgi:app`."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shadowvault.settings")
django.setup()

from shadowvault.storage import storage_backend  # noqa: E402
from streaming.objects import stored_object  # noqa: E402
from streaming.origin import Origin  # noqa: E402
from streaming.signing import origin_secret  # noqa: E402

app = Origin(secret=origin_secret(), resolve=stored_object, backend=storage_backend)

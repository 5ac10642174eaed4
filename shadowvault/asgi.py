from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shadowvault.settings")
django_application = get_asgi_application()  # sets Django up before the imports below

from streaming.gate import StreamGate  # noqa: E402

# Stream authorize calls (`/s/…`, one per player range request) skip the middleware stack.
application = StreamGate(django_application)

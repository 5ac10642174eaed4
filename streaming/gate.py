"""The gateway's authorize calls (`/s/…`), answered without Django's request machinery.

nginx asks web once for every range request a player makes, so this call sits in every seek.
Through Django's full stack it cost 8-10 ms a call on a 2-core machine, nearly all of it
waiting for threads: each sync middleware, signal and database lookup is a hop to a thread
(and Django's ASGI handler starts a fresh thread, so a fresh database connection, per
request). The signed link is the whole of the call's authentication: sessions, CSRF and
messages have nothing to do. So `StreamGate` answers `/s/…` itself:
- the host is checked against ALLOWED_HOSTS and picks the tenant, as TenantMiddleware does;
- the tenant, the stored file and whether the link's user may still watch there come from
  `Recent` lookups, so a player's next range request touches neither a thread nor the
  database. Only what was found is kept, and an answer that does not fit (a file of another
  tenant) is looked up afresh before a 404;
- `authorize_stored` (the view's own checks and headers) decides the answer.
Every other request goes to Django as before.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable

from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseServerError

from library.middleware import tenant_for_host

from .objects import stored_object
from .recent import Recent
from .views import authorize_stored, recent_viewers

log = logging.getLogger(__name__)
# The same paths as the `stream-authorize` URL pattern (`s/<str:public_id>/<path:name>`).
STREAM_PATH = re.compile(r"/s/(?P<public_id>[^/]+)/(?P<name>.+)")


class StreamGate:
    """The web process's ASGI app: `/s/…` answered here, the rest by Django."""

    def __init__(self, django: ASGIHandler) -> None:
        self.django = django
        self.tenants = Recent(tenant_for_host)
        self.files = Recent(stored_object)
        self.viewers = recent_viewers()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        match = STREAM_PATH.fullmatch(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None:
            return await self.django(scope, receive, send)
        # nginx sends no body (proxy_pass_request_body off), so none is read.
        request, response = self.django.create_request(scope, io.BytesIO())
        if request is not None:
            try:
                response = await self.authorize(request, match["public_id"])
            except Exception:
                log.exception("authorize failed for %s", scope["path"])
                response = HttpResponseServerError("Internal error.\n", content_type="text/plain")
        await self.django.send_response(response, send)

    async def authorize(self, request, public_id: str) -> HttpResponse:
        try:
            host = request.get_host()
        except DisallowedHost:
            return HttpResponseBadRequest("Bad host.\n", content_type="text/plain")
        tenant, stored = await self.tenants.get(host), await self.files.get(public_id)
        mismatch = stored is None or tenant is None or stored.tenant_id != tenant.id
        # Perhaps a kept answer went stale (a domain moved): decide on fresh ones.
        if mismatch and (self.tenants.forget(host) | self.files.forget(public_id)):
            tenant, stored = await self.tenants.get(host), await self.files.get(public_id)
        request.tenant = tenant
        return await authorize_stored(request, stored, viewer_allowed=self.viewers.get)

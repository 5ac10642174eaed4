"""The gateway's hot calls, answered without Django's request machinery.

nginx asks web once for every range request a player makes: a `/s/…` link's authorize call,
or a GET of a file in the WebDAV share (`/dav/…`, dav.views), so these calls sit in every
seek. Through Django's full stack one cost 8-10 ms on a 2-core machine, nearly all of it
waiting for threads: each sync middleware, signal and database lookup is a hop to a thread
(and Django's ASGI handler starts a fresh thread, so a fresh database connection, per
request). A signed link, or Basic credentials, are the whole of such a call's authentication:
sessions, CSRF and messages have nothing to do. So `StreamGate` answers them itself:
- a request with a NUL anywhere, or a query string that is not UTF-8, is refused (400) for
  every path (shadowvault.request_guard), before Django or a lookup sees it;
- the host is checked against ALLOWED_HOSTS and picks the tenant, as TenantMiddleware does;
- the tenant, the stored file and whether the link's user may still watch there come from
  `Recent` lookups, so a player's next range request touches neither a thread nor the
  database. Only what was found is kept, and an answer that does not fit (a file of another
  tenant) is looked up afresh before a 404;
- `authorize_stored` (the view's own checks and headers) decides a link's answer, and
  `dav.views.dav` (which keeps its own recent entries and credentials) a share request's.
A lookup the database cannot answer (it is down) is a 503 with Retry-After, as Django's pages
answer then (shadowvault.database_down); kept answers still serve.
WebDAV requests without credentials (the first of a client, or a browser signed in to the
site) and every other request go to Django as before.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from functools import partial

from asgiref.sync import sync_to_async
from django.core.exceptions import (
    BadRequest,
    DisallowedHost,
    PermissionDenied,
    RequestAborted,
    SuspiciousOperation,
)
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import response_for_exception
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.http.multipartparser import MultiPartParserError

from dav.views import PREFIX as DAV_PREFIX
from dav.views import dav
from library.middleware import tenant_for_host
from shadowvault.database_down import DATABASE_DOWN, unavailable_response
from shadowvault.error_answers import error_answer
from shadowvault.request_guard import scope_refusal

from .objects import stored_object
from .recent import Recent
from .views import authorize_stored, recent_viewers

log = logging.getLogger(__name__)
# The same paths as the `stream-authorize` URL pattern (`s/<str:public_id>/<path:name>`).
# What Django's own handler answers with a 4xx (a body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413).
CLIENT_ERRORS = (Http404, PermissionDenied, SuspiciousOperation, BadRequest, MultiPartParserError)
STREAM_PATH = re.compile(r"/s/(?P<public_id>[^/]+)/(?P<name>.+)")


class StreamGate:
    """The web process's ASGI app: `/s/…` and credentialed `/dav/…` answered here, the rest
    by Django."""

    def __init__(self, django: ASGIHandler) -> None:
        self.django = django
        self.tenants = Recent(tenant_for_host)
        self.files = Recent(stored_object)
        self.viewers = recent_viewers()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path and (message := scope_refusal(scope)):  # what Django's stack would refuse too
            return await self.django.send_response(error_answer(path, message), send)
        if match := STREAM_PATH.fullmatch(path):
            # nginx sends no body (proxy_pass_request_body off), so none is read.
            answer = partial(self.authorize, public_id=match["public_id"])
            return await self.respond(scope, io.BytesIO(), send, answer)
        if path.startswith(DAV_PREFIX) and has_credentials(scope):
            body = io.BytesIO()  # a GET's (a seek's): none
            if scope["method"] == "PROPFIND":  # a few hundred bytes; nginx caps it
                try:
                    body = await self.django.read_body(receive)
                except RequestAborted:
                    return None
            return await self.respond(scope, body, send, self.dav)
        return await self.django(scope, receive, send)

    async def respond(self, scope: dict, body, send: Callable, answer: Callable) -> None:
        request, response = self.django.create_request(scope, body)
        if request is not None:
            try:
                response = await answer(request)
            except DATABASE_DOWN as exc:  # kept answers still serve; new lookups cannot
                log.warning("%s %s: database unreachable: %s", scope["method"], scope["path"], exc)
                response = unavailable_response(scope["path"])
            except CLIENT_ERRORS as exc:  # as Django's handler would: a 4xx that says why
                response = await sync_to_async(response_for_exception)(request, exc)
            except Exception:
                log.exception("%s %s failed", scope["method"], scope["path"])
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

    async def dav(self, request) -> HttpResponse:
        try:
            host = request.get_host()
        except DisallowedHost:
            return HttpResponseBadRequest("Bad host.\n", content_type="text/plain")
        kept = request.tenant = await self.tenants.get(host)
        if kept is None:
            return HttpResponseNotFound("Unknown host.\n", content_type="text/plain")
        response = await dav(request)
        # Perhaps the kept tenant went stale (a domain moved): ask again before refusing.
        if response.status_code in (401, 404) and self.tenants.forget(host):
            request.tenant = await self.tenants.get(host)
            if request.tenant is not None and request.tenant.id != kept.id:
                response = await dav(request)
        return response


def has_credentials(scope: dict) -> bool:
    return any(name == b"authorization" for name, _ in scope["headers"])

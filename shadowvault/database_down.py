"""What a request or a task does while the database cannot be reached (a restart, a failover).

Django turns a database error raised anywhere in a request (a middleware's tenant lookup, a
view, DRF) into its 500 page. `server_error`, the project's `handler500`, answers those that
mean "the database is not there" with a 503 and Retry-After instead: JSON under `/api/`, a
short page elsewhere, never a traceback. The broken connection is dropped at the end of the
request (CONN_HEALTH_CHECKS), so the first request after the database is back answers as
usual. The stream gate and the origin, which answer outside Django's stack, use
`unavailable_response` and `DATABASE_DOWN` themselves; Celery tasks retry on `DATABASE_DOWN`
(shadowvault.celery).
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

# OperationalError: the server refused or dropped the connection (or SQLite's file is locked);
# InterfaceError: a connection closed under us. Both pass once the database answers again.
DATABASE_DOWN = (OperationalError, InterfaceError)
log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
MESSAGE = "The database is not reachable right now; retry shortly."


def unavailable_response(path: str) -> HttpResponse:
    """503 with Retry-After: JSON for the API, a short page otherwise."""
    if path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": MESSAGE}, status=503)
    else:
        page = f"<!doctype html><title>Unavailable</title><h1>Unavailable</h1><p>{MESSAGE}</p>\n"
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django's 500 page, or `unavailable_response` when the error being handled
    is the database's absence."""
    from django.views.defaults import server_error as django_server_error

    error = sys.exc_info()[1]
    if not isinstance(error, DATABASE_DOWN):
        return django_server_error(request)
    log.warning("%s %s: database unreachable: %s", request.method, request.path, error)
    response = unavailable_response(request.path)
    # One line per request, not Django's traceback for each of them while the database is away.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response

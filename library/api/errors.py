"""API errors: DRF's handler, plus TMDB failures turned into 404/502/503 with a message.

A 401 to a request that sent Basic credentials challenges for Basic again (DRF would name
its first authentication class, Token).
"""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from library.basic_auth import basic_challenge, has_basic_credentials
from library.clients.tmdb import TMDBError, TMDBNotFound, TMDBUnavailable, describe

TMDB_RETRY_AFTER_SECONDS = 30


def tmdb_error_response(exc: TMDBError) -> Response:
    body = {"detail": describe(exc)}
    if isinstance(exc, TMDBNotFound):
        return Response(body, status=404)
    if isinstance(exc, TMDBUnavailable):
        return Response(body, status=503, headers={"Retry-After": str(TMDB_RETRY_AFTER_SECONDS)})
    return Response(body, status=502)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, TMDBError):
        return tmdb_error_response(exc)
    response = drf_exception_handler(exc, context)
    request = getattr(context.get("request"), "_request", None)
    if response is not None and response.status_code == 401 and has_basic_credentials(request):
        response["WWW-Authenticate"] = basic_challenge(getattr(request, "tenant", None))
    return response

"""Refusals that say why: JSON `{"detail": …}` under /api/ (as DRF's), plain text elsewhere.

Django's own answers to some bad requests say nothing: its 400 page (a Host header that is no
host name, too many form fields) is "Bad Request (400)" in HTML, even to an API client, and a
405 from a view (`require_GET`, a class-based view) has an empty body. `bad_request` is the
400 handler (shadowvault.urls) and `EmptyErrorMiddleware` fills an empty 4xx with its reason.
An /api/ path that no endpoint has was Django's HTML 404 page; `not_found` makes it JSON.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404
from django.views.defaults import page_not_found


def error_answer(path: str, message: str, status: int = 400) -> HttpResponse:
    """`message` with `status`: JSON for the API, plain text elsewhere."""
    if path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(f"{message}\n", status=status, content_type="text/plain; charset=utf-8")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 handler: a SuspiciousOperation or an unreadable multipart body that
    reached the top, said in words (and a body over DATA_UPLOAD_MAX_MEMORY_SIZE as the 413
    it is)."""
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return error_answer(request.path, f"The request body is over {limit} bytes.", 413)
    if isinstance(exception, DisallowedHost):
        message = "The Host header is not a host name this server answers to."
    elif isinstance(exception, TooManyFieldsSent):
        message = f"The request has over {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields."
    elif isinstance(exception, TooManyFilesSent):
        message = f"The request has over {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files."
    elif isinstance(exception, MultiPartParserError):
        message = f"The multipart body is malformed: {exception}"
    else:
        message = "The request is malformed."
    return error_answer(request.path, message)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 handler: JSON under /api/, Django's own page elsewhere."""
    if not request.path.startswith("/api/"):
        return page_not_found(request, exception)
    if isinstance(exception, Resolver404):
        return error_answer(request.path, "No API endpoint at this path.", 404)
    return error_answer(request.path, "Not found.", 404)


class EmptyErrorMiddleware:
    """An empty 4xx gets its reason (a 405, the methods it allows) as its body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not 400 <= response.status_code < 500 or response.streaming or response.content:
            return response
        if response.status_code == 405 and response.has_header("Allow"):
            message = f"{request.method} is not allowed here; use {response['Allow']}."
        else:
            message = f"{response.reason_phrase}."
        answer = error_answer(request.path, message, response.status_code)
        for name, value in response.items():
            if name.lower() not in ("content-type", "content-length"):
                answer[name] = value
        answer.cookies = response.cookies
        return answer

"""Refuses, with a 400 that says why, requests that no client of ours sends.

- A NUL character (`%00`) in the path, the query string, a header or a form field (a POST's
  urlencoded or multipart fields; files' bytes may be anything). PostgreSQL cannot hold NUL
  in text, so one that reaches a lookup (a slug, a public id, a search, a user name) or a row
  (an app password's label) was a DataError there, a 500, while SQLite took it. One check at
  the door, not one per lookup. (JSON bodies: the API's parser, library.api.parsers.)
- Under ASGI, a query string that is not UTF-8 (raw bytes; browsers percent-encode): Django
  answers it a 400 with an empty body.

`RequestGuardMiddleware` checks requests that go through Django (first in MIDDLEWARE);
`streaming.gate`, which answers `/s/` links and the WebDAV share before the middleware,
checks every request's scope with `scope_refusal`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, QueryDict

from .error_answers import error_answer

FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
NUL_IN_PATH = "The path holds a NUL character (%00)."
NUL_IN_QUERY = "The query string holds a NUL character (%00)."
NUL_IN_FORM = "The form holds a NUL character (%00)."
QUERY_NOT_UTF8 = "The query string is not UTF-8; percent-encode it."


def request_refusal(*, path: str, query: str, headers: Iterable[tuple[str, str]]) -> str | None:
    """Why a request with this path (decoded), query string (as sent) and headers is
    refused, or None when it is not."""
    if "\x00" in path:
        return NUL_IN_PATH
    if "\x00" in query or b"\x00" in unquote_to_bytes(query):
        return NUL_IN_QUERY
    for name, value in headers:
        if "\x00" in value:
            return f"The {name} header holds a NUL character."
    return None


def scope_refusal(scope: dict) -> str | None:
    """`request_refusal` for an ASGI HTTP scope."""
    try:
        query = scope.get("query_string", b"").decode()
    except UnicodeDecodeError:
        return QUERY_NOT_UTF8
    headers = (
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]
    )
    return request_refusal(path=scope["path"], query=query, headers=headers)


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        headers = (
            (name[5:].replace("_", "-").title(), value)
            for name, value in request.META.items()
            if name.startswith("HTTP_") and isinstance(value, str)
        )
        message = request_refusal(
            path=request.path, query=request.META.get("QUERY_STRING", ""), headers=headers
        )
        if message is None and form_has_nul(request):
            message = NUL_IN_FORM
        if message is not None:
            return error_answer(request.path, message)
        return self.get_response(request)


def form_has_nul(request: HttpRequest) -> bool:
    if request.method != "POST" or request.content_type not in FORMS:
        return False
    return any("\x00" in text for text in form_texts(request.POST))


def form_texts(form: QueryDict) -> Iterator[str]:
    """Every field name and value of a parsed form (Django's limits apply: too many fields, a
    body too big or a malformed one raise, which its 400 handler answers)."""
    for name, values in form.lists():
        yield name
        yield from values

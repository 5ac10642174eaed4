"""WebDAV at /dav/: the tenant's library, read-only, for players, rclone and file managers.

One view answers every method, from two places: the URL route (through Django's middleware)
and `streaming.gate`, which answers requests that carry credentials before the middleware,
as it does `/s/` links: a player's every seek is a GET here.
- OPTIONS: DAV class 1, the methods allowed; no credentials needed, nothing looked up.
- PROPFIND with Depth 0 or 1 (infinity: 403 `propfind-finite-depth`), a 207 Multi-Status.
- GET and HEAD of a file: an X-Accel-Redirect to the internal location the file's `/s/` links
  use (`streaming.views.stored_answer`), so nginx sends the bytes, ranges and validators, and
  Telegram files keep the slice cache and the viewer cap. A chapter's CBZ is built as it is
  sent (readvault.downloads: whole, with its Content-Length; no ranges). GET of a folder: an
  HTML index.
- Anything else (PUT, DELETE, MKCOL, COPY, MOVE, PROPPATCH, LOCK, ...): 405.
"""

from __future__ import annotations

from html import escape
from itertools import chain

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from library.basic_auth import basic_auth_challenge
from readvault.downloads import cbz_response
from readvault.selectors import chapter_for_reader
from streaming.recent import Recent, on_thread
from streaming.services import viewer_key
from streaming.views import stored_answer

from .access import dav_member
from .multistatus import (
    PropfindInvalid,
    Wanted,
    child_href,
    href,
    multistatus,
    propfind_parse,
)
from .tree import Entry, dav_node

PREFIX = "/dav/"
ALLOW = "OPTIONS, GET, HEAD, PROPFIND"
READ_METHODS = ("GET", "HEAD", "PROPFIND")


def entry_lookup(key: str) -> Entry | None:
    tenant_id, _, path = key.partition(":")
    node = dav_node(int(tenant_id), path.split("/") if path else [])
    return node.entry if node else None


# A player's seeks ask for one path again and again: its entry is kept (streaming.recent).
entries = Recent(entry_lookup)


@csrf_exempt  # nothing here changes anything
async def dav(request: HttpRequest, path: str = "") -> HttpResponse:
    if request.method == "OPTIONS":
        return options()
    if request.method not in READ_METHODS:
        response = text(405, "This WebDAV share is read-only.")
        response["Allow"] = ALLOW
        return response
    user = await dav_member(request)
    if user is None:
        return basic_auth_challenge(request)
    segments = dav_segments(request.path)
    if segments is None:
        return text(404, "No such file or folder.")
    request.user = user
    if request.method == "PROPFIND":
        return await propfind(request, segments)
    return await download(request, segments)


def options() -> HttpResponse:
    response = HttpResponse(status=200)
    response["DAV"] = "1"
    response["Allow"] = ALLOW
    response["MS-Author-Via"] = "DAV"
    return response


def text(status: int, message: str) -> HttpResponse:
    return HttpResponse(f"{message}\n", status=status, content_type="text/plain; charset=utf-8")


def dav_segments(path: str) -> list[str] | None:
    """The path's components below /dav/; None for one that is `.` or `..` (never a name)."""
    segments = [segment for segment in path[len(PREFIX) :].split("/") if segment]
    return None if any(segment in (".", "..") for segment in segments) else segments


async def propfind(request: HttpRequest, segments: list[str]) -> HttpResponse:
    depth = request.headers.get("Depth", "infinity").strip().lower()
    if depth == "infinity":  # absent means infinity (RFC 4918 §9.1)
        return HttpResponse(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>\n',
            status=403,
            content_type="application/xml; charset=utf-8",
        )
    if depth not in ("0", "1"):
        return text(400, "Depth must be 0 or 1.")
    try:
        wanted = propfind_parse(request.body)
    except PropfindInvalid as exc:
        return text(400, str(exc))
    body = await on_thread(propfind_body)(request.tenant.id, segments, depth == "1", wanted)
    if body is None:
        return text(404, "No such file or folder.")
    return HttpResponse(body, status=207, content_type="application/xml; charset=utf-8")


def propfind_body(
    tenant_id: int, segments: list[str], children: bool, wanted: Wanted
) -> str | None:
    node = dav_node(tenant_id, segments)
    if node is None:
        return None
    itself = href(PREFIX, segments, folder=node.entry.is_folder)
    items = [(itself, node.entry)]
    if children and node.children is not None:
        entries = node.children()
        return multistatus(chain(items, ((child_href(itself, e), e) for e in entries)), wanted)
    return multistatus(items, wanted)


async def download(request: HttpRequest, segments: list[str]) -> HttpResponse:
    entry = await entries.get(f"{request.tenant.id}:{'/'.join(segments)}")
    if entry is None:
        return text(404, "No such file or folder.")
    if entry.is_folder:
        page = await on_thread(folder_page)(request.tenant.id, segments)
        return HttpResponse(page, content_type="text/html; charset=utf-8")
    if entry.stored is None:  # a chapter's CBZ, built as it is sent
        return await on_thread(chapter_download)(request, entry.chapter_id)
    return await stored_answer(entry.stored, viewer=viewer_key(request.user.id))


def chapter_download(request: HttpRequest, chapter_id: int) -> HttpResponse:
    chapter = chapter_for_reader(tenant=request.tenant, chapter_id=chapter_id)
    if chapter is None:
        return text(404, "No such file or folder.")
    return cbz_response(request, chapter)


def folder_page(tenant_id: int, segments: list[str]) -> str:
    """A plain index of a folder, for a browser pointed at the share."""
    node = dav_node(tenant_id, segments)
    children = sorted(node.children() if node and node.children else [], key=lambda e: e.name)
    title, itself = escape("/" + "/".join(segments)), href(PREFIX, segments, folder=True)
    links = "".join(
        f'<li><a href="{child_href(itself, entry)}">'
        f"{escape(entry.name)}{'/' if entry.is_folder else ''}</a></li>"
        for entry in children
    )
    head = f"<!doctype html><meta charset=utf-8><title>{title}</title>"
    return f"{head}<h1>{title}</h1><ul>{links}</ul>\n"

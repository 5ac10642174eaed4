"""A chapter's CBZ as an HTTP download, for the web reader, the API and OPDS."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, StreamingHttpResponse
from django.views.decorators.http import require_safe

from library.basic_auth import basic_auth_required
from shadowvault.storage import session_pool, storage_backend
from streaming.services import PoolFull, viewer_key

from .cbz import CbzTooLarge, PageReader, cbz_plan, cbz_stream, pages_crc_fill
from .models import Chapter, Page
from .selectors import chapter_for_reader

CBZ_TYPE = "application/vnd.comicbook+zip"
UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def chapter_padded(chapter: Chapter) -> str:
    """`0001`, `0010.5`: the chapter's number zero-padded, so that names sort as numbers."""
    whole, dot, part = format(chapter.number.normalize(), "f").partition(".")
    return f"{whole.zfill(4)}{dot}{part}"


def cbz_filename(chapter: Chapter) -> str:
    name = f"{chapter.series.title} - Chapter {chapter_padded(chapter)}.cbz"
    return UNSAFE_IN_NAMES.sub(" ", name).strip(" .") or "chapter.cbz"


def page_reader(session: str | None) -> PageReader:
    """Reads pages through the configured backend; Telegram's through the viewer's session."""
    backend = storage_backend()

    def read(page: Page, start: int, end: int) -> AsyncIterator[bytes]:
        if session and backend.name == "telegram":
            return backend.open_range(page.locator, start, end, session=session)
        return backend.open_range(page.locator, start, end)

    return read


def cbz_response(request: HttpRequest, chapter: Chapter) -> HttpResponse:
    """The chapter's CBZ, streamed with its Content-Length (HEAD: the headers alone).

    503 with Retry-After when its pages are on Telegram and every session is full; 422 when
    the archive would pass ZIP's 4 GiB.
    """
    pages = list(chapter.pages.order_by("index"))
    try:
        plan = cbz_plan(chapter, pages)
    except CbzTooLarge as exc:
        return HttpResponse(f"{exc}.\n", status=422, content_type="text/plain")
    headers = {
        "Content-Type": CBZ_TYPE,
        "Content-Length": str(plan.size),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(cbz_filename(chapter))}",
        "Cache-Control": "private, no-store",
        "X-Accel-Buffering": "no",  # nginx passes it on as it comes, never to a temp file
    }
    if request.method == "HEAD":
        return HttpResponse(headers=headers)
    try:
        read = page_reader(viewer_session(request, pages))
    except PoolFull as full:
        response = HttpResponse(
            "Every storage session is busy; retry shortly.\n", status=503, content_type="text/plain"
        )
        response["Retry-After"] = str(full.retry_after)
        return response
    if any(page.crc32 is None for page in pages):
        pages_crc_fill(pages, read)
        plan = cbz_plan(chapter, pages)
    return StreamingHttpResponse(cbz_stream(plan, read), headers=headers)


def viewer_session(request: HttpRequest, pages: list[Page]) -> str | None:
    """A Telegram session seat for the caller when the pages are on Telegram (PoolFull)."""
    pool = session_pool()
    if pool is None or not any(page.locator.get("backend") == "telegram" for page in pages):
        return None
    return pool.viewer_admit(viewer_key(request.user.id))


@require_safe
@basic_auth_required
def chapter_cbz(request: HttpRequest, chapter_id: int) -> HttpResponse:
    """GET/HEAD /manga/chapters/<id>/cbz: for a signed-in member, or Basic (OPDS apps)."""
    chapter = chapter_for_reader(tenant=request.tenant, chapter_id=chapter_id)
    if chapter is None:
        return HttpResponseNotFound("No such chapter.\n", content_type="text/plain")
    return cbz_response(request, chapter)

"""OPDS 1.2 at /opds/ for manga apps: feeds, search, page streaming, images and files.

Every view takes a member of the host's site by HTTP Basic (account or app password) or by
their session. Images, pages and files are answered with a redirect to a signed gateway
link for the caller (the same links the web reader and the player use), so nginx serves
the bytes, Telegram-stored pages keep the cache and the viewer cap, and this process never
carries media.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    HttpResponseRedirect,
)
from django.templatetags.static import static
from django.views.decorators.http import require_safe

from library.basic_auth import basic_auth_required
from library.models import Title
from library.selectors import title_search
from readvault.models import Chapter, Page, Series
from readvault.selectors import series_search
from shadowvault.digits import ascii_int
from streaming.objects import StoredObject, media_file_object, page_stored
from streaming.services import stream_link, viewer_key

from . import feeds
from .atom import Feed, feed_xml, opensearch_xml

MAX_PAGES = 100_000  # of a chapter: past any real one, and an OFFSET any database takes
LISTINGS = {
    "az": feeds.Listing("/opds/manga/", "Manga: A-Z", "manga"),
    "recent": feeds.Listing("/opds/manga/recent/", "Manga: recently updated", "recent"),
    "followed": feeds.Listing("/opds/manga/followed/", "Manga: followed", "followed"),
}


def opds_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET and HEAD only, for members (Basic or session); a 404 says what was not found."""

    @wraps(view)
    def answered(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            return HttpResponseNotFound(f"{exc}\n", content_type="text/plain; charset=utf-8")

    return require_safe(basic_auth_required(answered))


def feed_response(feed: Feed) -> HttpResponse:
    response = HttpResponse(feed_xml(feed), content_type=f"{feed.kind};charset=utf-8")
    response["Cache-Control"] = "private, no-cache"
    return response


def page_number(request: HttpRequest) -> int:
    """`?page=` (from 1). Http404 for anything else: there is no such page of the feed."""
    number = ascii_int(request.GET.get("page", "1"), most=999_999)
    if not number:
        raise Http404("Pages are numbered from 1.")
    return number


@opds_view
def root(request: HttpRequest) -> HttpResponse:
    return feed_response(feeds.root_feed(request.tenant))


@opds_view
def manga_list(request: HttpRequest, listing: str) -> HttpResponse:
    series = series_search(tenant=request.tenant)
    if listing == "recent":
        series = series.filter(chapters_updated_at__isnull=False).order_by(
            "-chapters_updated_at", "-id"
        )
    elif listing == "followed":
        series = series.filter(followed=True)
    page = page_number(request)
    return feed_response(feeds.series_list_feed(request.tenant, LISTINGS[listing], series, page))


def tenant_series(request: HttpRequest, slug: str) -> Series:
    series = Series.objects.filter(tenant=request.tenant, slug=slug).first()
    if series is None:
        raise Http404("No such series.")
    return series


@opds_view
def manga_series(request: HttpRequest, slug: str) -> HttpResponse:
    series, page = tenant_series(request, slug), page_number(request)
    return feed_response(feeds.chapters_feed(request.tenant, series, page))


@opds_view
def movies(request: HttpRequest) -> HttpResponse:
    return feed_response(feeds.movies_feed(request.tenant, page_number(request)))


@opds_view
def tv_series(request: HttpRequest) -> HttpResponse:
    return feed_response(feeds.tv_feed(request.tenant, page_number(request)))


@opds_view
def title(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        return feed_response(feeds.title_feed(request.tenant, slug))
    except Title.DoesNotExist as exc:
        raise Http404("No such title.") from exc


@opds_view
def search_description(request: HttpRequest) -> HttpResponse:
    template = request.build_absolute_uri("/opds/search/") + "?q={searchTerms}"
    return HttpResponse(
        opensearch_xml(name=request.tenant.name, template=template),
        content_type="application/opensearchdescription+xml;charset=utf-8",
    )


@opds_view
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    manga = series_search(tenant=request.tenant, query=query) if query else Series.objects.none()
    titles = Title.objects.none()
    if query:
        titles = title_search(Title.objects.filter(tenant=request.tenant), query)
    return feed_response(feeds.search_feed(request.tenant, query, manga, titles.order_by("title")))


# --- Bytes: redirects to the caller's signed gateway links ---


def signed_redirect(request: HttpRequest, stored: StoredObject) -> HttpResponse:
    link = stream_link(stored=stored, viewer=viewer_key(request.user.id), host=request.get_host())
    response = HttpResponseRedirect(link.url)
    response["Cache-Control"] = "private, max-age=300"  # the link outlives this by hours
    return response


@opds_view
def chapter_page(request: HttpRequest, chapter_id: int, number: int) -> HttpResponse:
    """Page `number` of a chapter, counted from 0 as the Page Streaming Extension does."""
    if number >= MAX_PAGES:
        raise Http404("No such page.")
    page = (
        Page.objects.filter(
            chapter_id=chapter_id,
            chapter__series__tenant=request.tenant,
            chapter__state=Chapter.State.AVAILABLE,
        )
        .order_by("index")[number : number + 1]
        .first()
    )
    if page is None:
        raise Http404("No such page.")
    return signed_redirect(request, page_stored(page, request.tenant.id))


@opds_view
def series_cover(request: HttpRequest, slug: str) -> HttpResponse:
    """The first page of the series' first chapter (a placeholder before there is one)."""
    page = (
        Page.objects.filter(
            chapter__series=tenant_series(request, slug),
            chapter__state=Chapter.State.AVAILABLE,
            index=1,
        )
        .order_by("chapter__number", "chapter__id")
        .first()
    )
    if page is None:
        return HttpResponseRedirect(static("web/placeholder.svg"))
    return signed_redirect(request, page_stored(page, request.tenant.id))


@opds_view
def media_file(request: HttpRequest, public_id: str) -> HttpResponse:
    stored = media_file_object(public_id)
    if stored is None or stored.tenant_id != request.tenant.id:
        raise Http404("No such file.")
    return signed_redirect(request, stored)

"""Server-rendered pages: browse, watch, read. Thin: selectors read, templates show."""

from __future__ import annotations

from functools import partial
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from library.app_passwords import app_password_create, app_password_revoke, app_passwords_of
from library.models import Genre, Title
from library.selectors import ready_file, title_detail, title_list, title_search
from readvault.models import Series
from readvault.selectors import chapter_for_reader, chapters_for_reader, series_search
from shadowvault.digits import ascii_int
from shadowvault.login_throttle import ThrottledLoginMixin, locked_status
from streaming.playback import playback_for
from streaming.playlists import playlist_link, playlist_name
from streaming.services import page_links, viewer_key
from watching.selectors import (
    continue_watching,
    next_episode_files,
    preferences_of,
    progress_of_file,
    title_with_progress,
)

from .access import member_required

PAGE_SIZE = 24


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    """Django's sign-in page; a locked account or address is a 429 saying so."""

    template_name = "web/login.html"
    authentication_form = LoginForm

    def form_invalid(self, form) -> HttpResponse:
        return locked_status(super().form_invalid(form))


@member_required
def home(request: HttpRequest) -> HttpResponse:
    titles = title_list(tenant=request.tenant).order_by("-created_at")
    context = {
        "continue_watching": continue_watching(user=request.user, tenant=request.tenant),
        "movies": titles.filter(kind=Title.Kind.MOVIE)[:12],
        "series": titles.filter(kind=Title.Kind.SERIES)[:12],
        "manga": series_search(tenant=request.tenant).order_by("-created_at")[:12],
    }
    return render(request, "web/home.html", context)


@member_required
def browse(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    titles = title_list(tenant=request.tenant)
    titles = title_search(titles, query)
    if kind in Title.Kind.values:
        titles = titles.filter(kind=kind)
    genre, year = request.GET.get("genre", ""), request.GET.get("year", "")
    if (genre_id := ascii_int(genre)) is not None:
        titles = titles.filter(genres__id=genre_id)
    if (year_number := ascii_int(year)) is not None:
        titles = titles.filter(year=year_number)
    page = Paginator(titles.order_by("title", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": query,
        "kind": kind,
        "kinds": Title.Kind.choices,
        "genre": genre,
        "genres": Genre.objects.filter(titles__tenant=request.tenant).distinct().order_by("name"),
        "year": year,
    }
    return render(request, "web/browse.html", context)


@member_required
def title_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        title = title_detail(tenant=request.tenant, slug=slug)
    except Title.DoesNotExist as exc:
        raise Http404("No such title.") from exc
    title = title_with_progress(title=title, user=request.user)
    menu = partial(playlist_menu, request, title)
    ready_seasons = [
        season
        for season in title.seasons.all()
        if any(episode.files.all() for episode in season.episodes.all())
    ]
    for season in ready_seasons:
        season.playlist = menu(season.number)
    whole = title.movie_files or any(season.number >= 1 for season in ready_seasons)
    return render(request, "web/title.html", {"title": title, "playlist": whole and menu()})


def playlist_menu(request: HttpRequest, title: Title, season: int | None = None) -> dict:
    """The play-elsewhere menu of a title's (or season's) playlist: its signed URL, a
    download name, and the URL schemes that hand it to VLC, mpv and Infuse."""
    url = playlist_link(
        tenant_id=request.tenant.id,
        slug=title.slug,
        season=season,
        viewer=viewer_key(request.user.id),
        host=request.get_host(),
    ).url
    label = f"season {season}" if season is not None else ""
    if season is None and title.kind == Title.Kind.SERIES:
        label = "all seasons"
    return {
        "label": label,
        "url": url,
        "filename": f"{playlist_name(title, season)}.m3u8",
        "vlc": f"vlc://{url}",
        "mpv": f"mpv://{quote(url, safe='')}",
        "infuse": f"infuse://x-callback-url/play?url={quote(url, safe='')}",
    }


@member_required
def watch(request: HttpRequest, public_id: str) -> HttpResponse:
    """The player, on the web version of the file when there is one (`?version=original`:
    the file itself)."""
    media_file = ready_file(tenant=request.tenant, public_id=public_id)
    if media_file is None:
        raise Http404("No such file.")
    playback = playback_for(
        media_file,
        viewer=viewer_key(request.user.id),
        host=request.get_host(),
        as_is=request.GET.get("version") == "original",
    )
    progress = progress_of_file(user=request.user, media_file=media_file)
    # progress.js: where to save the position, and where to start
    player_progress = {
        "url": reverse("progress-detail", args=[public_id]),
        "csrf": get_token(request),
        "resume": progress.position if progress and progress.resumable else None,
    }
    preferences = preferences_of(user=request.user, tenant=request.tenant)
    # player.js: the languages to pick, and where to save the viewer's new choice
    player_preferences = {
        "url": reverse("preferences"),
        "csrf": get_token(request),
        "subtitle_language": preferences.subtitle_language,
        "audio_language": preferences.audio_language,
    }
    next_file = None
    if media_file.episode is not None:
        next_file = next_episode_files([media_file.episode]).get(media_file.episode_id)
    context = {
        "file": media_file,
        "playback": playback.as_dict(),
        "stream_url": playback.url,
        "player_progress": player_progress,
        "player_preferences": player_preferences,
        "next_file": next_file,
        "next_up_seconds": settings.PLAYER_NEXT_UP_SECONDS,
    }
    return render(request, "web/watch.html", context)


@member_required
def manga_library(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    return render(
        request,
        "web/manga.html",
        {"series_list": series_search(tenant=request.tenant, query=query)[:100], "q": query},
    )


@member_required
def manga_series(request: HttpRequest, slug: str) -> HttpResponse:
    series = Series.objects.filter(tenant=request.tenant, slug=slug).first()
    if series is None:
        raise Http404("No such series.")
    return render(
        request, "web/series.html", {"series": series, "chapters": chapters_for_reader(series)}
    )


@member_required
def read(request: HttpRequest, chapter_id: int) -> HttpResponse:
    chapter = chapter_for_reader(tenant=request.tenant, chapter_id=chapter_id)
    if chapter is None:
        raise Http404("No such chapter.")
    links = page_links(chapter, viewer=viewer_key(request.user.id), host=request.get_host())
    pages = [{"page": page, "url": link.url} for page, link in links]
    chapters = chapters_for_reader(chapter.series)
    numbers = [c.id for c in chapters]
    index = numbers.index(chapter.id) if chapter.id in numbers else -1
    context = {
        "chapter": chapter,
        "pages": pages,
        "previous": chapters[index - 1] if index > 0 else None,
        "next": chapters[index + 1] if 0 <= index < len(chapters) - 1 else None,
    }
    return render(request, "web/read.html", context)


@member_required
@require_http_methods(["GET", "POST"])
def app_passwords(request: HttpRequest) -> HttpResponse:
    """The member's app passwords on this site; POST makes one and shows its secret once."""
    created = None
    if request.method == "POST":
        row, secret = app_password_create(
            user=request.user, tenant=request.tenant, label=request.POST.get("label", "")
        )
        created = {"label": row.label, "secret": secret}
    context = {
        "app_passwords": app_passwords_of(user=request.user, tenant=request.tenant),
        "created": created,
        "opds_url": request.build_absolute_uri("/opds/"),
        "dav_url": request.build_absolute_uri("/dav/"),
    }
    response = render(request, "web/app_passwords.html", context)
    response["Cache-Control"] = "no-store"  # the new secret must not stay in a cache
    return response


@member_required
@require_POST
def app_password_delete(request: HttpRequest, app_password_id: int) -> HttpResponse:
    if not app_password_revoke(
        user=request.user, tenant=request.tenant, app_password_id=app_password_id
    ):
        raise Http404("No such app password.")
    return redirect("app-passwords")

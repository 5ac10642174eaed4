"""The ReadVault API for curators, against the local MangaDex-shaped API and HTML site:
sources, a source's search, following and refreshing, chapters' states, retries."""

from __future__ import annotations

import pytest

from readvault.models import Chapter, Series, Source
from readvault.services import series_due, series_follow, series_refresh
from readvault.tasks import chapter_retry_task
from tests.manga_fixture import MANGA_ID, image_bytes
from tests.processes import free_port

pytestmark = pytest.mark.django_db


def html_source_body(manga, **changes) -> dict:
    return {
        "name": "Scans site",
        "kind": "html",
        "base_url": f"{manga.base_url}/site",
        "requests_per_minute": 30,
        "chapter_link_selector": "ul.chapters a",
        "chapter_number_pattern": r"Chapter\s*([\d.]+)",
        "page_image_selector": "div.reader img",
        "page_image_attribute": "data-src",
        **changes,
    }


def test_a_curator_adds_edits_and_disables_a_source(api_as, curator, manga, tenant) -> None:
    client = api_as(curator)

    made = client.post("/api/manga/sources/", html_source_body(manga), format="json")
    source_id = made.json()["id"]
    edited = client.patch(
        f"/api/manga/sources/{source_id}/", {"requests_per_minute": 12}, format="json"
    )
    Series.objects.create(
        tenant=tenant, source_id=source_id, source_key="/site/series/x", title="X"
    )
    assert series_due() != []
    disabled = client.patch(f"/api/manga/sources/{source_id}/", {"enabled": False}, format="json")

    assert made.status_code == 201
    assert (edited.status_code, edited.json()["requests_per_minute"]) == (200, 12)
    assert (disabled.status_code, disabled.json()["enabled"]) == (200, False)
    assert series_due() == []  # a disabled source's series are not refreshed
    assert [s["name"] for s in client.get("/api/manga/sources/").json()] == ["Scans site"]
    assert Source.objects.get().tenant == tenant


def test_bad_selectors_patterns_and_addresses_are_refused_with_reasons(
    api_as, curator, manga, html_site
) -> None:
    client = api_as(curator)

    bad = client.post(
        "/api/manga/sources/",
        html_source_body(
            manga,
            chapter_link_selector="ul >> a[",
            chapter_number_pattern="chapter (",
            page_image_selector="",
            page_image_attribute="src onerror",
        ),
        format="json",
    ).json()
    private = client.post(
        "/api/manga/sources/",
        html_source_body(manga, base_url="http://10.1.2.3/", name="Inner"),
        format="json",
    ).json()
    other_scheme = client.post(
        "/api/manga/sources/",
        html_source_body(manga, base_url="ftp://scans.example/", name="Ftp"),
        format="json",
    ).json()
    duplicate = client.post(
        "/api/manga/sources/", html_source_body(manga, name=html_site.name), format="json"
    ).json()
    patched = client.patch(
        f"/api/manga/sources/{html_site.id}/", {"page_image_selector": "img:nth("}, format="json"
    )

    assert bad["chapter_link_selector"][0].startswith("Not a CSS selector")
    assert bad["chapter_number_pattern"][0].startswith("Not a regular expression")
    assert bad["page_image_selector"] == ["An HTML source needs this CSS selector."]
    assert bad["page_image_attribute"][0].startswith("Not an HTML attribute name")
    assert private["base_url"] == [
        "This address cannot be used: 10.1.2.3 is a private address; only public internet "
        "addresses may be fetched."
    ]
    assert other_scheme["base_url"] == ["Use an http or https URL."]
    assert duplicate == {"name": ["This site has a source of that name."]}
    assert patched.status_code == 400
    html_site.refresh_from_db()
    assert html_site.page_image_selector == "div.reader img"
    assert Source.objects.count() == 1


def test_searching_a_source_lists_series_and_says_which_are_followed(
    api_as, curator, mangadex
) -> None:
    client = api_as(curator)
    path = f"/api/manga/sources/{mangadex.id}/search/"

    before = client.get(path, {"q": "dungeon"}).json()
    series = series_follow(source=mangadex, source_key=MANGA_ID)
    after = client.get(path, {"q": "dungeon"}).json()
    nothing = client.get(path, {"q": "zzz"}).json()
    missing = client.get(path)
    mangadex.enabled = False
    mangadex.save()
    disabled = client.get(path, {"q": "dungeon"})

    assert [(hit["source_key"], hit["title"], hit["followed_slug"]) for hit in before] == [
        (MANGA_ID, "Dungeon Meshi", None)
    ]
    assert "Delicious in Dungeon" in before[0]["alt_titles"]
    assert after[0]["followed_slug"] == series.slug
    assert nothing == []
    assert (missing.status_code, list(missing.json())) == (400, ["q"])
    assert disabled.status_code == 409


def test_following_by_key_takes_the_details_and_queues_a_refresh(
    api_as, curator, mangadex, redis_client, django_capture_on_commit_callbacks
) -> None:
    client = api_as(curator)
    path = f"/api/manga/sources/{mangadex.id}/follow/"

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(path, {"source_key": MANGA_ID}, format="json")
    again = client.post(path, {"source_key": MANGA_ID}, format="json")
    unknown = client.post(path, {"source_key": "nope"}, format="json")

    assert first.status_code == 201
    assert (first.json()["title"], first.json()["followed"]) == ("Dungeon Meshi", True)
    assert again.status_code == 200
    assert redis_client.llen("readvault") == 1  # the first refresh, on the readvault queue
    assert unknown.status_code == 502
    assert "answered 404" in unknown.json()["detail"]
    assert Series.objects.count() == 1


def test_unfollow_follow_settings_and_refresh(
    api_as, curator, mangadex, redis_client, django_capture_on_commit_callbacks
) -> None:
    client = api_as(curator)
    slug = series_follow(source=mangadex, source_key=MANGA_ID).slug

    unfollowed = client.post(f"/api/manga/{slug}/unfollow/").json()
    followed = client.post(f"/api/manga/{slug}/follow/").json()
    settings = client.patch(
        f"/api/manga/{slug}/curation/",
        {"language": "fr", "group_order": ["Beta", "Alpha"], "refresh_minutes": 60},
        format="json",
    ).json()
    too_often = client.patch(f"/api/manga/{slug}/curation/", {"refresh_minutes": 1}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        refreshing = client.post(f"/api/manga/{slug}/refresh/")

    assert (unfollowed["followed"], followed["followed"]) == (False, True)
    assert (settings["language"], settings["group_order"], settings["refresh_minutes"]) == (
        "fr",
        ["Beta", "Alpha"],
        60,
    )
    assert too_often.status_code == 400
    assert refreshing.status_code == 202
    assert redis_client.llen("readvault") == 1


def test_chapters_show_state_and_error_and_a_failed_one_is_retried(
    api_as, curator, mangadex, manga, django_capture_on_commit_callbacks
) -> None:
    manga.add_chapter("ch-3", "3", pages=["broken.png"])
    series = series_follow(source=mangadex, source_key=MANGA_ID)
    series_refresh(series)
    failed = series.chapters.get(source_key="ch-3")
    client = api_as(curator)

    releases = client.get(f"/api/manga/{series.slug}/releases/").json()["results"]
    only_failed = client.get(f"/api/manga/{series.slug}/releases/", {"state": "failed"}).json()
    with django_capture_on_commit_callbacks() as queued:
        retried = client.post(f"/api/manga/chapters/{failed.id}/retry/")
    twice = client.post(f"/api/manga/chapters/{failed.id}/retry/")
    manga.images["/data/ch-3/broken.png"] = image_bytes("PNG", 40, 60, 10)  # fixed at the source
    outcome = chapter_retry_task(failed.id)  # what the worker runs

    assert [(r["number"], r["state"], r["pages"]) for r in releases] == [
        ("1.00", "available", 2),
        ("2.00", "available", 1),
        ("3.00", "failed", 0),
    ]
    assert "page 1 is not a readable image" in releases[2]["error"]
    assert [r["id"] for r in only_failed["results"]] == [failed.id]
    assert (retried.status_code, retried.json()["state"], retried.json()["error"]) == (
        202,
        "pending",
        "",
    )
    assert len(queued) == 1
    assert twice.status_code == 409
    assert outcome is True
    failed.refresh_from_db()
    assert (failed.state, failed.pages.count()) == (Chapter.State.AVAILABLE, 1)


def test_viewers_get_403_and_other_sites_objects_404(
    api_as, viewer, outsider, mangadex, manga
) -> None:
    series = series_follow(source=mangadex, source_key=MANGA_ID)
    chapter = Chapter.objects.create(series=series, source_key="c", number=1, state="failed")
    calls = [
        ("get", "/api/manga/sources/"),
        ("post", "/api/manga/sources/"),
        ("get", f"/api/manga/sources/{mangadex.id}/"),
        ("patch", f"/api/manga/sources/{mangadex.id}/"),
        ("get", f"/api/manga/sources/{mangadex.id}/search/?q=dungeon"),
        ("post", f"/api/manga/sources/{mangadex.id}/follow/"),
        ("get", f"/api/manga/{series.slug}/curation/"),
        ("patch", f"/api/manga/{series.slug}/curation/"),
        ("post", f"/api/manga/{series.slug}/unfollow/"),
        ("post", f"/api/manga/{series.slug}/refresh/"),
        ("get", f"/api/manga/{series.slug}/releases/"),
        ("post", f"/api/manga/chapters/{chapter.id}/retry/"),
    ]
    for method, path in calls:
        assert getattr(api_as(viewer), method)(path).status_code == 403, path
    elsewhere = api_as(outsider, "tenant-b.test")  # a curator, of another site
    for method, path in calls[2:]:
        body = {"source_key": MANGA_ID} if path.endswith("/follow/") else {}
        assert getattr(elsewhere, method)(path, body, format="json").status_code == 404, path
    series.refresh_from_db()
    assert series.followed is True


def test_a_search_while_redis_is_down_is_a_503_that_says_so(api_as, curator, tenant, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nobody there
    source = Source.objects.create(
        tenant=tenant, name="Down", kind="mangadex", base_url="https://api.manga.example"
    )

    response = api_as(curator).get(f"/api/manga/sources/{source.id}/search/", {"q": "dungeon"})

    assert response.status_code == 503  # the rate limiter's ConnectionError was a 500
    assert response["Retry-After"] == "30"
    assert "rate limit" in response.json()["detail"]

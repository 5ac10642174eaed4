"""OPDS 1.2 feeds: Atom that feedparser reads cleanly, the rels and types the spec asks for,
each chapter number once, page streaming, pagination, search, and who may see what."""

from __future__ import annotations

from urllib.parse import urlsplit
from xml.etree import ElementTree

import feedparser
import pytest
from django.test import Client

from library.app_passwords import app_password_create
from library.models import Title
from readvault.models import Series
from tests.factories import EpisodeFactory, MediaFileFactory, SeasonFactory, TitleFactory
from tests.opds.conftest import basic

pytestmark = pytest.mark.django_db

NAVIGATION = "application/atom+xml;profile=opds-catalog;kind=navigation"
ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
ATOM = "{http://www.w3.org/2005/Atom}"
PSE_COUNT = "{http://vaemendis.net/opds-pse/ns}count"


def get(path: str, *, authorization: str | None = None, host: str = "tenant-a.test"):
    headers = {"HTTP_AUTHORIZATION": authorization or basic("viewer")}
    return Client(HTTP_HOST=host).get(path, **headers)


def parsed(response) -> feedparser.FeedParserDict:
    assert response.status_code == 200, response.content[:300]
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def links(item, rel: str) -> list[dict]:
    return [link for link in item.links if link.rel == rel]


def assert_opds_feed(response, kind: str) -> feedparser.FeedParserDict:
    """What OPDS 1.2 wants of every feed and its entries."""
    assert response["Content-Type"] == f"{kind};charset=utf-8"
    feed = parsed(response)
    assert feed.feed.id.startswith("urn:shadowvault:")
    assert feed.feed.title
    assert feed.feed.updated_parsed
    assert [link.type for link in links(feed.feed, "self")] == [kind]
    assert [(link.href, link.type) for link in links(feed.feed, "start")] == [
        ("/opds/", NAVIGATION)
    ]
    assert [link.type for link in links(feed.feed, "search")] == [
        "application/opensearchdescription+xml"
    ]
    for entry in feed.entries:
        assert entry.id
        assert entry.title
        assert entry.updated_parsed
        if kind == NAVIGATION:
            assert any(link.type.startswith("application/atom+xml") for link in entry.links)
        else:
            acquisition = [
                link for link in entry.links if link.rel.startswith("http://opds-spec.org/acq")
            ]
            assert acquisition
            assert all(link.type for link in acquisition)
    return feed


@pytest.fixture
def catalog(tenant) -> dict:
    movie = TitleFactory(tenant=tenant, title="Alien", year=1979, poster_path="/alien.jpg")
    MediaFileFactory(title=movie, name="Alien (1979) [1080p].mkv", size=1234)
    TitleFactory(tenant=tenant, title="Unready Film")  # no ready file: not listed
    show = TitleFactory(tenant=tenant, kind=Title.Kind.SERIES, title="Dark", year=2017)
    episode = EpisodeFactory(season=SeasonFactory(title=show, number=1), number=2, name="Lies")
    MediaFileFactory(title=show, episode=episode, name="Dark (2017) - S01E02.mkv")
    return {"movie": movie, "show": show}


def test_every_feed_is_opds_atom(viewer, library, catalog) -> None:
    feeds = {
        "/opds/": NAVIGATION,
        "/opds/manga/": NAVIGATION,
        "/opds/manga/recent/": NAVIGATION,
        "/opds/manga/followed/": NAVIGATION,
        f"/opds/manga/{library['meshi'].slug}/": ACQUISITION,
        f"/opds/manga/{library['blank'].slug}/": ACQUISITION,
        "/opds/movies/": ACQUISITION,
        "/opds/series/": NAVIGATION,
        f"/opds/titles/{catalog['movie'].slug}/": ACQUISITION,
        f"/opds/titles/{catalog['show'].slug}/": ACQUISITION,
        "/opds/search/?q=dun": NAVIGATION,
    }
    for path, kind in feeds.items():
        assert_opds_feed(get(path), kind)


def test_the_root_leads_to_manga_movies_and_series(viewer, library) -> None:
    feed = parsed(get("/opds/"))

    sections = [(e.title, e.links[0].rel, e.links[0].href, e.links[0].type) for e in feed.entries]
    assert sections == [
        (
            "Manga: recently updated",
            "http://opds-spec.org/sort/new",
            "/opds/manga/recent/",
            NAVIGATION,
        ),
        ("Manga: A-Z", "subsection", "/opds/manga/", NAVIGATION),
        ("Manga: followed", "subsection", "/opds/manga/followed/", NAVIGATION),
        ("Movies", "subsection", "/opds/movies/", ACQUISITION),
        ("Series", "subsection", "/opds/series/", NAVIGATION),
    ]
    assert feed.feed.title == "Tenant A"


def test_manga_lists_are_sorted_filtered_and_link_each_series(viewer, library) -> None:
    titles = {
        path: [entry.title for entry in parsed(get(path)).entries]
        for path in ("/opds/manga/", "/opds/manga/recent/", "/opds/manga/followed/")
    }
    meshi = parsed(get("/opds/manga/")).entries[2]

    assert titles == {
        "/opds/manga/": ["Akira", "Blank", "Dungeon Meshi"],
        "/opds/manga/recent/": ["Akira", "Dungeon Meshi"],  # newest chapter first
        "/opds/manga/followed/": ["Blank", "Dungeon Meshi"],
    }
    slug = library["meshi"].slug
    assert [(link.rel, link.href, link.type) for link in meshi.links] == [
        ("subsection", f"/opds/manga/{slug}/", ACQUISITION),
        ("http://opds-spec.org/image", f"/opds/manga/{slug}/cover", "image/jpeg"),
        ("http://opds-spec.org/image/thumbnail", f"/opds/manga/{slug}/cover", "image/jpeg"),
    ]
    assert meshi.summary == "Adventurers cook the monsters they defeat."


def test_a_series_feed_has_each_chapter_once_with_cbz_and_page_streaming(viewer, library) -> None:
    response = get(f"/opds/manga/{library['meshi'].slug}/")
    feed = parsed(response)
    xml = ElementTree.fromstring(response.content)

    chosen = library["meshi 1"]  # Beta's release: the series' preferred group
    assert [e.title for e in feed.entries] == ["Chapter 1: Hot Pot", "Chapter 2"]
    first = feed.entries[0]
    assert first.id.endswith(f":chapter:{chosen.id}")
    assert [
        (link.href, link.type) for link in links(first, "http://opds-spec.org/acquisition")
    ] == [(f"/manga/chapters/{chosen.id}/cbz", "application/vnd.comicbook+zip")]
    assert [
        (link.href, link.type) for link in links(first, "http://opds-spec.org/image/thumbnail")
    ] == [(f"/opds/chapters/{chosen.id}/pages/0", "image/png")]
    stream = xml.find(f"{ATOM}entry/{ATOM}link[@rel='http://vaemendis.net/opds-pse/stream']")
    assert stream.get("href") == f"/opds/chapters/{chosen.id}/pages/{{pageNumber}}"
    assert (stream.get("type"), stream.get(PSE_COUNT)) == ("image/jpeg", "4")


def test_the_pse_url_of_each_index_leads_to_that_page(viewer, library) -> None:
    chapter = library["meshi 1"]
    pages = list(chapter.pages.order_by("index"))

    for number, page in enumerate(pages):
        answer = get(f"/opds/chapters/{chapter.id}/pages/{number}")
        link = urlsplit(answer["Location"])
        assert answer.status_code == 302
        assert (link.netloc, link.path) == (
            "tenant-a.test:8080",
            f"/s/{page.public_id}/page-{page.index:03d}.{'jpg' if number == 3 else 'png'}",
        )
        assert "sig=" in link.query
    assert get(f"/opds/chapters/{chapter.id}/pages/4").status_code == 404


def test_covers_are_the_first_page_or_a_placeholder(viewer, library) -> None:
    first_page = library["meshi 1 alpha"].pages.get()  # chapter 1's first release stored

    cover = get(f"/opds/manga/{library['meshi'].slug}/cover")
    blank = get(f"/opds/manga/{library['blank'].slug}/cover")

    assert urlsplit(cover["Location"]).path.startswith(f"/s/{first_page.public_id}/")
    assert blank["Location"] == "/static/web/placeholder.svg"


def test_lists_come_in_pages_with_navigation_links(viewer, library) -> None:
    source = library["meshi"].source
    Series.objects.bulk_create(
        Series(tenant=source.tenant, source=source, source_key=f"k{n}", title=f"Zeta {n:03d}")
        for n in range(117)
    )

    first = parsed(get("/opds/manga/"))
    last = parsed(get("/opds/manga/?page=3"))

    assert len(first.entries) == 50
    assert {
        link.rel: link.href for link in first.feed.links if link.rel in ("next", "last", "first")
    } == {
        "first": "/opds/manga/",
        "next": "/opds/manga/?page=2",
        "last": "/opds/manga/?page=3",
    }
    assert (first.feed.opensearch_totalresults, first.feed.opensearch_itemsperpage) == ("120", "50")
    assert [link.href for link in links(last.feed, "previous")] == ["/opds/manga/?page=2"]
    assert not links(last.feed, "next")
    assert [e.title for e in last.entries][-1] == "Zeta 116"
    assert len(last.entries) == 20
    past = get("/opds/manga/?page=4")
    assert (past.status_code, past.content) == (404, b"page 4 is past the last page (3)\n")
    assert get("/opds/manga/?page=zero").content == b"Pages are numbered from 1.\n"
    assert get("/opds/manga/?page=%C2%B2").content == b"Pages are numbered from 1.\n"  # "²"
    assert get("/opds/manga/?page=" + "9" * 5000).content == b"Pages are numbered from 1.\n"


def test_control_characters_from_a_source_do_not_break_a_feed(viewer, library) -> None:
    Series.objects.filter(id=library["meshi"].id).update(
        title="Dungeon\x0b Meshi\x07", description="Cooks\x1b[31m monsters"
    )

    entries = parsed(get("/opds/manga/")).entries

    assert (entries[2].title, entries[2].summary) == ("Dungeon Meshi", "Cooks[31m monsters")


def test_opensearch_describes_a_search_that_finds_manga_and_titles(
    viewer, library, catalog
) -> None:
    description = get("/opds/search.xml")
    template = ElementTree.fromstring(description.content).find(
        "{http://a9.com/-/spec/opensearch/1.1/}Url"
    )

    assert description["Content-Type"].startswith("application/opensearchdescription+xml")
    assert template.get("template") == "http://tenant-a.test/opds/search/?q={searchTerms}"
    assert template.get("type") == NAVIGATION
    found = parsed(get("/opds/search/?q=delicious"))
    assert [e.title for e in found.entries] == ["Dungeon Meshi"]
    films = parsed(get("/opds/search/?q=alien"))
    assert [(e.title, e.links[0].href) for e in films.entries] == [
        ("Alien (1979)", f"/opds/titles/{catalog['movie'].slug}/")
    ]
    folded = parsed(get("/opds/search/?q=AL%C3%8DEN"))  # "ALÍEN": case and accents folded
    assert [e.title for e in folded.entries] == ["Alien (1979)"]
    assert parsed(get("/opds/search/?q=")).entries == []


def test_movies_and_episodes_link_their_files_and_posters(viewer, catalog, other_tenant) -> None:
    movies = parsed(get("/opds/movies/"))
    episodes = parsed(get(f"/opds/titles/{catalog['show'].slug}/"))
    movie_file = catalog["movie"].files.get()

    assert [e.title for e in movies.entries] == ["Alien (1979)"]
    acquisition = links(movies.entries[0], "http://opds-spec.org/acquisition")[0]
    assert (acquisition.href, acquisition.type, acquisition.length) == (
        f"/opds/files/{movie_file.public_id}",
        "video/x-matroska",
        "1234",
    )
    assert (
        links(movies.entries[0], "http://opds-spec.org/image")[0].href == "/img/tmdb/w342/alien.jpg"
    )
    assert [e.title for e in episodes.entries] == ["S01E02 · Lies"]
    redirect = get(acquisition.href)
    assert redirect.status_code == 302
    assert urlsplit(redirect["Location"]).path.startswith(f"/s/{movie_file.public_id}/")
    elsewhere = MediaFileFactory(title=TitleFactory(tenant=other_tenant))
    assert get(f"/opds/files/{elsewhere.public_id}").status_code == 404


def test_without_credentials_or_with_wrong_ones_every_feed_is_401(viewer, library) -> None:
    for path in [
        "/opds/",
        "/opds/manga/",
        "/opds/search.xml",
        f"/opds/manga/{library['meshi'].slug}/",
    ]:
        missing = Client(HTTP_HOST="tenant-a.test").get(path)
        wrong = get(path, authorization=basic("viewer", "not the password"))
        assert missing.status_code == wrong.status_code == 401, path
        assert missing["WWW-Authenticate"] == 'Basic realm="Tenant A", charset="UTF-8"'


def test_an_app_password_reads_only_its_own_sites_catalog(
    viewer, outsider, tenant, other_tenant, library
) -> None:
    _, secret = app_password_create(user=viewer, tenant=tenant, label="Panels")
    chapter = library["meshi 1"]

    assert get("/opds/", authorization=basic("viewer", secret)).status_code == 200
    assert (
        get("/opds/", authorization=basic("viewer", secret), host="tenant-b.test").status_code
        == 401
    )
    for path in [
        f"/opds/manga/{library['meshi'].slug}/",
        f"/opds/manga/{library['meshi'].slug}/cover",
        f"/opds/chapters/{chapter.id}/pages/0",
        f"/manga/chapters/{chapter.id}/cbz",
    ]:
        assert get(path, authorization=basic("outsider"), host="tenant-b.test").status_code == 404

"""The WebDAV view through Django (the route a signed-in browser and a client's first,
credential-less request take): the tree, PROPFIND's properties, and what it refuses. The
view reads on worker threads, so the data is committed (transactional_db)."""

from __future__ import annotations

import base64
from urllib.parse import quote, unquote

import pytest
from defusedxml import ElementTree

from library.app_passwords import app_password_create, app_password_revoke
from library.models import Domain, Membership, Subtitle
from streaming import recent
from tests.asgi import asgi_request
from tests.factories import EpisodeFactory, MediaFileFactory, SeasonFactory, TitleFactory

pytestmark = pytest.mark.django_db(transaction=True)
DAV = "{DAV:}"


def propfind(client, path: str, depth: str = "1", body: str = ""):
    return client.generic(
        "PROPFIND", quote(path), body, content_type="application/xml", HTTP_DEPTH=depth
    )


def listing(response) -> dict[str, ElementTree.Element]:
    """href (decoded) -> its response element."""
    assert response.status_code == 207, response.content
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    return {unquote(r.findtext(f"{DAV}href")): r for r in ElementTree.fromstring(response.content)}


def test_titles_of_one_name_each_get_a_folder_that_opens(admin_as, viewer, tenant) -> None:
    first = TitleFactory(tenant=tenant, title="Dune", year=2021)
    second = TitleFactory(tenant=tenant, title="dune", year=2021)
    for title in (first, second):
        MediaFileFactory(title=title, name="Dune (2021).mkv")
    client = admin_as(viewer)

    movies = listing(propfind(client, "/dav/Movies/"))
    tagged = f"/dav/Movies/dune (2021) [{second.slug}]/"
    opened = listing(propfind(client, tagged))

    assert set(movies) == {"/dav/Movies/", "/dav/Movies/Dune (2021)/", tagged}
    assert set(opened) == {tagged, f"{tagged}Dune (2021).mkv"}
    assert propfind(client, "/dav/Movies/DUNE (2021)/", depth="0").status_code == 207


def test_subtitles_sit_beside_their_video_under_its_name_here(admin_as, viewer, tenant) -> None:
    title = TitleFactory(tenant=tenant, title="Film", year=2001)
    video = MediaFileFactory(title=title, name="Film: Cut (2001).mkv")
    stored = {"backend": "filesystem", "sha256": "a" * 64}
    Subtitle.objects.create(
        media_file=video,
        language="en",
        name="Film: Cut (2001).en.vtt",
        storage="filesystem",
        locator=stored,
    )
    Subtitle.objects.create(  # kept only in the original: no file of its own to list
        media_file=video, language="fr", name="Film: Cut (2001).fr.sup", image=True
    )

    found = listing(propfind(admin_as(viewer), "/dav/Movies/Film (2001)/"))

    assert set(found) == {
        "/dav/Movies/Film (2001)/",
        "/dav/Movies/Film (2001)/Film - Cut (2001).mkv",
        "/dav/Movies/Film (2001)/Film - Cut (2001).en.vtt",
    }


def test_only_ready_files_of_this_site_are_listed(admin_as, viewer, tenant, other_tenant) -> None:
    show = TitleFactory(tenant=tenant, title="Show", year=2019, kind="series")
    season = SeasonFactory(title=show, number=1)
    MediaFileFactory(title=show, episode=EpisodeFactory(season=season), name="E1.mkv")
    MediaFileFactory(title=show, episode=EpisodeFactory(season=season), state="pending")
    MediaFileFactory(
        title=show,
        episode=EpisodeFactory(season=SeasonFactory(title=show, number=2)),
        state="failed",
    )
    TitleFactory(tenant=tenant, title="Empty", year=2000)  # no file: no folder
    MediaFileFactory(title=TitleFactory(tenant=other_tenant, title="Theirs", year=2000))
    client = admin_as(viewer)

    assert set(listing(propfind(client, "/dav/Movies/"))) == {"/dav/Movies/"}
    assert set(listing(propfind(client, "/dav/Series/Show (2019)/"))) == {
        "/dav/Series/Show (2019)/",
        "/dav/Series/Show (2019)/Season 01/",
    }
    assert set(listing(propfind(client, "/dav/Series/Show (2019)/season 1/"))) == {
        "/dav/Series/Show (2019)/season 1/",
        "/dav/Series/Show (2019)/season 1/E1.mkv",  # under the path asked
    }
    for path in ("/dav/Movies/Theirs (2000)/", "/dav/Series/Show (2019)/Season 02/", "/dav/Other/"):
        assert propfind(client, path).status_code == 404


def test_propfind_answers_the_properties_asked_for(admin_as, viewer, tenant) -> None:
    title = TitleFactory(tenant=tenant, title="Film", year=2001)
    MediaFileFactory(title=title, name="Film.mkv", size=4242, sha256="ab" * 32)
    asked = (
        '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns">'
        "<d:prop><d:getcontentlength/><d:getetag/><oc:checksums/><d:quota-used-bytes/></d:prop>"
        "</d:propfind>"
    )
    client = admin_as(viewer)

    file = listing(propfind(client, "/dav/Movies/Film (2001)/Film.mkv", "0", asked))
    names = listing(
        propfind(
            client,
            "/dav/Movies/Film (2001)/Film.mkv",
            "0",
            '<propfind xmlns="DAV:"><propname/></propfind>',
        )
    )

    [response] = file.values()
    found, missing = response.findall(f"{DAV}propstat")
    assert found.findtext(f"{DAV}status") == "HTTP/1.1 200 OK"
    assert found.findtext(f"{DAV}prop/{DAV}getcontentlength") == "4242"
    assert found.findtext(f"{DAV}prop/{DAV}getetag") == f'"{"ab" * 32}"'
    assert missing.findtext(f"{DAV}status") == "HTTP/1.1 404 Not Found"
    assert [e.tag for e in missing.find(f"{DAV}prop")] == [
        "{http://owncloud.org/ns}checksums",
        f"{DAV}quota-used-bytes",
    ]
    [response] = names.values()
    assert {e.tag for e in response.find(f"{DAV}propstat/{DAV}prop")} == {
        f"{DAV}{name}"
        for name in (
            "displayname",
            "resourcetype",
            "getcontentlength",
            "getcontenttype",
            "getetag",
            "getlastmodified",
            "creationdate",
        )
    }


@pytest.mark.parametrize(
    ("depth", "body", "status"),
    [
        ("2", "", 400),
        ("1", "this is not xml", 400),
        (
            "1",
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><propfind xmlns="DAV:"/>',
            400,
        ),
        ("1", '<lock xmlns="DAV:"/>', 400),
        ("1", "<?xml version='1.0' encoding='no-such-codec'?><propfind xmlns='DAV:'/>", 400),
        ("1", "<?xml version='1.0' encoding='utf-16'?><propfind xmlns='DAV:'/>", 400),
        ("1", "<propfind xmlns='DAV:'><prop/></propfind>" + " " * 70_000, 400),
        ("infinity", "", 403),
    ],
)
def test_bad_propfinds_are_refused_with_a_reason(admin_as, viewer, depth, body, status) -> None:
    response = propfind(admin_as(viewer), "/dav/", depth, body)
    assert response.status_code == status
    assert response.content.strip()


def test_options_writes_and_who_may_look(admin_as, client, viewer, outsider, tenant) -> None:
    MediaFileFactory(title=TitleFactory(tenant=tenant, title="Film", year=2001), name="F.mkv")

    options = client.options("/dav/", HTTP_HOST="tenant-a.test")
    put = admin_as(viewer).put("/dav/Movies/Film (2001)/F.mkv", b"x")
    anonymous = propfind(client.__class__(HTTP_HOST="tenant-a.test"), "/dav/")
    outsider_session = propfind(admin_as(outsider), "/dav/")
    index = admin_as(viewer).get("/dav/Movies/")

    assert (options.status_code, options["DAV"], options["Allow"]) == (
        200,
        "1",
        "OPTIONS, GET, HEAD, PROPFIND",
    )
    assert (put.status_code, put["Allow"]) == (405, "OPTIONS, GET, HEAD, PROPFIND")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Basic realm=")
    assert outsider_session.status_code == 401
    assert '<a href="/dav/Movies/Film%20(2001)/">Film (2001)/</a>' in index.content.decode()


# --- Through the web process's ASGI app, as the gateway sends credentialed requests ---


def basic(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


def test_a_revoked_app_password_stops_opening_the_share_within_30_s(
    viewer, tenant, monkeypatch
) -> None:
    MediaFileFactory(title=TitleFactory(tenant=tenant, title="Film", year=2001), name="F.mkv")
    row, secret = app_password_create(user=viewer, tenant=tenant, label="Kodi")
    path, credentials = "/dav/Movies/Film (2001)/F.mkv", basic("viewer", secret)

    before = asgi_request(path, authorization=credentials)
    app_password_revoke(user=viewer, tenant=tenant, app_password_id=row.id)
    kept = asgi_request(path, authorization=credentials)
    later = recent.time.monotonic() + recent.FOUND_SECONDS + 1
    monkeypatch.setattr(recent.time, "monotonic", lambda: later)
    after = asgi_request(path, authorization=credentials)

    assert (before.status, kept.status, after.status) == (200, 200, 401)
    assert before["X-Accel-Redirect"]


def test_a_domain_moved_to_another_site_is_followed_at_once(viewer, tenant, other_tenant) -> None:
    MediaFileFactory(title=TitleFactory(tenant=tenant, title="Ours", year=2001))
    MediaFileFactory(title=TitleFactory(tenant=other_tenant, title="Theirs", year=2002))
    Membership.objects.create(tenant=other_tenant, user=viewer)
    _, ours = app_password_create(user=viewer, tenant=tenant, label="a")
    _, theirs = app_password_create(user=viewer, tenant=other_tenant, label="b")

    first = asgi_request(
        "/dav/Movies/", method="PROPFIND", depth="1", authorization=basic("viewer", ours)
    )
    Domain.objects.filter(domain="tenant-a.test").update(tenant=other_tenant)
    moved = asgi_request(
        "/dav/Movies/", method="PROPFIND", depth="1", authorization=basic("viewer", theirs)
    )

    assert b"Ours (2001)" in first.body
    assert moved.status == 207
    assert b"Theirs (2002)" in moved.body


def test_the_app_passwords_page_gives_the_share_s_address(admin_as, viewer) -> None:
    page = admin_as(viewer).get("/accounts/app-passwords/")

    assert "<code>http://tenant-a.test/dav/</code>" in page.content.decode()

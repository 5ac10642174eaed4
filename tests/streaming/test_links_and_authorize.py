"""The link API and the authorize step in-process (the gateway tests cover them behind nginx)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from library.models import MediaFile
from shadowvault import storage
from tests.factories import MediaFileFactory, TitleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_file(tenant) -> MediaFile:
    return MediaFileFactory(title=TitleFactory(tenant=tenant), name="Metropolis (1927) [1080p].mkv")


def test_a_viewer_gets_a_signed_gateway_link(api_as, viewer, ready_file, settings) -> None:
    settings.STREAM_LINK_TTL_SECONDS = 600
    before = int(time.time())

    response = api_as(viewer).post(f"/api/files/{ready_file.public_id}/link/")

    assert response.status_code == 200
    url = urlsplit(response.json()["url"])
    assert (url.scheme, url.netloc) == ("http", "tenant-a.test:8080")
    assert url.path == f"/s/{ready_file.public_id}/Metropolis%20%281927%29%20%5B1080p%5D.mkv"
    query = parse_qs(url.query)
    assert query["v"] == [f"u{viewer.id}"]
    assert before + 600 <= int(query["exp"][0]) <= time.time() + 600
    assert "locator" not in response.content.decode()


@pytest.mark.parametrize(
    ("origin", "listen", "expected"),
    [
        ("", "127.0.0.1:18080", "http://tenant-a.test:18080"),  # follows the dev gateway
        ("https://{host}", "127.0.0.1:8080", "https://tenant-a.test"),  # production, TLS
    ],
)
def test_links_point_at_the_gateway(
    api_as, viewer, ready_file, settings, origin, listen, expected
) -> None:
    settings.STREAM_GATEWAY_ORIGIN, settings.GATEWAY_LISTEN = origin, listen

    response = api_as(viewer).post(f"/api/files/{ready_file.public_id}/link/")

    assert response.json()["url"].startswith(f"{expected}/s/{ready_file.public_id}/")


@pytest.mark.parametrize("state", [MediaFile.State.PENDING, MediaFile.State.FAILED])
def test_no_link_to_a_file_that_is_not_ready(api_as, viewer, tenant, state) -> None:
    media_file = MediaFileFactory(title=TitleFactory(tenant=tenant), state=state)
    assert api_as(viewer).post(f"/api/files/{media_file.public_id}/link/").status_code == 404


def test_no_link_for_outsiders_or_anonymous(api_as, outsider, ready_file) -> None:
    path = f"/api/files/{ready_file.public_id}/link/"
    assert api_as(outsider, "tenant-b.test").post(path).status_code == 404  # another site's file
    assert api_as(outsider).post(path).status_code == 403  # not a member here
    assert api_as(None).post(path).status_code in (401, 403)


@pytest.fixture
def telegram_pool(settings, redis_client):
    settings.STORAGE_BACKEND = "telegram"
    settings.TELEGRAM_API_ID, settings.TELEGRAM_API_HASH = 1, "hash"
    settings.TELEGRAM_BOT_TOKENS = ["111:a"]
    settings.TELEGRAM_SESSIONS = []
    settings.TELEGRAM_USERS_PER_SESSION = 1
    storage.session_pool.cache_clear()
    yield storage.session_pool()
    storage.session_pool.cache_clear()


def telegram_file(tenant) -> MediaFile:
    return MediaFileFactory(
        title=TitleFactory(tenant=tenant),
        locator={
            "backend": "telegram",
            "size": 1024,
            "parts": [{"chat": -1001, "message": 1, "size": 1024}],
        },
    )


def link_for(client, media_file) -> str:
    url = urlsplit(client.post(f"/api/files/{media_file.public_id}/link/").json()["url"])
    return f"{url.path}?{url.query}"


def test_a_telegram_file_is_read_through_the_viewers_session(
    api_as, viewer, tenant, telegram_pool, client
) -> None:
    media_file = telegram_file(tenant)

    response = client.get(link_for(api_as(viewer), media_file), HTTP_HOST="tenant-a.test")

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_vault/{media_file.public_id}?s=bot-111"
    assert telegram_pool.session_load() == {"bot-111": 1}


def test_a_full_pool_answers_503_with_retry_after(
    api_as, viewer, tenant, telegram_pool, client
) -> None:
    media_file = telegram_file(tenant)
    telegram_pool.viewer_admit("someone-else")  # the only slot of the only session

    response = client.get(link_for(api_as(viewer), media_file), HTTP_HOST="tenant-a.test")

    assert response.status_code == 503
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "X-Accel-Redirect" not in response
    assert telegram_pool.client.hget("sv:metrics:counters", "pool_rejections_total") == b"1"


DIGEST = "ab12" + "0" * 60


@pytest.mark.parametrize(
    ("direct", "target"),
    [(True, f"/_files/ab/12/{DIGEST}"), (False, "/_vault/{public_id}")],
)
def test_a_filesystem_file_is_sent_from_the_vault_unless_told_otherwise(
    api_as, viewer, ready_file, client, settings, direct, target
) -> None:
    settings.STREAM_FILESYSTEM_DIRECT = direct
    ready_file.locator = {"backend": "filesystem", "sha256": DIGEST, "size": 1024}
    ready_file.save()

    response = client.get(link_for(api_as(viewer), ready_file), HTTP_HOST="tenant-a.test")

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == target.format(public_id=ready_file.public_id)
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response.content == b""


def test_a_damaged_filesystem_locator_is_a_404_not_a_path(
    api_as, viewer, ready_file, client
) -> None:
    ready_file.locator = {"backend": "filesystem", "sha256": "../../etc/passwd"}
    ready_file.save()

    response = client.get(link_for(api_as(viewer), ready_file), HTTP_HOST="tenant-a.test")

    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response


def test_a_link_with_a_signature_in_other_letters_is_refused(api_as, viewer, ready_file) -> None:
    link = link_for(api_as(viewer), ready_file)
    forged = link.replace("sig=", "sig=%C3%A9")  # non-ASCII: compare_digest raised, a 500

    response = api_as(None).get(forged)

    assert response.status_code == 403
    assert response.content == b"This link is invalid or has expired.\n"

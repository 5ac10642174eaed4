"""The web process's ASGI app answers `/s/…` itself (streaming.gate), everything else goes to
Django. In-process ASGI calls; the lookups run on worker threads, so the data is committed
(transactional_db)."""

from __future__ import annotations

import base64

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User

from library.app_passwords import app_password_create
from library.models import Domain, MediaFile, Membership
from shadowvault.asgi import django_application
from streaming import gate, recent
from streaming.gate import StreamGate
from streaming.recent import Recent
from streaming.services import viewer_key
from tests.asgi import asgi_request
from tests.factories import MediaFileFactory, TitleFactory, UserFactory
from tests.streaming.conftest import link_path

pytestmark = pytest.mark.django_db(transaction=True)

DIGEST = "cd34" + "5" * 60


def ready_file(tenant) -> MediaFile:
    return MediaFileFactory(
        title=TitleFactory(tenant=tenant),
        locator={"backend": "filesystem", "sha256": DIGEST, "size": 1024},
    )


def call(app: StreamGate, path: str, host: str = "tenant-a.test") -> tuple[int, dict[str, str]]:
    """GET `path` (path and query, as in a link) from the ASGI app: (status, headers)."""
    answer = asgi_request(path, host=host, app=app)
    return answer.status, answer.headers


@pytest.fixture
def app() -> StreamGate:
    return StreamGate(django_application)


def test_a_link_is_answered_with_the_internal_location_and_no_session(app, tenant) -> None:
    media_file = ready_file(tenant)

    status, headers = call(app, link_path(media_file))

    assert status == 200
    assert headers["x-accel-redirect"] == f"/_files/cd/34/{DIGEST}"
    assert headers["content-disposition"].startswith("inline; filename*=UTF-8''")
    assert "set-cookie" not in headers  # no session middleware ran
    assert "x-frame-options" not in headers  # nor any other


def test_other_paths_are_django_s(app, tenant) -> None:
    status, headers = call(app, "/api/titles/", host="nobody.test")

    assert status == 404  # TenantMiddleware's answer to an unknown host
    assert headers["content-type"] == "application/json"


def test_a_host_outside_allowed_hosts_is_a_400(app, tenant, settings) -> None:
    settings.ALLOWED_HOSTS = ["tenant-a.test"]
    media_file = ready_file(tenant)

    assert call(app, link_path(media_file), host="evil.test")[0] == 400
    assert call(app, link_path(media_file))[0] == 200


def test_forged_links_and_other_tenants_are_refused(app, tenant, other_tenant) -> None:
    media_file = ready_file(tenant)
    path = link_path(media_file)

    assert call(app, path.replace("sig=", "sig=x"))[0] == 403
    assert call(app, path, host="tenant-b.test")[0] == 404
    assert call(app, path, host="nobody.test")[0] == 404


def test_a_file_that_becomes_ready_is_found_at_once(app, tenant) -> None:
    media_file = ready_file(tenant)
    MediaFile.objects.filter(pk=media_file.pk).update(state=MediaFile.State.PENDING)
    path = link_path(media_file)
    assert call(app, path)[0] == 404

    MediaFile.objects.filter(pk=media_file.pk).update(state=MediaFile.State.READY)

    assert call(app, path)[0] == 200  # a miss is never kept


def test_a_found_file_stands_for_a_while_then_is_looked_up_again(app, tenant, monkeypatch) -> None:
    media_file = ready_file(tenant)
    path = link_path(media_file)
    assert call(app, path)[0] == 200
    MediaFile.objects.filter(pk=media_file.pk).update(state=MediaFile.State.PENDING)

    kept = call(app, path)[0]
    later = recent.time.monotonic() + recent.FOUND_SECONDS + 1
    monkeypatch.setattr(recent.time, "monotonic", lambda: later)
    expired = call(app, path)[0]

    assert (kept, expired) == (200, 404)


def test_a_domain_moved_to_another_tenant_is_followed_at_once(app, tenant, other_tenant) -> None:
    assert call(app, link_path(ready_file(tenant)))[0] == 200  # tenant-a.test is kept
    Domain.objects.filter(domain="tenant-a.test").update(tenant=other_tenant)
    theirs = ready_file(other_tenant)

    assert call(app, link_path(theirs))[0] == 200


def test_an_error_is_a_500_not_a_dropped_connection(app, tenant, monkeypatch) -> None:
    async def broken(request, stored):
        raise RuntimeError("boom")

    monkeypatch.setattr(gate, "authorize_stored", broken)

    assert call(app, link_path(ready_file(tenant)))[0] == 500


def test_recent_asks_once_per_key_and_never_keeps_a_miss() -> None:
    asked: list[str] = []

    def lookup(key: str) -> str | None:
        asked.append(key)
        return None if key == "missing" else key.upper()

    answers = Recent(lookup)
    got = [async_to_sync(answers.get)(key) for key in ("a", "a", "missing", "missing")]

    assert got == ["A", "A", None, None]
    assert asked == ["a", "missing", "missing"]
    assert answers.forget("a")
    assert not answers.forget("missing")


def test_links_stop_for_users_who_may_no_longer_watch(app, tenant, outsider, monkeypatch) -> None:
    media_file = ready_file(tenant)
    users = {name: UserFactory(username=name) for name in ("deactivated", "removed", "deleted")}
    for user in users.values():
        Membership.objects.create(tenant=tenant, user=user)
    paths = {name: link_path(media_file, viewer=viewer_key(u.id)) for name, u in users.items()}
    assert {call(app, path)[0] for path in paths.values()} == {200}

    User.objects.filter(username="deactivated").update(is_active=False)
    Membership.objects.filter(user__username="removed").delete()
    User.objects.filter(username="deleted").delete()
    kept = {call(app, path)[0] for path in paths.values()}  # kept for FOUND_SECONDS
    elsewhere = {call(StreamGate(django_application), path)[0] for path in paths.values()}
    later = recent.time.monotonic() + recent.FOUND_SECONDS + 1
    monkeypatch.setattr(recent.time, "monotonic", lambda: later)

    assert (kept, elsewhere) == ({200}, {403})  # another process, asking now, refuses at once
    assert {call(app, path)[0] for path in paths.values()} == {403}
    assert call(app, link_path(media_file, viewer=viewer_key(outsider.id)))[0] == 403
    assert call(app, link_path(media_file, viewer="bench"))[0] == 403  # not a user at all


def test_a_propfind_body_over_the_upload_limit_is_a_413(app, tenant, viewer, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    _, secret = app_password_create(user=viewer, tenant=tenant, label="app")
    credentials = base64.b64encode(f"viewer:{secret}".encode()).decode()

    answer = asgi_request(
        "/dav/",
        method="PROPFIND",
        app=app,
        body=b"<" * 2000,
        authorization=f"Basic {credentials}",
        depth="1",
    )

    assert answer.status == 413  # Django's RequestDataTooBig escaped the gate: a 500
    assert answer.body == b"The request body is over 1000 bytes.\n"

"""Requests no client of ours sends (a NUL anywhere, a query string that is not UTF-8) get a
400 that says why, through Django and through the gate alike, before any lookup: on
PostgreSQL a NUL that reached one was a 500."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from library.app_passwords import app_password_create
from tests.asgi import asgi_request
from tests.factories import MediaFileFactory, TitleFactory

HOST = "tenant-a.test"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/title/%00/", "The path holds a NUL character (%00)."),
        ("/opds/manga/%00/", "The path holds a NUL character (%00)."),
        ("/browse/?q=%00", "The query string holds a NUL character (%00)."),
        ("/opds/search/?q=a%00b", "The query string holds a NUL character (%00)."),
        ("/s/%00/x.mkv", "The path holds a NUL character (%00)."),
    ],
)
def test_a_nul_in_the_path_or_query_is_a_400_saying_so(tenant, viewer, path, message) -> None:
    client = Client(HTTP_HOST=HOST)
    client.force_login(viewer)

    response = client.get(path)

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == f"{message}\n"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/titles/%00/", "/api/progress/%00/", "/api/manga/?q=%00"])
def test_the_api_says_it_in_json(api_as, viewer, path) -> None:
    response = api_as(viewer).get(path)

    assert response.status_code == 400
    assert "NUL character" in response.json()["detail"]


@pytest.mark.django_db
def test_a_nul_in_a_header_is_a_400_naming_it(tenant) -> None:
    response = Client(HTTP_HOST=HOST).get("/api/titles/", HTTP_AUTHORIZATION="Token \x00")

    assert response.status_code == 400
    assert response.json() == {"detail": "The Authorization header holds a NUL character."}


@pytest.mark.django_db
def test_an_encoded_percent_sign_is_no_nul(api_as, viewer) -> None:
    assert api_as(viewer).get("/api/titles/?q=%2500").status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/s/{id}/x.mkv", "/dav/Movies/", "/api/titles/", "/opds/"])
def test_the_gate_refuses_a_query_that_is_not_utf8(tenant, viewer, path) -> None:
    media_file = MediaFileFactory(title=TitleFactory(tenant=tenant))
    _, secret = app_password_create(user=viewer, tenant=tenant, label="app")
    credentials = base64.b64encode(f"viewer:{secret}".encode()).decode()

    answer = asgi_request(
        path.format(id=media_file.public_id),
        query_string=b"exp=\xff&sig=\xfe",
        authorization=f"Basic {credentials}",
    )

    assert answer.status == 400  # Django's own answer was a 400 with an empty body
    assert b"The query string is not UTF-8; percent-encode it." in answer.body


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/s/%00/x.mkv", "/dav/Movies/%00", "/title/%00/"])
def test_the_gate_refuses_a_nul_in_the_path(tenant, viewer, path) -> None:
    _, secret = app_password_create(user=viewer, tenant=tenant, label="app")
    credentials = base64.b64encode(f"viewer:{secret}".encode()).decode()

    answer = asgi_request(path, authorization=f"Basic {credentials}")

    assert answer.status == 400
    assert answer.body == b"The path holds a NUL character (%00).\n"


@pytest.mark.django_db
@pytest.mark.parametrize("label", ["a\x00b", "\x00"])
def test_a_nul_in_a_form_is_a_400_and_nothing_is_kept(tenant, viewer, label) -> None:
    from library.models import AppPassword

    client = Client(HTTP_HOST=HOST)
    client.force_login(viewer)

    # the label went straight to the database: a DataError on PostgreSQL
    response = client.post("/accounts/app-passwords/", {"label": label})

    assert response.status_code == 400
    assert response.content == b"The form holds a NUL character (%00).\n"
    assert not AppPassword.objects.exists()


@pytest.mark.django_db
def test_a_form_without_one_goes_through(tenant, viewer) -> None:
    client = Client(HTTP_HOST=HOST)
    client.force_login(viewer)

    response = client.post("/accounts/app-passwords/", {"label": "e-reader %00"})

    assert response.status_code == 200
    assert "e-reader %00" in response.content.decode()

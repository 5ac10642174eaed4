"""Django's wordless refusals (its HTML "Bad Request (400)" page, an empty 405) say why, in
JSON under /api/ and in plain text elsewhere."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
HOST = "tenant-a.test"


@pytest.mark.parametrize("host", ["bad host", "tenant-a.test:abc", "[::1"])
def test_a_host_header_that_is_no_host_name_is_a_400_saying_so(tenant, host) -> None:
    page = Client(HTTP_HOST=host).get("/opds/")
    api = Client(HTTP_HOST=host).get("/api/titles/")

    assert page.status_code == api.status_code == 400
    assert page["Content-Type"] == "text/plain; charset=utf-8"
    assert page.content == b"The Host header is not a host name this server answers to.\n"
    assert api.json() == {"detail": "The Host header is not a host name this server answers to."}


def test_too_many_fields_is_a_400_saying_so(tenant, settings) -> None:
    query = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))

    response = Client(HTTP_HOST=HOST).get(f"/api/titles/?{query}")

    assert response.status_code == 400
    assert response.json() == {"detail": "The request has over 1000 fields."}


def test_a_form_body_over_the_limit_is_a_413(tenant, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = "username=" + "x" * 2000 + "&password=x"

    response = Client(HTTP_HOST=HOST).post(
        "/accounts/login/", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 413
    assert response.content == b"The request body is over 1000 bytes.\n"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("POST", "/opds/", "GET, HEAD"), ("FOO", "/opds/search/", "GET, HEAD")],
)
def test_a_method_a_page_does_not_take_is_a_405_naming_the_ones_it_does(
    tenant, viewer, method, path, allowed
) -> None:
    client = Client(HTTP_HOST=HOST)
    client.force_login(viewer)

    response = client.generic(method, path)

    assert response.status_code == 405
    assert response["Allow"] == allowed
    assert response.content.decode() == f"{method} is not allowed here; use {allowed}.\n"


def test_a_405_from_a_class_based_view_says_so_too(tenant) -> None:
    response = Client(HTTP_HOST=HOST).generic("PATCH", "/accounts/login/")

    assert response.status_code == 405
    assert response.content.decode().startswith("PATCH is not allowed here; use ")


def test_a_malformed_multipart_body_is_a_400_saying_so(tenant) -> None:
    response = Client(HTTP_HOST=HOST).post(
        "/accounts/login/",
        "x",
        content_type="multipart/form-data",  # no boundary
    )

    assert response.status_code == 400
    assert (
        response.content
        == b"The multipart body is malformed: Invalid boundary in multipart: None\n"
    )


@pytest.mark.parametrize("path", ["/api/nope/", "/api/titles/x/y/z/"])
def test_an_api_path_that_is_no_endpoint_is_a_json_404(tenant, viewer, path) -> None:
    client = Client(HTTP_HOST=HOST)
    client.force_login(viewer)

    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "No API endpoint at this path."}


def test_pages_keep_the_html_404(tenant, viewer) -> None:
    client = Client(HTTP_HOST=HOST)
    client.force_login(viewer)

    response = client.get("/nope/")

    assert response.status_code == 404
    assert response["Content-Type"] == "text/html; charset=utf-8"

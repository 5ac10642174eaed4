"""GET/PUT/PATCH /api/preferences/: a viewer's subtitle and audio languages, on any device."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from library.models import Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/preferences/"
TENANT_B_HOST = "tenant-b.test"


def test_nothing_saved_reads_as_the_defaults(api_as, viewer) -> None:
    response = api_as(viewer).get(URL)

    assert response.status_code == 200
    assert response.json() == {"subtitle_language": "", "audio_language": "", "updated_at": None}


def test_a_viewer_saves_languages_and_reads_them_back(api_as, viewer) -> None:
    client = api_as(viewer)

    saved = client.put(URL, {"subtitle_language": "fre", "audio_language": "en"}, format="json")
    read = client.get(URL).json()

    assert saved.status_code == 200, saved.content
    assert read == saved.json()
    assert (read["subtitle_language"], read["audio_language"]) == ("fre", "en")
    assert read["updated_at"] is not None


def test_patch_changes_only_what_it_names(api_as, viewer) -> None:
    client = api_as(viewer)
    client.put(URL, {"subtitle_language": "fre", "audio_language": "eng"}, format="json")

    patched = client.patch(URL, {"subtitle_language": ""}, format="json")

    assert patched.status_code == 200, patched.content
    assert (patched.json()["subtitle_language"], patched.json()["audio_language"]) == ("", "eng")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subtitle_language": "French", "audio_language": ""}, "subtitle_language"),
        ({"subtitle_language": "", "audio_language": "e"}, "audio_language"),
        ({"subtitle_language": "pt-BR-x-toolong", "audio_language": ""}, "subtitle_language"),
        ({"subtitle_language": "<b>", "audio_language": ""}, "subtitle_language"),
        ({"subtitle_language": None, "audio_language": ""}, "subtitle_language"),
        ({"subtitle_language": "fre"}, "audio_language"),  # PUT sets both
    ],
)
def test_bad_input_is_refused_with_the_field_that_is_wrong(api_as, viewer, body, field) -> None:
    client = api_as(viewer)

    response = client.put(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert client.get(URL).json()["updated_at"] is None


def test_region_codes_are_languages_too(api_as, viewer) -> None:
    response = api_as(viewer).patch(URL, {"audio_language": "pt-BR"}, format="json")

    assert response.json()["audio_language"] == "pt-BR"


def test_another_viewers_and_another_sites_preferences_are_apart(
    api_as, viewer, tenant, other_tenant
) -> None:
    # given a viewer of both sites who chose French subtitles on site A
    Membership.objects.create(tenant=other_tenant, user=viewer, role=Membership.Role.VIEWER)
    other = UserFactory(username="other-viewer")
    Membership.objects.create(tenant=tenant, user=other, role=Membership.Role.VIEWER)
    api_as(viewer).patch(URL, {"subtitle_language": "fre"}, format="json")

    # when site B gets its own choice
    api_as(viewer, host=TENANT_B_HOST).patch(URL, {"subtitle_language": "de"}, format="json")

    # then each site keeps its own, and another viewer has none of them
    assert api_as(viewer).get(URL).json()["subtitle_language"] == "fre"
    assert api_as(viewer, host=TENANT_B_HOST).get(URL).json()["subtitle_language"] == "de"
    assert api_as(other).get(URL).json()["subtitle_language"] == ""


def test_a_non_member_is_refused(api_as, tenant, outsider) -> None:
    assert api_as(outsider).get(URL).status_code == 403
    assert api_as(outsider).patch(URL, {"subtitle_language": "fre"}).status_code == 403


def test_anonymous_clients_must_authenticate(api_as, tenant) -> None:
    client = api_as(None)

    assert client.get(URL).status_code in (401, 403)
    assert client.put(URL, {"subtitle_language": "", "audio_language": ""}).status_code in (
        401,
        403,
    )


def test_a_signed_in_browser_must_send_the_csrf_token(viewer) -> None:
    client = APIClient(HTTP_HOST="tenant-a.test", enforce_csrf_checks=True)
    client.force_login(viewer)

    response = client.patch(URL, {"subtitle_language": "fre"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_the_schema_describes_preferences(client, tenant) -> None:
    response = client.get("/api/schema/", HTTP_HOST="tenant-a.test", HTTP_ACCEPT="application/json")

    assert {"get", "put", "patch"} <= set(response.json()["paths"][URL])
    body = response.json()["components"]["schemas"]["Preferences"]
    assert set(body["properties"]) == {"subtitle_language", "audio_language", "updated_at"}
    assert {"pattern", "maxLength"} <= set(body["properties"]["audio_language"]["oneOf"][0])
    assert "PatchedPreferences" in response.json()["components"]["schemas"]

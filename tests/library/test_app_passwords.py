"""App passwords: made and revoked by their member (page, API) or in admin; shown once."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from rest_framework.test import APIClient

from library.app_passwords import app_password_create
from library.models import AppPassword

pytestmark = pytest.mark.django_db


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_the_api_makes_one_shows_it_once_and_revokes_it(api_as, viewer) -> None:
    client = api_as(viewer)

    made = client.post("/api/account/app-passwords/", {"label": "Panels"}, format="json")
    listed = client.get("/api/account/app-passwords/").json()

    assert (made.status_code, made["Cache-Control"]) == (201, "no-store")
    secret = made.json()["password"]
    assert re.fullmatch(r"([a-z2-9]{4}-){5}[a-z2-9]{4}", secret)
    assert [(p["label"], "password" in p) for p in listed] == [("Panels", False)]
    row = AppPassword.objects.get()
    assert row.secret_hash == hashlib.sha256(secret.replace("-", "").encode()).hexdigest()
    by_app = APIClient(HTTP_HOST="tenant-a.test", HTTP_AUTHORIZATION=basic("viewer", secret))
    assert by_app.get("/api/titles/").status_code == 200

    assert client.delete(f"/api/account/app-passwords/{row.id}/").status_code == 204
    assert by_app.get("/api/titles/").status_code == 401


def test_members_see_and_revoke_only_their_own(api_as, viewer, curator, outsider, tenant) -> None:
    theirs, _ = app_password_create(user=curator, tenant=tenant, label="Curator's")

    assert api_as(viewer).get("/api/account/app-passwords/").json() == []
    assert api_as(viewer).delete(f"/api/account/app-passwords/{theirs.id}/").status_code == 404
    assert (
        api_as(outsider, "tenant-b.test")
        .delete(f"/api/account/app-passwords/{theirs.id}/")
        .status_code
        == 404
    )
    assert AppPassword.objects.filter(id=theirs.id).exists()


def test_an_app_password_cannot_make_or_revoke_app_passwords(viewer, tenant) -> None:
    row, secret = app_password_create(user=viewer, tenant=tenant, label="Leaky app")
    client = APIClient(HTTP_HOST="tenant-a.test", HTTP_AUTHORIZATION=basic("viewer", secret))

    made = client.post("/api/account/app-passwords/", {"label": "More"}, format="json")
    revoked = client.delete(f"/api/account/app-passwords/{row.id}/")

    assert made.status_code == revoked.status_code == 403
    assert "account password" in made.json()["detail"]
    assert AppPassword.objects.count() == 1


def test_a_label_is_required(api_as, viewer) -> None:
    answer = api_as(viewer).post("/api/account/app-passwords/", {"label": ""}, format="json")

    assert answer.status_code == 400
    assert "label" in answer.json()


def test_the_account_page_makes_shows_once_and_revokes(admin_as, viewer) -> None:
    browser = admin_as(viewer)

    made = browser.post("/accounts/app-passwords/", {"label": "Chunky on iPad"})
    again = browser.get("/accounts/app-passwords/")
    secret = re.search(r'id="new-app-password">([a-z2-9-]+)<', made.content.decode())[1]
    row = AppPassword.objects.get(user=viewer)
    revoked = browser.post(f"/accounts/app-passwords/{row.id}/revoke/")

    assert (made.status_code, made["Cache-Control"]) == (200, "no-store")
    assert "Chunky on iPad" in again.content.decode()
    assert secret not in again.content.decode()
    assert "http://tenant-a.test/opds/" in again.content.decode()
    assert revoked.status_code == 302
    assert not AppPassword.objects.exists()
    assert browser.get("/").content.decode().count('href="/accounts/app-passwords/"') == 1


def test_a_curator_makes_one_for_a_member_in_admin(admin_as, curator, viewer, outsider) -> None:
    browser = admin_as(curator)

    form = browser.get("/admin/library/apppassword/add/").content.decode()
    made = browser.post(
        "/admin/library/apppassword/add/", {"user": viewer.id, "label": "Kodi"}, follow=True
    )

    assert f'value="{viewer.id}"' in form
    assert f'value="{outsider.id}"' not in form  # not a member of this site
    row = AppPassword.objects.get()
    assert (row.user, row.tenant.name, row.label) == (viewer, "Tenant A", "Kodi")
    secret = re.search(r"App password for viewer: ([a-z2-9-]+)", made.content.decode())[1]
    client = APIClient(HTTP_HOST="tenant-a.test", HTTP_AUTHORIZATION=basic("viewer", secret))
    assert client.get("/api/titles/").status_code == 200

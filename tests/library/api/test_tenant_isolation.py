from __future__ import annotations

import pytest

from tests.factories import TitleFactory
from tests.library.api.conftest import TENANT_B_HOST

pytestmark = pytest.mark.django_db


def test_a_title_is_invisible_through_another_tenants_host(api_as, tenant, other_tenant, outsider):
    mine = TitleFactory(tenant=tenant, title="Only in A")
    theirs = TitleFactory(tenant=other_tenant, title="Only in B")
    client = api_as(outsider, host=TENANT_B_HOST)

    listed = client.get("/api/titles/").json()
    detail = client.get(f"/api/titles/{mine.slug}/")

    assert [item["title"] for item in listed["results"]] == [theirs.title]
    assert detail.status_code == 404


def test_a_member_of_another_tenant_is_refused(api_as, tenant, outsider) -> None:
    TitleFactory(tenant=tenant)

    response = api_as(outsider).get("/api/titles/")

    assert response.status_code == 403


def test_anonymous_clients_must_authenticate(api_as, tenant) -> None:
    response = api_as(None).get("/api/titles/")

    assert response.status_code in (401, 403)
    assert "results" not in response.json()


def test_a_superuser_reads_any_tenant(api_as, tenant, django_user_model) -> None:
    TitleFactory(tenant=tenant, title="Seen by root")
    root = django_user_model.objects.create_superuser("root", password="x" * 12)

    response = api_as(root).get("/api/titles/")

    assert [item["title"] for item in response.json()["results"]] == ["Seen by root"]

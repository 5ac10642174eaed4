from __future__ import annotations

import pytest

from library.models import Tenant


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_host(client, tenant: Tenant) -> None:
    response = client.get("/api/", HTTP_HOST="nobody.test")

    assert response.status_code == 404
    assert response.json() == {"detail": "Unknown host."}


@pytest.mark.django_db
def test_it_picks_the_tenant_from_the_host_ignoring_port_and_case(rf, tenant: Tenant) -> None:
    from library.middleware import TenantMiddleware

    seen = {}

    def view(request):
        seen["tenant"] = request.tenant
        return None

    TenantMiddleware(view)(rf.get("/api/", HTTP_HOST="Tenant-A.test:8080"))

    assert seen["tenant"] == tenant


@pytest.mark.django_db
def test_the_healthz_probe_answers_on_any_host(client, tenant, redis_url) -> None:
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200


@pytest.mark.django_db
def test_admin_pages_of_an_unknown_host_are_404(client, tenant) -> None:
    response = client.get("/admin/login/", HTTP_HOST="evil.test")

    assert response.status_code == 404

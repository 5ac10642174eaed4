"""Picks the request's tenant from its host; an unknown host gets a 404."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.http.request import split_domain_port

from .models import Tenant

# Paths that answer whatever the host: health checks and metrics scrapes come from load
# balancers and probes that address the box by IP.
TENANTLESS_PATHS = ("/healthz", "/metrics")


def tenant_for_host(host: str) -> Tenant | None:
    domain, _port = split_domain_port(host)
    if not domain:
        return None
    return Tenant.objects.filter(domains__domain=domain.lower()).first()


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(TENANTLESS_PATHS):
            request.tenant = None  # type: ignore[attr-defined]
            return self.get_response(request)
        tenant = tenant_for_host(request.get_host())
        if tenant is None:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "Unknown host."}, status=404)
            return HttpResponseNotFound("Unknown host.")
        request.tenant = tenant  # type: ignore[attr-defined]
        return self.get_response(request)

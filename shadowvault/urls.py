from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from streaming.urls import api_urlpatterns as stream_api_urls
from streaming.urls import urlpatterns as stream_urls

from .health import healthz
from .metrics import metrics

handler400 = "shadowvault.error_answers.bad_request"
handler404 = "shadowvault.error_answers.not_found"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("library.api.urls")),
    path("api/", include(stream_api_urls)),
    path("api/", include("ingest.api.urls")),
    path("api/", include("readvault.api.urls")),
    path("api/", include("watching.api.urls")),
    *stream_urls,
    path("", include("dav.urls")),
    path("", include("readvault.urls")),
    path("opds/", include("opds.urls")),
    path("", include("web.urls")),
]

# A database that cannot be reached is a 503 with Retry-After, not a 500 (database_down.py).
handler500 = "shadowvault.database_down.server_error"

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("ingest/jobs/", views.IngestJobListView.as_view(), name="ingest-job-list"),
    path("ingest/jobs/<int:pk>/", views.IngestJobDetailView.as_view(), name="ingest-job-detail"),
    path(
        "ingest/jobs/<int:pk>/cancel/",
        views.IngestJobActionView.as_view(action="cancel"),
        name="ingest-job-cancel",
    ),
    path(
        "ingest/jobs/<int:pk>/retry/",
        views.IngestJobActionView.as_view(action="retry"),
        name="ingest-job-retry",
    ),
]

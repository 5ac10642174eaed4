from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("titles/", views.TitleListView.as_view(), name="title-list"),
    path("titles/import/", views.TitleImportView.as_view(), name="title-import"),
    path("titles/<str:slug>/", views.TitleDetailView.as_view(), name="title-detail"),
    path("tmdb/search/", views.TMDBSearchView.as_view(), name="tmdb-search"),
    path("account/app-passwords/", views.AppPasswordListView.as_view(), name="app-passwords"),
    path(
        "account/app-passwords/<int:app_password_id>/",
        views.AppPasswordDetailView.as_view(),
        name="app-password",
    ),
]

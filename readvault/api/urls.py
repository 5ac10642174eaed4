from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("manga/", views.SeriesListView.as_view(), name="manga-list"),
    path(
        "manga/chapters/<int:chapter_id>/pages/", views.PageListView.as_view(), name="manga-pages"
    ),
    path("manga/chapters/<int:chapter_id>/cbz/", views.ChapterCbzView.as_view(), name="manga-cbz"),
    path("manga/<str:slug>/", views.SeriesDetailView.as_view(), name="manga-detail"),
    path("manga/<str:slug>/chapters/", views.ChapterListView.as_view(), name="manga-chapters"),
]

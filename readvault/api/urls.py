from __future__ import annotations

from django.urls import path

from . import curators, views

# Fixed words before `<slug>`: a slug is 11 characters and never one of them.
urlpatterns = [
    path("manga/", views.SeriesListView.as_view(), name="manga-list"),
    path("manga/sources/", curators.SourceListView.as_view(), name="manga-sources"),
    path("manga/sources/<int:pk>/", curators.SourceDetailView.as_view(), name="manga-source"),
    path(
        "manga/sources/<int:pk>/search/",
        curators.SourceSearchView.as_view(),
        name="manga-source-search",
    ),
    path(
        "manga/sources/<int:pk>/follow/", curators.FollowView.as_view(), name="manga-source-follow"
    ),
    path(
        "manga/chapters/<int:chapter_id>/retry/",
        curators.ChapterRetryView.as_view(),
        name="manga-chapter-retry",
    ),
    path(
        "manga/chapters/<int:chapter_id>/pages/", views.PageListView.as_view(), name="manga-pages"
    ),
    path("manga/chapters/<int:chapter_id>/cbz/", views.ChapterCbzView.as_view(), name="manga-cbz"),
    path("manga/<str:slug>/", views.SeriesDetailView.as_view(), name="manga-detail"),
    path("manga/<str:slug>/chapters/", views.ChapterListView.as_view(), name="manga-chapters"),
    path(
        "manga/<str:slug>/curation/", curators.SeriesSettingsView.as_view(), name="manga-curation"
    ),
    path("manga/<str:slug>/releases/", curators.ReleaseListView.as_view(), name="manga-releases"),
    *[
        path(
            f"manga/<str:slug>/{action}/",
            curators.SeriesActionView.as_view(action=action),
            name=f"manga-{action}",
        )
        for action in ("follow", "unfollow", "refresh")
    ],
]

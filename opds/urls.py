from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.root, name="opds-root"),
    path("search.xml", views.search_description, name="opds-search-description"),
    path("search/", views.search, name="opds-search"),
    path("manga/", views.manga_list, {"listing": "az"}, name="opds-manga"),
    path("manga/recent/", views.manga_list, {"listing": "recent"}, name="opds-manga-recent"),
    path("manga/followed/", views.manga_list, {"listing": "followed"}, name="opds-manga-followed"),
    path("manga/<str:slug>/", views.manga_series, name="opds-manga-series"),
    path("manga/<str:slug>/cover", views.series_cover, name="opds-manga-cover"),
    path("chapters/<int:chapter_id>/pages/<int:number>", views.chapter_page, name="opds-page"),
    path("movies/", views.movies, name="opds-movies"),
    path("series/", views.tv_series, name="opds-series"),
    path("titles/<str:slug>/", views.title, name="opds-title"),
    path("files/<str:public_id>", views.media_file, name="opds-file"),
]

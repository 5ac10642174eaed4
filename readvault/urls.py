from __future__ import annotations

from django.urls import path

from . import downloads

urlpatterns = [
    path("manga/chapters/<int:chapter_id>/cbz", downloads.chapter_cbz, name="chapter-cbz"),
]

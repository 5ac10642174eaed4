from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("s/<str:public_id>/<path:name>", views.authorize, name="stream-authorize"),
    path("m/<str:public_id>/<str:playlist>.m3u8", views.hls_playlist, name="hls-playlist"),
    path("playlists/<str:slug>.m3u8", views.playlist, name="playlist"),
    path("playlists/<str:slug>/season-<int:season>.m3u8", views.playlist, name="playlist-season"),
]

api_urlpatterns = [
    path("files/<str:public_id>/link/", views.StreamLinkView.as_view(), name="stream-link"),
    path("files/<str:public_id>/playback/", views.PlaybackView.as_view(), name="playback"),
]

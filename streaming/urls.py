from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("s/<str:public_id>/<path:name>", views.authorize, name="stream-authorize"),
]

api_urlpatterns = [
    path("files/<str:public_id>/link/", views.StreamLinkView.as_view(), name="stream-link"),
]

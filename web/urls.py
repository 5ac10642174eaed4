from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("browse/", views.browse, name="browse"),
    path("title/<str:slug>/", views.title_page, name="title"),
    path("watch/<str:public_id>/", views.watch, name="watch"),
    path("manga/", views.manga_library, name="manga"),
    path("manga/<str:slug>/", views.manga_series, name="manga-series"),
    path("read/<int:chapter_id>/", views.read, name="read"),
    path("accounts/app-passwords/", views.app_passwords, name="app-passwords"),
    path(
        "accounts/app-passwords/<int:app_password_id>/revoke/",
        views.app_password_delete,
        name="app-password-revoke",
    ),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]

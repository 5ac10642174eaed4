from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("preferences/", views.PreferencesView.as_view(), name="preferences"),
    path("progress/", views.ProgressListView.as_view(), name="progress-list"),
    path("progress/continue/", views.ContinueWatchingView.as_view(), name="progress-continue"),
    path("progress/<str:public_id>/", views.ProgressDetailView.as_view(), name="progress-detail"),
]

"""The viewer's progress for client apps (per file, the list, the continue-watching row) and
their player preferences."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from library.models import MediaFile
from library.selectors import ready_file
from watching.models import WatchProgress
from watching.selectors import (
    continue_watching,
    preferences_of,
    progress_list,
    progress_of_file,
)
from watching.services import preferences_save, progress_forget, progress_save

from .serializers import (
    ContinueItemSerializer,
    PreferencesSerializer,
    ProgressSerializer,
    ProgressUpdateSerializer,
)


def tenant_file(request: Request, public_id: str) -> MediaFile:
    media_file = ready_file(tenant=request.tenant, public_id=public_id)
    if media_file is None:
        raise Http404("No such file.")
    return media_file


def not_started(media_file: MediaFile) -> WatchProgress:
    """What a file with no progress yet reads as: at the start, not watched."""
    return WatchProgress(
        title=media_file.title,
        episode=media_file.episode,
        media_file=media_file,
        position=0.0,
        duration=media_file.duration or 0.0,
        updated_at=None,
    )


class ProgressListView(generics.ListAPIView):
    """The calling viewer's progress on this site, the most recent first."""

    serializer_class = ProgressSerializer

    @extend_schema(
        parameters=[OpenApiParameter("title", str, description="Only this title (its slug).")]
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no tenant
            return WatchProgress.objects.none()
        progress = progress_list(user=self.request.user, tenant=self.request.tenant)
        title = self.request.query_params.get("title")
        return progress.filter(title__slug=title) if title else progress


class ProgressDetailView(APIView):
    """Where the calling viewer is in the film or episode a file holds (any of its versions)."""

    @extend_schema(responses=ProgressSerializer)
    def get(self, request: Request, public_id: str) -> Response:
        media_file = tenant_file(request, public_id)
        progress = progress_of_file(user=request.user, media_file=media_file)
        return Response(ProgressSerializer(progress or not_started(media_file)).data)

    @extend_schema(request=ProgressUpdateSerializer, responses=ProgressSerializer)
    def put(self, request: Request, public_id: str) -> Response:
        media_file = tenant_file(request, public_id)
        body = ProgressUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        progress = progress_save(user=request.user, media_file=media_file, **body.validated_data)
        return Response(ProgressSerializer(progress).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, public_id: str) -> Response:
        progress_forget(user=request.user, media_file=tenant_file(request, public_id))
        return Response(status=204)


class ContinueWatchingView(APIView):
    """The calling viewer's continue-watching row: what to play next, and from where."""

    @extend_schema(responses=ContinueItemSerializer(many=True))
    def get(self, request: Request) -> Response:
        items = continue_watching(user=request.user, tenant=request.tenant)
        return Response(ContinueItemSerializer(items, many=True).data)


class PreferencesView(APIView):
    """The calling viewer's preferred subtitle and audio languages on this site.

    PUT sets both, PATCH any of them; no saved preferences read as the defaults ("").
    """

    @extend_schema(responses=PreferencesSerializer)
    def get(self, request: Request) -> Response:
        preferences = preferences_of(user=request.user, tenant=request.tenant)
        return Response(PreferencesSerializer(preferences).data)

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def put(self, request: Request) -> Response:
        return self.save(request, partial=False)

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def patch(self, request: Request) -> Response:
        return self.save(request, partial=True)

    def save(self, request: Request, *, partial: bool) -> Response:
        body = PreferencesSerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        preferences = preferences_save(
            user=request.user, tenant=request.tenant, **body.validated_data
        )
        return Response(PreferencesSerializer(preferences).data)

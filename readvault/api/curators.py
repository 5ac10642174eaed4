"""The ReadVault API for curators: sources, a source's search, following and refreshing
series, every chapter's state and error, retrying a failed chapter.

Curators of the host's site only (viewers get 403); another site's objects are 404. Work
that reaches a manga site (a refresh, a retry) is queued for the worker; a source's search
is the one call answered at once, through the guard proxy and the source's rate limit.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from library.api.permissions import IsTenantCurator
from readvault.models import Chapter, Series, Source
from readvault.services import series_follow, source_search
from readvault.sources import SourceError
from readvault.tasks import chapter_retry_task, series_refresh_task

from .serializers import (
    CuratedSeriesSerializer,
    FollowSerializer,
    ReleaseSerializer,
    SeriesSettingsSerializer,
    SourceHitSerializer,
    SourceSearchQuerySerializer,
    SourceSerializer,
)


class SourceUnavailable(APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "source_unavailable"


class SourceBusy(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "source_busy"
    wait = 30  # DRF's handler says it in Retry-After


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def source_failed(exc: SourceError) -> APIException:
    """502 for a source that answered wrongly; 503 with Retry-After when it may recover."""
    return SourceUnavailable(str(exc)) if exc.permanent else SourceBusy(str(exc))


def refresh_enqueue(series_id: int) -> None:
    transaction.on_commit(lambda: series_refresh_task.delay(series_id))


class CuratorView:
    permission_classes = [IsTenantCurator]

    def tenant_sources(self) -> QuerySet[Source]:
        return Source.objects.filter(tenant=self.request.tenant).order_by("name", "id")

    def enabled_source(self, pk: int) -> Source:
        source = self.tenant_sources().filter(id=pk).first()
        if source is None:
            raise Http404("No such source.")
        if not source.enabled:
            raise Conflict("This source is disabled.")
        return source

    def tenant_series(self, slug: str) -> Series:
        series = Series.objects.filter(tenant=self.request.tenant, slug=slug).first()
        if series is None:
            raise Http404("No such series.")
        return series


class SourceViews(CuratorView):
    serializer_class = SourceSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Source.objects.none()
        return self.tenant_sources()

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "tenant": getattr(self.request, "tenant", None)}


class SourceListView(SourceViews, generics.ListCreateAPIView):
    """The site's manga sources; POST adds one (HTML sources with checked selectors)."""

    pagination_class = None

    def perform_create(self, serializer: SourceSerializer) -> None:
        serializer.save(tenant=self.request.tenant)


class SourceDetailView(SourceViews, generics.RetrieveUpdateAPIView):
    """One source; PATCH edits it (`{"enabled": false}` disables it: its series stop
    refreshing, and nothing is deleted)."""


class SourceSearchView(CuratorView, APIView):
    """Search a source for series to follow (HTML sources cannot search: an empty list)."""

    @extend_schema(
        parameters=[SourceSearchQuerySerializer], responses=SourceHitSerializer(many=True)
    )
    def get(self, request: Request, pk: int) -> Response:
        source = self.enabled_source(pk)
        query = SourceSearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            hits = source_search(source=source, query=query.validated_data["q"])
        except SourceError as exc:
            raise source_failed(exc) from exc
        followed = dict(
            Series.objects.filter(
                source=source, source_key__in=[hit.source_id for hit in hits]
            ).values_list("source_key", "slug")
        )
        rows = [{**vars(hit), "followed_slug": followed.get(hit.source_id)} for hit in hits]
        return Response(SourceHitSerializer(rows, many=True).data)


class FollowView(CuratorView, APIView):
    """Follow a series of this source by its key there: its details come from the source,
    and a first refresh is queued. 201 when new, 200 when it was already here."""

    @extend_schema(request=FollowSerializer, responses={201: CuratedSeriesSerializer})
    def post(self, request: Request, pk: int) -> Response:
        source = self.enabled_source(pk)
        body = FollowSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        key = body.validated_data["source_key"]
        known = Series.objects.filter(source=source, source_key=key).exists()
        try:
            series = series_follow(source=source, source_key=key)
        except SourceError as exc:
            raise source_failed(exc) from exc
        refresh_enqueue(series.id)
        answer = status.HTTP_200_OK if known else status.HTTP_201_CREATED
        return Response(CuratedSeriesSerializer(series).data, status=answer)


class SeriesSettingsView(CuratorView, APIView):
    """A followed series as curators see it; PATCH sets how it is kept."""

    @extend_schema(responses=CuratedSeriesSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(CuratedSeriesSerializer(self.tenant_series(slug)).data)

    @extend_schema(request=SeriesSettingsSerializer, responses=CuratedSeriesSerializer)
    def patch(self, request: Request, slug: str) -> Response:
        form = SeriesSettingsSerializer(self.tenant_series(slug), data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        return Response(CuratedSeriesSerializer(form.save()).data)


class SeriesActionView(CuratorView, APIView):
    """POST follow/, unfollow/ (keep refreshing it or not) and refresh/ (queued now: 202)."""

    action = ""

    @extend_schema(request=None, responses=CuratedSeriesSerializer)
    def post(self, request: Request, slug: str) -> Response:
        series = self.tenant_series(slug)
        if self.action == "refresh":
            if not Source.objects.filter(id=series.source_id, enabled=True).exists():
                raise Conflict("The series' source is disabled.")
            refresh_enqueue(series.id)
            return Response(CuratedSeriesSerializer(series).data, status=status.HTTP_202_ACCEPTED)
        series.followed = self.action == "follow"
        series.save(update_fields=["followed"])
        return Response(CuratedSeriesSerializer(series).data)


class ReleaseListView(CuratorView, generics.ListAPIView):
    """Every release of every chapter of a series, with its state and error."""

    serializer_class = ReleaseSerializer

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=Chapter.State.values, required=False)]
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Chapter.objects.none()
        chapters = self.tenant_series(self.kwargs["slug"]).chapters.annotate(
            page_count=Count("pages")
        )
        state = self.request.query_params.get("state")
        if state:
            if state not in Chapter.State.values:
                raise Http404(f"No chapter state {state!r}.")
            chapters = chapters.filter(state=state)
        return chapters.order_by("number", "id")


class ChapterRetryView(CuratorView, APIView):
    """Queue a failed chapter for another download (202); any other state is a 409."""

    @extend_schema(request=None, responses={202: ReleaseSerializer})
    def post(self, request: Request, chapter_id: int) -> Response:
        chapters = Chapter.objects.filter(id=chapter_id, series__tenant=request.tenant)
        chapter = chapters.select_related("series__source").first()
        if chapter is None:
            raise Http404("No such chapter.")
        if not chapter.series.source.enabled:
            raise Conflict("The chapter's source is disabled.")
        claimed = chapters.filter(state=Chapter.State.FAILED).update(
            state=Chapter.State.PENDING, error=""
        )
        if not claimed:
            raise Conflict(f"Only failed chapters can be retried; this one is {chapter.state}.")
        transaction.on_commit(lambda: chapter_retry_task.delay(chapter.id))
        chapter = chapters.annotate(page_count=Count("pages")).get()
        return Response(ReleaseSerializer(chapter).data, status=status.HTTP_202_ACCEPTED)

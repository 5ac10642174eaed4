from __future__ import annotations

from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from library.clients.tmdb import TMDBClient
from library.models import Title
from library.selectors import title_detail, title_list
from library.services import title_import

from .filters import StrictOrderingFilter, TitleFilter
from .permissions import IsTenantCurator
from .serializers import (
    TitleDetailSerializer,
    TitleImportSerializer,
    TitleListSerializer,
    TMDBSearchQuerySerializer,
    TMDBSearchResultSerializer,
)


class TitleListView(generics.ListAPIView):
    """The tenant's catalog: search, filter by kind, year and genre, order."""

    serializer_class = TitleListSerializer
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = TitleFilter
    ordering_fields = ["title", "year", "created_at", "popularity"]
    ordering = ["title", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no tenant
            return Title.objects.none()
        return title_list(tenant=self.request.tenant)


class TitleDetailView(generics.RetrieveAPIView):
    """One title with its seasons, episodes and ready files."""

    serializer_class = TitleDetailSerializer
    lookup_field = "slug"
    queryset = Title.objects.none()  # for the schema; get_object does the scoped read

    def get_object(self) -> Title:
        try:
            return title_detail(tenant=self.request.tenant, slug=self.kwargs["slug"])
        except Title.DoesNotExist as exc:
            raise Http404("No title with this slug.") from exc


class TMDBSearchView(APIView):
    """Search TMDB (curators): candidates to import."""

    permission_classes = [IsTenantCurator]

    @extend_schema(
        parameters=[TMDBSearchQuerySerializer],
        responses=TMDBSearchResultSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = TMDBSearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        results = TMDBClient.from_settings().search(
            query.validated_data["q"],
            kind=query.validated_data["kind"],
            page=query.validated_data["page"],
        )
        return Response(TMDBSearchResultSerializer(results, many=True).data)


class TitleImportView(APIView):
    """Import (or update) a title from TMDB by id (curators). 201 created, 200 updated."""

    permission_classes = [IsTenantCurator]

    @extend_schema(
        request=TitleImportSerializer,
        responses={200: TitleDetailSerializer, 201: TitleDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        body = TitleImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        title, created = title_import(tenant=request.tenant, **body.validated_data)
        detail = title_detail(tenant=request.tenant, slug=title.slug)
        return Response(TitleDetailSerializer(detail).data, status=201 if created else 200)

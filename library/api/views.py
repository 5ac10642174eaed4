from __future__ import annotations

from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from library.app_passwords import app_password_create, app_password_revoke, app_passwords_of
from library.clients.tmdb import TMDBClient
from library.models import AppPassword, Title
from library.selectors import title_detail, title_list
from library.services import title_import

from .authentication import BasicAppAuthentication
from .filters import StrictOrderingFilter, TitleFilter
from .permissions import IsTenantCurator
from .serializers import (
    AppPasswordCreatedSerializer,
    AppPasswordSerializer,
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


def refuse_app_passwords(request: Request) -> None:
    """An app password may not make or revoke app passwords: a leaked one stays alone."""
    if isinstance(request.successful_authenticator, BasicAppAuthentication) and request.auth:
        raise PermissionDenied("Sign in with your account password to manage app passwords.")


class AppPasswordListView(generics.ListAPIView):
    """The calling member's app passwords on this site (POST makes one: its secret is in
    the answer, and only there)."""

    serializer_class = AppPasswordSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AppPassword.objects.none()
        return app_passwords_of(user=self.request.user, tenant=self.request.tenant)

    @extend_schema(request=AppPasswordSerializer, responses={201: AppPasswordCreatedSerializer})
    def post(self, request: Request) -> Response:
        refuse_app_passwords(request)
        body = AppPasswordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row, secret = app_password_create(
            user=request.user, tenant=request.tenant, label=body.validated_data["label"]
        )
        row.password = secret
        return Response(
            AppPasswordCreatedSerializer(row).data,
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )


class AppPasswordDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, app_password_id: int) -> Response:
        """Revoke one of the calling member's app passwords: apps using it are refused at once."""
        refuse_app_passwords(request)
        if not app_password_revoke(
            user=request.user, tenant=request.tenant, app_password_id=app_password_id
        ):
            raise Http404("No such app password.")
        return Response(status=status.HTTP_204_NO_CONTENT)

"""The reader API: series, their chapters (each number once), and signed page links."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from readvault.downloads import CBZ_TYPE, cbz_response
from readvault.models import Series
from readvault.selectors import chapter_for_reader, chapters_for_reader, series_search
from streaming.services import page_links, viewer_key

from .serializers import ChapterSerializer, PageLinkSerializer, SeriesSerializer


class SeriesListView(generics.ListAPIView):
    serializer_class = SeriesSerializer

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Title or alternative title.")]
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Series.objects.none()
        return series_search(
            tenant=self.request.tenant, query=self.request.query_params.get("q", "")
        )


def tenant_series(request: Request, slug: str) -> Series:
    series = Series.objects.filter(tenant=request.tenant, slug=slug).first()
    if series is None:
        raise Http404("No such series.")
    return series


class SeriesDetailView(APIView):
    @extend_schema(responses=SeriesSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(SeriesSerializer(tenant_series(request, slug)).data)


class ChapterListView(APIView):
    @extend_schema(responses=ChapterSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        chapters = chapters_for_reader(tenant_series(request, slug))
        return Response(ChapterSerializer(chapters, many=True).data)


class ChapterCbzView(APIView):
    """The chapter as a CBZ (its pages stored in reading order, and a ComicInfo.xml)."""

    @extend_schema(responses={(200, CBZ_TYPE): OpenApiTypes.BINARY})
    def get(self, request: Request, chapter_id: int) -> HttpResponse:
        chapter = chapter_for_reader(tenant=request.tenant, chapter_id=chapter_id)
        if chapter is None:
            raise Http404("No such chapter.")
        return cbz_response(request._request, chapter)


class PageListView(APIView):
    """Every page of an available chapter as a signed gateway link for the calling viewer."""

    @extend_schema(responses=PageLinkSerializer(many=True))
    def get(self, request: Request, chapter_id: int) -> Response:
        chapter = chapter_for_reader(tenant=request.tenant, chapter_id=chapter_id)
        if chapter is None:
            raise Http404("No such chapter.")
        links = page_links(chapter, viewer=viewer_key(request.user.id), host=request.get_host())
        pages = [
            {
                "index": page.index,
                "width": page.width,
                "height": page.height,
                "url": link.url,
                "expires_at": link.expires_at,
            }
            for page, link in links
        ]
        return Response(PageLinkSerializer(pages, many=True).data)

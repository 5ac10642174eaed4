"""Ingest jobs over the API (curators): submit, list, follow, cancel, retry."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ingest.clients.bittorrent import MAX_TORRENT_BYTES
from ingest.jobs import job_cancel, job_retry
from ingest.models import IngestItem, IngestJob
from ingest.services import job_create
from ingest.url_guard import URLRefused
from library.api.permissions import IsTenantCurator
from library.models import Title

from .serializers import IngestJobCreateSerializer, IngestJobSerializer


def tenant_jobs(request: Request):
    if getattr(request, "tenant", None) is None:
        return IngestJob.objects.none()
    items = IngestItem.objects.select_related("media_file")
    return (
        IngestJob.objects.filter(tenant=request.tenant)
        .select_related("target_title")
        .prefetch_related(Prefetch("items", queryset=items))
        .defer("torrent")
    )


class IngestJobListView(generics.ListCreateAPIView):
    """Submit a URL or a .torrent (201), or list the site's jobs, newest first."""

    permission_classes = [IsTenantCurator]
    serializer_class = IngestJobSerializer

    def get_queryset(self):
        return tenant_jobs(self.request)

    @extend_schema(request=IngestJobCreateSerializer, responses={201: IngestJobSerializer})
    def post(self, request: Request) -> Response:
        body = IngestJobCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        title = None
        if data.get("title"):
            title = Title.objects.filter(tenant=request.tenant, slug=data["title"]).first()
            if title is None:
                raise ValidationError({"title": "No title with this slug on this site."})
        torrent = data.get("torrent")
        if torrent is not None and torrent.size > MAX_TORRENT_BYTES:
            raise ValidationError({"torrent": "That .torrent file is too large."})
        try:
            job = job_create(
                tenant=request.tenant,
                user=request.user,
                url=data.get("url", ""),
                torrent=torrent.read() if torrent is not None else None,
                title=title,
                season=data.get("season"),
                episode=data.get("episode"),
            )
        except URLRefused as refused:
            field = "torrent" if torrent is not None else "url"
            raise ValidationError({field: refused.reason}) from refused
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(
            IngestJobSerializer(tenant_jobs(request).get(id=job.id)).data,
            status=status.HTTP_201_CREATED,
        )


class IngestJobDetailView(generics.RetrieveAPIView):
    permission_classes = [IsTenantCurator]
    serializer_class = IngestJobSerializer

    def get_queryset(self):
        return tenant_jobs(self.request)


class IngestJobActionView(APIView):
    """POST …/cancel/ or …/retry/: 200 with the job, 409 when the job's state does not allow it."""

    permission_classes = [IsTenantCurator]
    action = ""

    @extend_schema(request=None, responses={200: IngestJobSerializer})
    def post(self, request: Request, pk: int) -> Response:
        job = tenant_jobs(request).filter(pk=pk).first()
        if job is None:
            raise Http404("No such job.")
        done = job_cancel(job) if self.action == "cancel" else job_retry(job)
        if not done:
            verb = "cancelled" if self.action == "cancel" else "retried"
            detail = f"A {job.get_state_display().lower()} job cannot be {verb}."
            return Response({"detail": detail}, status=status.HTTP_409_CONFLICT)
        return Response(IngestJobSerializer(tenant_jobs(request).get(pk=pk)).data)

"""The gateway's authorize step (`/s/…`) and the API that hands out stream links."""

from __future__ import annotations

from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shadowvault.metrics import metric_increment

from .objects import stored_object
from .services import PoolFull, stream_admit, stream_link, viewer_key
from .signing import LinkInvalid


async def authorize(request: HttpRequest, public_id: str, name: str) -> HttpResponse:
    """Let nginx serve a stored object to the holder of a valid link (X-Accel-Redirect).

    403 for a forged or expired link, 404 for what this site does not hold, 503 with
    Retry-After when every storage session is full. The body comes from the internal
    `/_vault/` location; only headers are decided here.
    """
    stored = await sync_to_async(stored_object)(public_id)
    tenant = getattr(request, "tenant", None)
    if stored is None or tenant is None or stored.tenant_id != tenant.id:
        return HttpResponse("No such file.\n", status=404, content_type="text/plain")
    try:
        expires = int(request.GET.get("exp", ""))
        session = await sync_to_async(stream_admit, thread_sensitive=False)(
            stored=stored,
            tenant_id=tenant.id,
            viewer=request.GET.get("v", ""),
            expires=expires,
            signature=request.GET.get("sig", ""),
        )
    except (ValueError, LinkInvalid):
        return HttpResponse(
            "This link is invalid or has expired.\n", status=403, content_type="text/plain"
        )
    except PoolFull as full:
        await sync_to_async(metric_increment, thread_sensitive=False)("pool_rejections_total")
        response = HttpResponse(
            "Every stream slot is taken; retry shortly.\n", status=503, content_type="text/plain"
        )
        response["Retry-After"] = str(full.retry_after)
        return response
    response = HttpResponse(status=200)
    target = f"/_{'whole' if stored.whole else 'vault'}/{stored.public_id}"
    response["X-Accel-Redirect"] = f"{target}?s={quote(session)}" if session else target
    response["Content-Type"] = stored.mime
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(stored.name)}"
    # The link is personal and expiring: browsers may keep the bytes, shared caches may not.
    response["Cache-Control"] = "private, max-age=3600"
    return response


class StreamLinkView(APIView):
    """POST /api/files/{public_id}/link/ — a signed gateway URL for the calling viewer."""

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "StreamLink", {"url": serializers.URLField(), "expires_at": serializers.DateTimeField()}
        ),
    )
    def post(self, request: Request, public_id: str) -> Response:
        stored = stored_object(public_id)
        if stored is None or stored.tenant_id != request.tenant.id:
            raise NotFound("No such file.")
        link = stream_link(
            stored=stored, viewer=viewer_key(request.user.id), host=request.get_host()
        )
        return Response({"url": link.url, "expires_at": link.expires_at})

"""Who may see the pages: signed-in members of the host's tenant (like the API)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden

from library.api.permissions import user_role


def member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user_role(request.user, request.tenant) is None:
            return HttpResponseForbidden("You are not a member of this site.")
        return view(request, *args, **kwargs)

    return wrapped

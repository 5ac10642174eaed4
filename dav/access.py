"""Who may read the WebDAV share: members of the host's site, by Basic credentials (an app's)
or by their session (a browser signed in to the site).

Players send Basic with every range request, and each seek is one. `library.basic_auth`
checks a kept success against the database on every use (a thread hop and a few queries: more
than the whole `/s/` authorize call), so a success is also kept here, in the process, for
`streaming.recent.FOUND_SECONDS` under basic_auth's keyed hash of the credentials: a seek then
costs no database call. The price: a password changed, a member removed or an app password
revoked stops working for the share within that time (30 s), not on the next request.
Failures are never kept here: basic_auth counts each wrong attempt and locks out guessers.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest

from library.api.permissions import user_role
from library.basic_auth import (
    basic_authenticate,
    basic_credentials,
    credentials_key,
    has_basic_credentials,
)
from shadowvault.login_throttle import request_address
from streaming.recent import Recent, on_thread


def basic_member(tenant, authorization: str, address: str) -> AbstractBaseUser | None:
    return basic_authenticate(tenant=tenant, authorization=authorization, address=address)


members = Recent(basic_member)


async def dav_member(request: HttpRequest) -> AbstractBaseUser | None:
    """The member of the request's site whose credentials (or session) came with it, or None.

    Credentials that are sent count even with a session: wrong ones are None.
    """
    tenant = request.tenant
    if has_basic_credentials(request):
        authorization = request.META["HTTP_AUTHORIZATION"]
        credentials = basic_credentials(authorization)
        if credentials is None:
            return None
        address = request_address(request)
        key = credentials_key(tenant, *credentials)
        return await members.get(key, tenant, authorization, address)
    get_user = getattr(request, "auser", None)  # set by Django's middleware, not by the gate
    user = await get_user() if get_user else None
    if user is None or not user.is_authenticated:
        return None
    return user if await on_thread(user_role)(user, tenant) is not None else None

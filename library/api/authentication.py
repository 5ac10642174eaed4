"""HTTP Basic for the API, with the same check as OPDS and WebDAV (library.basic_auth)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from library.basic_auth import basic_auth_user, basic_challenge, has_basic_credentials


class BasicAppAuthentication(BaseAuthentication):
    """A member's user name with their account password or an app password of this site."""

    def authenticate(self, request: Request):
        if not has_basic_credentials(request._request):
            return None
        user = basic_auth_user(request._request)
        if user is None:
            raise AuthenticationFailed("Wrong user name or password for this site.")
        return user, user.app_password_id  # request.auth: the app password's id, if one

    def authenticate_header(self, request: Request) -> str:
        return basic_challenge(getattr(request._request, "tenant", None))


class BasicAppAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = BasicAppAuthentication
    name = "basicAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return {"type": "http", "scheme": "basic"}

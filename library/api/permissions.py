"""Who may do what in the tenant picked by the request's host."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from library.models import Membership, Tenant


def user_role(user: AbstractBaseUser | AnonymousUser, tenant: Tenant | None) -> str | None:
    """The user's role in `tenant`: a Membership role, "curator" for superusers, else None."""
    if tenant is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Membership.Role.CURATOR
    # The user object lives for one request; remember its roles so that the admin's many
    # permission checks cost one query.
    roles = user.__dict__.setdefault("_tenant_roles", {})
    if tenant.id not in roles:
        membership = Membership.objects.filter(tenant=tenant, user=user).only("role").first()
        roles[tenant.id] = membership.role if membership else None
    return roles[tenant.id]


def is_tenant_curator(user: AbstractBaseUser | AnonymousUser, tenant: Tenant | None) -> bool:
    return user.is_staff and user_role(user, tenant) == Membership.Role.CURATOR


class IsTenantMember(BasePermission):
    message = "You are not a member of this site."

    def has_permission(self, request: Request, view: object) -> bool:
        return user_role(request.user, getattr(request, "tenant", None)) is not None


class IsTenantCurator(BasePermission):
    message = "Only this site's curators may do this."

    def has_permission(self, request: Request, view: object) -> bool:
        return is_tenant_curator(request.user, getattr(request, "tenant", None))

"""Create a tenant with its domains, or add missing domains to an existing one."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from library.models import Domain, Tenant


class Command(BaseCommand):
    help = "Create (or complete) a tenant and the host names that select it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Tenant name, e.g. 'Local'.")
        parser.add_argument(
            "--domain", action="append", required=True, help="Host name; repeat for several."
        )

    @transaction.atomic
    def handle(self, *args, name: str, domain: list[str], **options) -> None:
        tenant, created = Tenant.objects.get_or_create(name=name)
        for host in domain:
            host = host.strip().lower().rstrip(".")
            existing = Domain.objects.filter(domain=host).select_related("tenant").first()
            if existing and existing.tenant_id != tenant.id:
                raise CommandError(f"Domain {host!r} already belongs to tenant {existing.tenant}.")
            if not existing:
                Domain.objects.create(tenant=tenant, domain=host)
        verb = "Created" if created else "Checked"
        self.stdout.write(f"{verb} tenant {tenant.name!r} for {', '.join(domain)}")

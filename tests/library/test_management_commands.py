from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from library.models import Domain, Tenant


@pytest.mark.django_db
def test_ensure_tenant_creates_once_and_runs_again_harmlessly() -> None:
    call_command(
        "ensure_tenant", "--name", "Local", "--domain", "localhost", "--domain", "127.0.0.1"
    )
    call_command("ensure_tenant", "--name", "Local", "--domain", "LOCALHOST")

    tenant = Tenant.objects.get(name="Local")
    assert sorted(tenant.domains.values_list("domain", flat=True)) == ["127.0.0.1", "localhost"]
    assert Tenant.objects.count() == 1


@pytest.mark.django_db
def test_ensure_tenant_refuses_a_domain_of_another_tenant() -> None:
    call_command("ensure_tenant", "--name", "A", "--domain", "shared.test")

    with pytest.raises(CommandError, match="already belongs to tenant A"):
        call_command("ensure_tenant", "--name", "B", "--domain", "shared.test")
    assert Domain.objects.get(domain="shared.test").tenant.name == "A"


@pytest.mark.django_db
def test_ensure_admin_creates_one_superuser_with_a_private_password_file(settings, tmp_path):
    settings.DATA_DIR = tmp_path

    call_command("ensure_admin")
    call_command("ensure_admin")

    username, password = (tmp_path / "admin-password.txt").read_text().split()
    assert User.objects.filter(is_superuser=True).count() == 1
    assert User.objects.get(username=username).check_password(password)
    assert (tmp_path / "admin-password.txt").stat().st_mode & 0o077 == 0

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_a_refused_url_is_a_command_error_naming_the_problem(tenant) -> None:
    with pytest.raises(CommandError, match=r"Refused: 192\.168\.1\.1 is a private address"):
        call_command("leech", "http://192.168.1.1/film.mkv")


def test_several_tenants_need_a_name(tenant, other_tenant) -> None:
    with pytest.raises(CommandError, match="--tenant"):
        call_command("leech", "http://93.184.216.34/film.mkv")


def test_an_unknown_title_is_refused(tenant) -> None:
    with pytest.raises(CommandError, match="No title with slug 'nope'"):
        call_command("leech", "http://93.184.216.34/film.mkv", "--title", "nope")

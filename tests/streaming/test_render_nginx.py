"""render_nginx writes a gateway config that nginx itself accepts."""

from __future__ import annotations

import io
import shutil
import subprocess

from django.core.management import call_command

from streaming.nginx import listen_on_port


def test_it_writes_the_file_asked_for_on_the_port_asked_for(settings, tmp_path) -> None:
    settings.GATEWAY_LISTEN = "127.0.0.1:8080"
    settings.VAULT_ROOT = tmp_path / "vault"
    out = tmp_path / "gateway" / "gateway.conf"
    printed = io.StringIO()

    call_command(
        "render_nginx",
        "--out",
        str(out),
        "--port",
        "9123",
        "--web",
        "127.0.0.1:9001",
        "--origin",
        "unix:/run/shadowvault/origin.sock",
        "--cache-dir",
        str(tmp_path / "slices"),
        stdout=printed,
    )

    text = out.read_text()
    assert printed.getvalue().strip() == str(out)
    assert "listen 127.0.0.1:9123;" in text
    assert "server 127.0.0.1:9001;" in text
    assert "server unix:/run/shadowvault/origin.sock;" in text
    assert f"proxy_cache_path {tmp_path / 'slices'} " in text
    assert f"pid {out.parent}/nginx.pid;" in text  # the prefix is the config's directory
    # The slice cache is keyed on the object and the slice only, and never refreshed in the
    # background (that breaks slices).
    assert "proxy_cache_key $object_id$slice_range;" in text
    # Filesystem files straight from the vault (STREAM_FILESYSTEM_DIRECT, on by default).
    assert f"alias {tmp_path / 'vault' / 'objects'}/$object_path;" in text
    directives = [line.partition("#")[0] for line in text.splitlines()]
    assert not any("proxy_cache_background_update" in line for line in directives)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    checked = subprocess.run(
        [nginx, "-t", "-p", str(out.parent), "-c", str(out), "-e", "/dev/stderr"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


def test_a_port_moves_the_listen_address_not_its_host() -> None:
    assert listen_on_port("127.0.0.1:8080", 9000) == "127.0.0.1:9000"
    assert listen_on_port("[::1]:8080", 9000) == "[::1]:9000"
    assert listen_on_port("443", 8443) == "8443"


def test_without_direct_files_the_vault_is_not_in_the_config(settings, tmp_path) -> None:
    settings.STREAM_FILESYSTEM_DIRECT = False
    settings.VAULT_ROOT = tmp_path / "vault"
    out = tmp_path / "gateway.conf"

    call_command("render_nginx", "--out", str(out), stdout=io.StringIO())

    text = out.read_text()
    assert "/_files/" not in text
    assert str(tmp_path / "vault") not in text

"""The gateway's nginx configuration, rendered from deploy/nginx/nginx.conf.template."""

from __future__ import annotations

import getpass
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine

from .signing import origin_secret

TEMPLATE = Path(settings.BASE_DIR) / "deploy" / "nginx" / "nginx.conf.template"
TEMP_DIRS = ["logs", "tmp/client_body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"]


@dataclass(frozen=True)
class GatewayConfig:
    prefix: str
    listen: str
    web: str
    origin: str
    cache_dir: str
    flower: str = "127.0.0.1:5555"
    cache_max_size: str = "10g"
    cache_lock_timeout: str = "60s"
    workers: str = "auto"
    tmdb_image_base: str = ""
    resolver: str = ""
    vault_objects: str = ""  # VAULT_ROOT/objects, served at /_files/; empty: no such location
    user: str = field(default_factory=getpass.getuser)


def system_resolver() -> str:
    """The first nameserver of /etc/resolv.conf (nginx resolves TMDB's host at request time)."""
    try:
        for line in Path("/etc/resolv.conf").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "nameserver":
                return f"[{parts[1]}]" if ":" in parts[1] else parts[1]
    except OSError:
        pass
    return "127.0.0.1"


def gateway_config(*, filesystem_direct: bool | None = None, **overrides: str) -> GatewayConfig:
    """Settings, then `overrides` (empty ones ignored); `filesystem_direct` defaults to
    STREAM_FILESYSTEM_DIRECT and decides whether /_files/ exists (web must agree)."""
    prefix = Path(overrides.pop("prefix", None) or settings.NGINX_DIR)
    if filesystem_direct is None:
        filesystem_direct = settings.STREAM_FILESYSTEM_DIRECT
    values = {
        "prefix": str(prefix),
        "listen": settings.GATEWAY_LISTEN,
        "web": settings.WEB_BIND,
        "origin": settings.ORIGIN_BIND,
        "flower": settings.FLOWER_BIND,
        "tmdb_image_base": settings.TMDB_IMAGE_BASE_URL.rstrip("/"),
        "resolver": system_resolver(),
        "cache_dir": str(prefix / "cache"),
        "cache_max_size": settings.NGINX_CACHE_MAX_SIZE,
        "vault_objects": str(Path(settings.VAULT_ROOT).resolve() / "objects"),
    }
    values.update({key: value for key, value in overrides.items() if value})
    if not filesystem_direct:
        values["vault_objects"] = ""
    return GatewayConfig(**values)


def listen_on_port(listen: str, port: int) -> str:
    """`listen` (`host:port`, `[v6]:port` or a bare port) moved to `port`, same address."""
    host, separator, _ = listen.rpartition(":")
    return f"{host}:{port}" if separator else str(port)


def nginx_render(config: GatewayConfig, out: Path | None = None) -> Path:
    """Write the config to `out` (default `<prefix>/nginx.conf`) and make the directories
    nginx writes to; return the config's path."""
    prefix = Path(config.prefix)
    for directory in TEMP_DIRS:
        (prefix / directory).mkdir(parents=True, exist_ok=True)
    Path(config.cache_dir).mkdir(parents=True, exist_ok=True)
    template = Engine(autoescape=False).from_string(TEMPLATE.read_text())
    text = template.render(Context({**asdict(config), "origin_secret": origin_secret()}))
    target = out or prefix / "nginx.conf"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    target.chmod(0o600)  # it holds the origin secret
    return target

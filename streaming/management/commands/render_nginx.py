"""Write the gateway's nginx.conf for this machine (make run) or a production host."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from streaming.nginx import gateway_config, listen_on_port, nginx_render


class Command(BaseCommand):
    help = (
        "Render deploy/nginx/nginx.conf.template into <prefix>/nginx.conf (or --out). Defaults "
        "come from settings (NGINX_DIR, GATEWAY_LISTEN, WEB_BIND, ORIGIN_BIND); run it with "
        "`nginx -p <prefix> -c <config> -g 'daemon off;'`. Prints the config's path."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--prefix", help="Directory for the config, logs, temp files.")
        parser.add_argument(
            "--out", help="The config file to write; the prefix defaults to its directory."
        )
        parser.add_argument("--listen", help="Gateway address, e.g. 127.0.0.1:8080 or 443.")
        parser.add_argument("--port", type=int, help="Gateway port, on --listen's address.")
        parser.add_argument("--web", help="The web process, host:port or unix:/path.")
        parser.add_argument("--origin", help="The origin process, host:port or unix:/path.")
        parser.add_argument("--flower", help="Flower, host:port.")
        parser.add_argument("--cache-dir", help="Where slices are cached.")
        parser.add_argument("--cache-max-size", help="nginx size, e.g. 50g.")
        parser.add_argument("--workers", help="worker_processes (default auto).")
        parser.add_argument("--user", help="User the workers run as (default: this one).")

    def handle(self, *args, **options) -> None:
        out = Path(options["out"]).resolve() if options.get("out") else None
        if out and not options.get("prefix"):
            options["prefix"] = str(out.parent)
        if options.get("port"):
            listen = options.get("listen") or settings.GATEWAY_LISTEN
            options["listen"] = listen_on_port(listen, options["port"])
        keys = [
            "prefix",
            "listen",
            "web",
            "origin",
            "flower",
            "cache_dir",
            "cache_max_size",
            "workers",
            "user",
        ]
        config = gateway_config(**{key: options.get(key) for key in keys})
        path = nginx_render(config, out)
        self.stdout.write(str(path))

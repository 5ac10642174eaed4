"""`make run`: the whole stack on the embedded defaults, in the foreground.

Steps: write a local `.env` on first run, reuse the Redis that answers at REDIS_URL or start
one, migrate, create the localhost tenant and a first admin, then start web, a Celery worker and
beat, print where to go, and stop everything on Ctrl-C (or when any process dies).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ENV_FILE = ROOT / ".env"
LOCAL_ENV = """\
# Written by `make run` for a single machine serving plain HTTP on localhost.
# Every variable and its default: .env.example.
SECRET_KEY={secret_key}
SECURE_SSL_REDIRECT=false
SESSION_COOKIE_SECURE=false
CSRF_COOKIE_SECURE=false
SECURE_HSTS_SECONDS=0
"""
QUEUES = "default,fetch,media,upload,readvault"


def log(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def read_env_file() -> dict[str, str]:
    values = {}
    for line in ENV_FILE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def ensure_env_file() -> None:
    if not ENV_FILE.exists():
        ENV_FILE.write_text(LOCAL_ENV.format(secret_key=secrets.token_urlsafe(50)))
        ENV_FILE.chmod(0o600)
        log(f"wrote {ENV_FILE.name} with a new SECRET_KEY")
    for secret in ("ARIA2_RPC_SECRET", "FLOWER_PASSWORD"):  # .env files from older versions
        if secret not in read_env_file():
            with ENV_FILE.open("a") as env:
                env.write(f"{secret}={secrets.token_urlsafe(18)}\n")
            log(f"added a {secret} to {ENV_FILE.name}")
    for key, value in read_env_file().items():
        os.environ.setdefault(key, value)


def start_aria2(stack: Stack) -> None:
    """aria2c's RPC daemon on loopback; its session file keeps downloads across restarts."""
    url = urlparse(os.environ.get("ARIA2_RPC_URL", "http://127.0.0.1:6800/jsonrpc"))
    directory = ROOT / "data" / "aria2"
    directory.mkdir(parents=True, exist_ok=True)
    session = directory / "session.txt"
    session.touch()
    stack.start(
        "aria2",
        [
            shutil.which("aria2c") or "aria2c",
            "--enable-rpc",
            f"--rpc-listen-port={url.port or 6800}",
            "--rpc-listen-all=false",
            f"--rpc-secret={os.environ['ARIA2_RPC_SECRET']}",
            f"--dir={directory / 'downloads'}",
            f"--input-file={session}",
            f"--save-session={session}",
            "--save-session-interval=30",
            "--seed-time=0",
            "--console-log-level=warn",
            "--summary-interval=0",
        ],
    )


def redis_answers(host: str, port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(host=host, port=port, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


class Stack:
    """Child processes with prefixed output; any one dying stops them all."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.stopping = False

    def start(self, name: str, args: list[str]) -> subprocess.Popen:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # Ctrl-C reaches us only; we stop children in order
        )
        threading.Thread(target=self._relay, args=(name, process), daemon=True).start()
        self.children.append((name, process))
        return process

    @staticmethod
    def _relay(name: str, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(f"{name:>7} | {line}")
        sys.stdout.flush()

    def stop(self) -> None:
        self.stopping = True
        for _name, process in reversed(self.children):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for name, process in reversed(self.children):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in time; killing it")
                process.kill()

    def wait_for_first_exit(self) -> tuple[str, int]:
        parent = os.getppid()
        while True:
            if os.getppid() != parent:  # `make` was killed: nobody would stop us otherwise
                raise KeyboardInterrupt
            for name, process in self.children:
                if process.poll() is not None:
                    return name, process.returncode
            time.sleep(0.5)


def ensure_redis(stack: Stack) -> None:
    url = urlparse(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    host, port = url.hostname or "127.0.0.1", url.port or 6379
    if redis_answers(host, port):
        log(f"reusing the Redis that answers on {host}:{port}")
        return
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"[devstack] Redis at {host}:{port} (REDIS_URL) does not answer")
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("[devstack] redis-server is missing: run `bash scripts/bootstrap.sh`")
    redis_dir = ROOT / "data" / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    log(f"starting redis-server on {host}:{port} (data in {redis_dir})")
    stack.start(
        "redis",
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(redis_dir),
            "--appendonly",
            "yes",
        ],
    )
    deadline = time.monotonic() + 15
    while not redis_answers(host, port):
        if time.monotonic() > deadline:
            sys.exit("[devstack] redis-server did not answer within 15 s")
        time.sleep(0.2)


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def wait_for_web(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own localhost URL
                return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"[devstack] web did not answer at {url}")


def banner(gateway_url: str) -> str:
    password_file = ROOT / "data" / "admin-password.txt"
    login = f"admin / see {password_file}" if password_file.exists() else "your superuser"
    return f"""
  ShadowVault is running (Ctrl-C stops everything)
    Web        {gateway_url}/
    API        {gateway_url}/api/titles/
    API docs   {gateway_url}/api/docs/
    Admin      {gateway_url}/admin/      ({login})
    OPDS       {gateway_url}/opds/  (manga apps; app passwords at /accounts/app-passwords/)
    Health     {gateway_url}/healthz
    Streams    {gateway_url}/s/…  (links from POST /api/files/<id>/link/)
    WebDAV     {gateway_url}/dav/  (user name and an app password; read-only)
    Flower     {gateway_url}/flower/  (FLOWER_USER / FLOWER_PASSWORD in .env)
    Metrics    {gateway_url}/metrics
  Processes: nginx gateway, web (gunicorn + uvicorn), origin (uvicorn), aria2c, celery
  worker ({QUEUES}), celery beat, flower (and the Telegram bot with TELEGRAM_BOT_TOKENS)
  Leech: admin → Ingest jobs → Add, POST /api/ingest/jobs/, or
         make manage ARGS='leech <url> [--title <slug>]'
"""


def stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # `kill <pid>` stops the stack like Ctrl-C does


def main() -> None:
    os.chdir(ROOT)
    ensure_env_file()
    stack = Stack()
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        ensure_redis(stack)
        start_aria2(stack)
        manage("migrate", "--no-input", "-v", "0")
        manage("collectstatic", "--no-input", "-v", "0")
        manage("ensure_tenant", "--name", "Local", "--domain", "localhost", "--domain", "127.0.0.1")
        manage("ensure_admin")
        bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
        web = stack.start(
            "web",
            [
                PYTHON,
                "-m",
                "gunicorn",
                "-c",
                "deploy/gunicorn.conf.py",
                "--bind",
                bind,
                "shadowvault.asgi:application",
            ],
        )
        stack.start(
            "worker",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "shadowvault",
                "worker",
                "--queues",
                QUEUES,
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
            ],
        )
        stack.start(
            "beat", [PYTHON, "-m", "celery", "-A", "shadowvault", "beat", "--loglevel", "INFO"]
        )
        origin_host, origin_port = os.environ.get("ORIGIN_BIND", "127.0.0.1:8001").rsplit(":", 1)
        stack.start(
            "origin",
            [
                PYTHON,
                "-m",
                "uvicorn",
                "streaming.origin_asgi:app",
                "--host",
                origin_host,
                "--port",
                origin_port,
                "--workers",
                "2",
                "--no-access-log",
            ],
        )
        flower_host, flower_port = os.environ.get("FLOWER_BIND", "127.0.0.1:5555").rsplit(":", 1)
        flower_user = os.environ.get("FLOWER_USER", "ops")
        stack.start(
            "flower",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "shadowvault",
                "flower",
                f"--address={flower_host}",
                f"--port={flower_port}",
                "--url_prefix=flower",
                f"--basic_auth={flower_user}:{os.environ['FLOWER_PASSWORD']}",
            ],
        )
        if os.environ.get("TELEGRAM_BOT_TOKENS"):  # the bot needs a token to log in with
            stack.start("bot", [PYTHON, "manage.py", "runbot"])
        gateway = os.environ.get("GATEWAY_LISTEN", "127.0.0.1:8080")
        config = ROOT / "data" / "nginx" / "nginx.conf"
        manage("render_nginx", "--prefix", str(config.parent), "--web", bind)
        nginx_binary = shutil.which("nginx") or "/usr/sbin/nginx"
        stack.start(
            "nginx",
            [
                nginx_binary,
                "-p",
                str(config.parent),
                "-c",
                str(config),
                "-e",
                str(config.parent / "logs" / "error.log"),
                "-g",
                "daemon off;",
            ],
        )
        gateway_url = f"http://{gateway.replace('127.0.0.1', 'localhost')}"
        wait_for_web(f"http://{bind}/healthz", web)
        wait_for_web(f"http://{gateway}/healthz", web)
        print(banner(gateway_url), flush=True)
        name, code = stack.wait_for_first_exit()
        log(f"{name} exited with status {code}; stopping the stack")
        sys.exit(1)
    except KeyboardInterrupt:
        log("stopping")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()

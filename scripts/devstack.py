"""`make run`: the whole stack on the embedded defaults, in the foreground.

Steps: write a local `.env` on first run (or complete the one there: secrets and local-HTTP
settings it lacks), reuse the Redis that answers at REDIS_URL or start one, migrate, create the
localhost tenant and a first admin, then start web, a Celery worker and beat, print where to
go, restart any process that dies (with a growing pause, logged), and stop everything on
Ctrl-C.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
ENV_FILE = ROOT / ".env"
LOCAL_ENV_HEADER = """\
# Written by `make run` for a single machine serving plain HTTP on localhost.
# Every variable and its default: .env.example.
"""
# What `make run` writes into .env when it is missing or empty there (and not set in the
# environment): secrets it generates (name: bytes of randomness), then the settings for plain
# HTTP on localhost (the defaults are production's: HTTPS redirects, secure cookies, HSTS).
GENERATED_SECRETS = {"SECRET_KEY": 50, "ARIA2_RPC_SECRET": 18, "FLOWER_PASSWORD": 18}
LOCAL_HTTP = {
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "SECURE_HSTS_SECONDS": "0",
}
# A process that exits is started again after a pause: 1 s, doubling while it keeps exiting
# within RESTART_STEADY_SECONDS of its start, at most a minute.
RESTART_FIRST_PAUSE = 1.0
RESTART_LONGEST_PAUSE = 60.0
RESTART_STEADY_SECONDS = 60.0
# Celery workers: (name, queues, pool, slots). Downloads wait on the network for long and may
# stall, so they have slots of their own, in threads (aria2c and libtorrent do the work), and
# BitTorrent's apart from http(s)': a dead swarm never holds up the rest of the pipeline.
WORKERS = (
    ("worker", "default,media,upload,readvault", "prefork", "2"),
    ("fetch", "fetch", "threads", "4"),
    ("torrent", "torrent", "threads", "4"),
)


def log(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def read_env_file(path: Path | None = None) -> dict[str, str]:
    """The .env file's variables, read as the settings read them (quotes, multi-line PEMs)."""
    from django.core.exceptions import ImproperlyConfigured

    from shadowvault.envfile import env_file_values

    try:
        return env_file_values(path or ENV_FILE)
    except ImproperlyConfigured as exc:
        raise SystemExit(f"[devstack] {exc}") from exc


def ensure_env_file() -> None:
    if not ENV_FILE.exists():
        ENV_FILE.write_text(LOCAL_ENV_HEADER)
        ENV_FILE.chmod(0o600)
        log(f"wrote {ENV_FILE.name}")
    added = env_file_complete()
    if added:
        log(f"added to {ENV_FILE.name}: {', '.join(added)}")
    for key, value in read_env_file().items():
        os.environ.setdefault(key, value)


def env_file_complete() -> list[str]:
    """Fill in what `.env` lacks: a generated secret where the file has none (or an empty one),
    the local-HTTP settings where the file does not set them. What the file or the environment
    sets is kept. Returns what was added, for the log (secrets by name only)."""
    values = read_env_file()
    wanted = [key for key in GENERATED_SECRETS if not values.get(key) and not os.environ.get(key)]
    wanted += [key for key in LOCAL_HTTP if key not in values and key not in os.environ]
    if not wanted:
        return []
    text = ENV_FILE.read_text()
    added = []
    for key in wanted:
        if key in GENERATED_SECRETS:
            line, said = f"{key}={secrets.token_urlsafe(GENERATED_SECRETS[key])}", f"{key} (new)"
        else:
            line, said = f"{key}={LOCAL_HTTP[key]}", f"{key}={LOCAL_HTTP[key]}"
        # An empty assignment, as django-environ reads one, is replaced where it stands.
        empty = re.compile(rf"^(?:export )?{key}=(?:''|\"\")?$", re.MULTILINE)
        text, replaced = empty.subn(line, text, count=1)
        if not replaced:
            text += ("" if not text or text.endswith("\n") else "\n") + line + "\n"
        added.append(said)
    ENV_FILE.write_text(text)
    return added


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
            # http(s) only: BitTorrent runs in the torrent worker, behind its address filter
            "--follow-torrent=false",
            "--follow-metalink=false",
            "--enable-dht=false",
            "--enable-dht6=false",
            "--enable-peer-exchange=false",
            "--bt-enable-lpd=false",
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


@dataclass
class Child:
    name: str
    args: list[str]
    process: subprocess.Popen
    started_at: float
    pause: float = RESTART_FIRST_PAUSE  # before the next restart, should it exit
    restart_at: float | None = None  # set while it waits to be started again


class Stack:
    """Child processes with prefixed output. One that exits is started again after a pause
    that doubles while it keeps exiting (up to a minute), and is logged: the rest run on."""

    def __init__(self) -> None:
        self.children: list[Child] = []

    def start(self, name: str, args: list[str]) -> subprocess.Popen:
        process = self._spawn(name, args)
        self.children.append(Child(name, args, process, started_at=time.monotonic()))
        return process

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # Ctrl-C reaches us only; we stop children in order
        )
        threading.Thread(target=self._relay, args=(name, process), daemon=True).start()
        return process

    @staticmethod
    def _relay(name: str, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(f"{name:>7} | {line}")
        sys.stdout.flush()

    def stop(self) -> None:
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for child in reversed(self.children):
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{child.name} did not stop in time; killing it")
                child.process.kill()

    def supervise(self) -> None:
        """Keep the children running until Ctrl-C (or until `make` goes away)."""
        parent = os.getppid()
        while True:
            if os.getppid() != parent:  # `make` was killed: nobody would stop us otherwise
                raise KeyboardInterrupt
            self.restart_exited()
            time.sleep(0.5)

    def restart_exited(self) -> None:
        """One round: note children that exited, start again those whose pause is over."""
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is None:
                code = child.process.poll()
                if code is None:
                    continue
                if now - child.started_at > RESTART_STEADY_SECONDS:  # it had been running fine
                    child.pause = RESTART_FIRST_PAUSE
                log(f"{child.name} exited with status {code}; restarting it in {child.pause:g} s")
                child.restart_at = now + child.pause
                child.pause = min(child.pause * 2, RESTART_LONGEST_PAUSE)
            elif now >= child.restart_at:
                child.process = self._spawn(child.name, child.args)
                child.started_at, child.restart_at = now, None
                log(f"{child.name} restarted")


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
    workers = "; ".join(f"{name}: {queues} x{slots}" for name, queues, _, slots in WORKERS)
    return f"""
  ShadowVault is running (a process that dies is restarted; Ctrl-C stops everything)
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
  workers ({workers}), celery beat, flower (and the Telegram bot with TELEGRAM_BOT_TOKENS)
  Leech: admin → Ingest jobs → Add, POST /api/ingest/jobs/, or
         make manage ARGS='leech <url> [--title <slug>]'
"""


def celery_worker_command(name: str, queues: str, pool: str, slots: str) -> list[str]:
    return [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "shadowvault",
        "worker",
        "--queues",
        queues,
        "--pool",
        pool,
        "--concurrency",
        slots,
        "--hostname",
        f"{name}@%h",
        "--loglevel",
        "INFO",
    ]


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
        for name, queues, pool, slots in WORKERS:
            stack.start(name, celery_worker_command(name, queues, pool, slots))
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
        stack.supervise()
    except KeyboardInterrupt:
        log("stopping")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()

"""Real processes for tests: redis-server, PostgreSQL, Celery, web servers, on free ports in
temp dirs."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll `predicate` until it is true; raise naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not happen within {timeout:.0f}s")


def stop(process: subprocess.Popen, *, timeout: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def redis_server(port: int) -> Iterator[str]:
    """Start `redis-server` on `port`, persistence off; yield its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run `make bootstrap` (installs it)")
    workdir = tempfile.mkdtemp(prefix="sv-redis-")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            workdir,
            "--save",
            "",
            "--appendonly",
            "no",
            "--logfile",
            os.path.join(workdir, "redis.log"),
        ],
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=0.2)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    try:
        wait_until(answers, timeout=10, what=f"redis-server on port {port} answering")
        yield url
    finally:
        client.close()
        stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def postgres_binaries() -> Path:
    """The directory of Debian's PostgreSQL server binaries (initdb, postgres), the newest
    installed; `scripts/bootstrap.sh` installs them when they are missing."""

    def newest() -> Path | None:
        found = glob.glob("/usr/lib/postgresql/*/bin/postgres")
        return Path(max(found, key=lambda p: int(Path(p).parts[-3]))).parent if found else None

    if newest() is None:
        subprocess.run(["bash", str(PROJECT_ROOT / "scripts/bootstrap.sh")], check=True)
    if (binaries := newest()) is None:
        raise RuntimeError("PostgreSQL's server binaries are missing after scripts/bootstrap.sh")
    return binaries


class PostgresServer:
    """A private PostgreSQL cluster in `workdir`, listening on 127.0.0.1:`port` only, trusting
    local clients; `stop()` and `start()` it again with the same data. Run as the `postgres`
    user when we are root (initdb and postgres refuse root)."""

    DATABASE = "shadowvault"

    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.binaries = postgres_binaries()
        self.process: subprocess.Popen | None = None
        self.url = f"postgres://shadowvault@127.0.0.1:{port}/{self.DATABASE}"

    def as_owner(self, command: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return command
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", *command]

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.workdir, user="postgres", group="postgres")
        initdb = [str(self.binaries / "initdb"), "-D", str(self.workdir / "data")]
        options = ["-U", "shadowvault", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]
        subprocess.run(self.as_owner([*initdb, *options]), check=True, stdout=subprocess.DEVNULL)
        self.start()
        with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {self.DATABASE}")

    def start(self) -> None:
        with open(self.workdir / "postgres.log", "ab") as log:
            self.process = subprocess.Popen(
                self.as_owner(
                    [
                        str(self.binaries / "postgres"),
                        "-D",
                        str(self.workdir / "data"),
                        "-p",
                        str(self.port),
                        "-k",
                        str(self.workdir),  # its socket: not the shared server's directory
                        "-c",
                        "listen_addresses=127.0.0.1",
                        "-c",
                        "fsync=off",  # a test's data: speed over durability
                        "-c",
                        "full_page_writes=off",
                    ]
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(self.answers, timeout=30, what=f"PostgreSQL on port {self.port} answering")

    def answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            log = (self.workdir / "postgres.log").read_text()[-3000:]
            raise RuntimeError(f"postgres exited early:\n{log}")
        try:
            psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", connect_timeout=1).close()
        except psycopg.OperationalError:
            return False
        return True

    def stop(self) -> None:
        """A fast shutdown: open sessions are cut, as when the server is restarted."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)
        self.process = None


@contextmanager
def postgres_server(port: int) -> Iterator[PostgresServer]:
    """A private PostgreSQL server on `port` with an empty database; yield it."""
    server = PostgresServer(port, Path(tempfile.mkdtemp(prefix="sv-postgres-")))
    try:
        server.create()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)


def celery_process(*args: str, env: dict[str, str]) -> subprocess.Popen:
    """`celery -A shadowvault <args>` with the test settings and `env` on top of ours."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "shadowvault", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **env},
    )


@contextmanager
def celery_worker(
    *,
    env: dict[str, str],
    queues: str,
    name: str,
    pool: str = "solo",
    concurrency: int | None = None,
) -> Iterator[subprocess.Popen]:
    """Start a real `celery worker` process with `env` on top of ours; wait until it answers.

    `pool="prefork"` runs tasks in child processes (two unless `concurrency` says), as
    `make run` and production do."""
    from shadowvault.celery import app

    logfile = Path(tempfile.mkdtemp(prefix="sv-worker-")) / "worker.log"
    hostname = f"{name}-{os.getpid()}@localhost"
    if concurrency is None:
        concurrency = 2 if pool == "prefork" else 1
    process = celery_process(
        "worker",
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--queues",
        queues,
        "--hostname",
        hostname,
        "--loglevel",
        "INFO",
        "--logfile",
        str(logfile),
        "--without-gossip",
        "--without-mingle",
        env=env,
    )
    control = app.connection_for_write(env["REDIS_URL"])

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"celery worker exited early:\n{logfile.read_text()[-3000:]}")
        replies = app.control.ping(destination=[hostname], timeout=0.5, connection=control)
        return bool(replies)

    try:
        wait_until(answers, timeout=60, what="celery worker answering ping")
        process.logfile = logfile
        yield process
    finally:
        control.release()
        stop(process, timeout=20)


@contextmanager
def celery_beat(*, env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """Start a real `celery beat` (the project's locked database scheduler) with `env`; its
    log file is `process.logfile`. It is not waited for: it sends once it holds its lock."""
    workdir = Path(tempfile.mkdtemp(prefix="sv-beat-"))
    process = celery_process(
        "beat",
        "--loglevel",
        "INFO",
        "--logfile",
        str(workdir / "beat.log"),
        "--pidfile",
        str(workdir / "beat.pid"),
        env=env,
    )
    process.logfile = workdir / "beat.log"
    try:
        yield process
    finally:
        stop(process, timeout=20)
        shutil.rmtree(workdir, ignore_errors=True)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def server_process(
    command: list[str], *, port: int, env: dict[str, str], name: str
) -> Iterator[Path]:
    """Run `command` (it listens on `port`) with `env` on top of ours; yield its log file."""
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **env}
    logfile = Path(tempfile.mkdtemp(prefix=f"sv-{name}-")) / f"{name}.log"
    with open(logfile, "wb") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
        )

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{logfile.read_text()[-3000:]}")
        return port_open(port)

    try:
        wait_until(answers, timeout=30, what=f"{name} listening on {port}")
        yield logfile
    finally:
        stop(process)


def asgi_server(app: str, *, port: int, env: dict[str, str], name: str, workers: int = 1):
    """`uvicorn <app>` on `port` (with `workers` processes); yields its log file."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "info",
        "--no-access-log",
        "--lifespan",
        "auto",
        "--workers",
        str(workers),
    ]
    return server_process(command, port=port, env=env, name=name)


@contextmanager
def nginx(config: Path) -> Iterator[Path]:
    """Run nginx in the foreground with `config` (prefix = its directory); yield the prefix."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(binary):
        raise RuntimeError("nginx is not installed: run `make bootstrap` (installs it)")
    prefix = config.parent
    process = subprocess.Popen(
        [
            binary,
            "-p",
            str(prefix),
            "-c",
            str(config),
            "-e",
            str(prefix / "logs" / "error.log"),
            "-g",
            "daemon off;",
        ],
    )
    try:
        yield prefix
    finally:
        stop(process)


@contextmanager
def aria2_daemon(*, port: int, secret: str) -> Iterator[str]:
    """Start aria2c's RPC daemon on loopback with `secret`; yield its RPC URL."""
    binary = shutil.which("aria2c")
    if binary is None:
        raise RuntimeError("aria2c is not installed: run `make bootstrap` (installs it)")
    workdir = Path(tempfile.mkdtemp(prefix="sv-aria2-"))
    process = subprocess.Popen(
        [
            binary,
            "--enable-rpc",
            f"--rpc-listen-port={port}",
            "--rpc-listen-all=false",
            f"--rpc-secret={secret}",
            f"--dir={workdir}",
            "--follow-torrent=false",  # http(s) only, as make run's: BitTorrent is libtorrent's
            "--follow-metalink=false",
            "--enable-dht=false",
            "--enable-peer-exchange=false",
            "--bt-enable-lpd=false",
            "--seed-time=0",
            f"--log={workdir / 'aria2.log'}",
            "--log-level=notice",
            "--quiet=true",
        ],
    )
    try:
        wait_until(lambda: port_open(port), timeout=10, what=f"aria2c RPC on {port}")
        yield f"http://127.0.0.1:{port}/jsonrpc"
    finally:
        stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def audio_sink(directory: Path) -> Iterator[str]:
    """A private PulseAudio server whose only output is a null sink; yield its address
    (for PULSE_SERVER). A headless browser without an audio device never starts its audio
    clock (Firefox's AudioContext stays suspended); this gives it one that plays to nothing.
    """
    binary = shutil.which("pulseaudio")
    if binary is None:
        raise RuntimeError("pulseaudio is not installed: run `make bootstrap` (installs it)")
    socket_path = directory / "pulse-native"
    env = {**os.environ, "HOME": str(directory), "XDG_RUNTIME_DIR": str(directory)}
    with open(directory / "pulseaudio.log", "wb") as log:
        process = subprocess.Popen(
            [
                binary,
                "-n",  # no default configuration: only the modules below
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--disable-shm=yes",
                "--use-pid-file=no",
                "-L",
                "module-null-sink sink_name=null",
                "-L",
                f"module-native-protocol-unix socket={socket_path} auth-anonymous=1",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(socket_path.exists, timeout=15, what="pulseaudio listening")
        yield f"unix:{socket_path}"
    finally:
        stop(process)

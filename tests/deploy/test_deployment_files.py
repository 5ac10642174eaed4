"""docker-compose.yml, the Dockerfile and the systemd units point at things that exist."""

from __future__ import annotations

import configparser
import importlib.util
import itertools
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
PYTHON_NAMES = {"python", "python3"}
CELERY_SUBCOMMANDS = {"worker", "beat", "flower"}
APP_PATH = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


def command_problems(argv: list[str]) -> list[str]:
    """What in one command line does not exist in the project (an empty list when all does)."""
    if argv[:2] in (["sh", "-c"], ["/bin/sh", "-c"]):
        return [problem for words in shell_commands(argv[2]) for problem in command_problems(words)]
    program = Path(argv[0]).name
    if program in PYTHON_NAMES or program == "python" or argv[0].endswith("/python"):
        if argv[1] == "manage.py":
            return [] if argv[2] in get_commands() else [f"manage.py has no command {argv[2]!r}"]
        if argv[1] == "-m":
            return module_problems(argv[2], argv[3:])
        return [f"unexpected python invocation {argv[:3]}"]
    if program in ("celery",):
        return module_problems("celery", argv[1:])
    return (
        [] if shutil.which(program) or Path(argv[0]).exists() else [f"{program} is not installed"]
    )


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a `sh -c` script (split at ; and &&), without `exec`, `touch`."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=";&")
    lexer.whitespace_split = True
    commands, current = [], []
    for token in [*lexer, ";"]:
        if token in (";", "&&"):
            if current and current[0] not in ("touch", "/usr/bin/touch"):
                commands.append(current)
            current = []
        elif token != "exec":
            current.append(token)
    return commands


def importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def module_problems(module: str, rest: list[str]) -> list[str]:
    if not importable(module):
        return [f"no module {module}"]
    # "package.module:attribute" arguments name an ASGI/WSGI app to import
    targets = [arg for arg in rest if APP_PATH.fullmatch(arg)]
    problems = [f"no module {t.split(':')[0]}" for t in targets if not importable(t.split(":")[0])]
    if module == "celery" and (
        rest[:2] != ["-A", "shadowvault"] or rest[2] not in CELERY_SUBCOMMANDS
    ):
        problems.append(f"unexpected celery command {rest[:3]}")
    for flag, path in itertools.pairwise(rest):
        if flag == "-c" and not (ROOT / path).exists():
            problems.append(f"{path} does not exist")
    return problems


@pytest.fixture(scope="module")
def compose(tmp_path_factory) -> dict:
    """`docker-compose config` of the project's file: validated by Docker's own tool."""
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is missing: `make bootstrap` installs Debian's package")
    workdir = tmp_path_factory.mktemp("compose")
    shutil.copy(ROOT / "docker-compose.yml", workdir / "docker-compose.yml")
    (workdir / ".env").write_text("")
    result = subprocess.run(
        ["docker-compose", "config"], cwd=workdir, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_the_compose_file_has_every_process(compose) -> None:
    services = set(compose["services"])
    assert {
        "redis",
        "postgres",
        "migrate",
        "web",
        "origin",
        "beat",
        "flower",
        "nginx",
        "aria2",
    } <= services
    assert {"worker-fetch", "worker-media", "worker-upload", "worker-readvault"} <= services


def test_only_the_gateway_is_published(compose) -> None:
    published = {name for name, service in compose["services"].items() if service.get("ports")}
    assert published == {"nginx"}


def test_nginx_reads_the_vault_the_app_writes_and_only_reads_it(compose) -> None:
    """Filesystem files are sent by nginx from VAULT_ROOT (STREAM_FILESYSTEM_DIRECT)."""
    vault_root = compose["services"]["web"]["environment"]["VAULT_ROOT"]
    app_volumes = compose["services"]["web"]["volumes"]
    nginx_volumes = compose["services"]["nginx"]["volumes"]

    assert f"vault:{vault_root}:rw" in app_volumes
    assert f"vault:{vault_root}:ro" in nginx_volumes
    assert compose["services"]["nginx"]["environment"]["VAULT_ROOT"] == vault_root  # rendered


def test_every_compose_command_exists_in_the_project(compose) -> None:
    problems = {
        name: command_problems(service["command"])
        for name, service in compose["services"].items()
        if "command" in service and service.get("image", "").startswith("shadowvault")
    }
    assert len(problems) >= 10
    assert {name: p for name, p in problems.items() if p} == {}


def test_every_systemd_unit_starts_something_that_exists() -> None:
    units = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
    problems = {}
    for unit in units:
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.read(unit)
        argv = shlex.split(
            parser["Service"]["ExecStart"].replace("%i", "fetch").replace("%H", "host")
        )
        argv[0] = Path(argv[0]).name if argv[0].endswith("python") else argv[0]
        problems[unit.name] = command_problems(argv)
    assert len(units) == 7
    assert {name: p for name, p in problems.items() if p} == {}


def test_the_checker_notices_what_does_not_exist() -> None:
    assert command_problems(["python", "manage.py", "no_such_command"])
    assert command_problems(["python", "-m", "celery", "-A", "shadowvault", "dance"])
    assert command_problems(["python", "-m", "uvicorn", "no_such.module:app"])
    assert command_problems(["no-such-binary", "--flag"])


def test_the_dockerfile_copies_and_runs_what_exists() -> None:
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in text
    assert "USER shadowvault" in text
    for needed in ("requirements/base.txt", "deploy/gunicorn.conf.py"):
        assert needed.split("/")[0] in text
        assert (ROOT / needed).exists()


def devstack_workers() -> tuple:
    spec = importlib.util.spec_from_file_location("devstack", ROOT / "scripts" / "devstack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.WORKERS


def test_downloads_have_workers_of_their_own_and_every_queue_a_worker(compose) -> None:
    # a download that stalls holds a download slot, never one the rest of the pipeline needs
    from shadowvault.celery import QUEUES

    compose_groups = [
        service["command"][service["command"].index("--queues") + 1].split(",")
        for service in compose["services"].values()
        if "--queues" in service.get("command", [])
    ]
    devstack_groups = [queues.split(",") for _, queues, _, _ in devstack_workers()]
    for groups in (compose_groups, devstack_groups):
        assert {queue for group in groups for queue in group} == set(QUEUES)
        for download in ("fetch", "torrent"):
            assert [group for group in groups if download in group] == [[download]]


def test_aria2c_never_does_bittorrent(compose) -> None:
    # BitTorrent runs in libtorrent behind its address filter; aria2c's would reach anywhere
    commands = [
        compose["services"]["aria2"]["command"][-1],
        (ROOT / "deploy" / "systemd" / "shadowvault-aria2.service").read_text(),
        (ROOT / "scripts" / "devstack.py").read_text(),
        (ROOT / "tests" / "processes.py").read_text(),
    ]
    for command in commands:
        for flag in ("--follow-torrent=false", "--follow-metalink=false", "--enable-dht=false"):
            assert flag in command

"""The container files agree with each other and with the settings module.

There is no Docker engine where the suite runs, so docker-compose.yml, the Dockerfile and
.dockerignore are read as text and checked against what inecopay/settings.py reads. These
tests need no database.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import environ
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
SETTINGS_FILE = ROOT / "inecopay" / "settings.py"

APP_SERVICES = ("web", "worker", "beat", "migrate")
LONG_RUNNING_APP_SERVICES = ("web", "worker", "beat")
ALL_SERVICES = {*APP_SERVICES, "db", "redis", "mail"}
REQUIRED_APP_SETTINGS = {
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
}
APP_IMAGE = "inecopay:local"

# Functions of settings.py whose first argument names an environment variable.
_SETTINGS_READERS = {"_read", "_flag", "_url"}


# ---------------------------------------------------------------------------
# Reading the files
# ---------------------------------------------------------------------------
_INTERPOLATION = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?])?(?P<arg>[^}]*)\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


def interpolate(value: str) -> str:
    """Compose's interpolation with nothing set in the shell: `${X:-default}` gives the default.

    A variable with no default would make the stack depend on the caller's shell, so it fails.
    """

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group("op") in (":-", "-"):
            return match.group("arg")
        raise AssertionError(f"{match.group(0)} has no default: the stack needs it set to start")

    return _INTERPOLATION.sub(replace, value)


@cache
def compose() -> dict:
    with COMPOSE_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def service(name: str) -> dict:
    return compose()["services"][name]


def service_env(name: str) -> dict[str, str]:
    """The service's environment (mapping or list form) after interpolation."""
    raw = service(name).get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {key: interpolate(str(value)) for key, value in raw.items()}


def raw_service_env(name: str) -> dict[str, str]:
    raw = service(name).get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {key: str(value) for key, value in raw.items()}


def mounts(name: str) -> list[tuple[str, str]]:
    """(source, target) of the service's volumes, short or long syntax."""
    pairs = []
    for volume in service(name).get("volumes", []):
        if isinstance(volume, dict):
            pairs.append((str(volume.get("source", "")), str(volume["target"])))
        else:
            source, _, rest = str(volume).partition(":")
            pairs.append((source, rest.split(":", 1)[0]) if rest else ("", source))
    return pairs


def command_argv(name: str) -> list[str]:
    command = service(name).get("command")
    if command is None:
        return dockerfile_cmd()
    if isinstance(command, str):
        return shlex.split(interpolate(command))
    return [interpolate(str(part)) for part in command]


def depends_on(name: str) -> dict[str, dict]:
    deps = service(name).get("depends_on") or {}
    if isinstance(deps, list):  # short syntax: started, nothing more
        return {dep: {"condition": "service_started"} for dep in deps}
    return {dep: spec or {"condition": "service_started"} for dep, spec in deps.items()}


def healthcheck_test(name: str) -> list[str] | None:
    check = service(name).get("healthcheck")
    if not check or check.get("disable"):
        return None
    test = check["test"]
    if isinstance(test, str):
        return ["CMD-SHELL", interpolate(test)]
    return [interpolate(str(part)) for part in test]


@cache
def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continued instruction
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends in a line continuation"
    return instructions


def dockerfile_args(keyword: str) -> list[str]:
    return [args for key, args in dockerfile_instructions() if key == keyword]


def dockerfile_cmd() -> list[str]:
    commands = dockerfile_args("CMD")
    assert commands, "the Dockerfile has no CMD"
    last = commands[-1]
    return json.loads(last) if last.startswith("[") else ["/bin/sh", "-c", last]


def dockerfile_env() -> dict[str, str]:
    values: dict[str, str] = {}
    for args in dockerfile_args("ENV"):
        for token in shlex.split(args):
            name, sep, value = token.partition("=")
            assert sep, f"use the ENV key=value form: {args!r}"
            values[name] = value
    return values


def dockerfile_run_lines() -> str:
    return "\n".join(dockerfile_args("RUN"))


@cache
def settings_environment_names() -> frozenset[str]:
    """Environment variables inecopay/settings.py reads, from its source.

    A read is `_read("X", ...)`, `_flag("X", ...)`, `_url("X", ...)` or `env.<cast>("X", ...)`.
    """
    tree = ast.parse(SETTINGS_FILE.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        func = node.func
        if (isinstance(func, ast.Name) and func.id in _SETTINGS_READERS) or (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "env"
        ):
            names.add(first.value)
    return frozenset(names)


def effective_env(name: str) -> dict[str, str]:
    """What the process sees: the image's ENV overridden by the service's environment."""
    return {**dockerfile_env(), **service_env(name)}


def python_code_of(argv: list[str]) -> str | None:
    if "-c" in argv and argv[0].startswith("python"):
        return argv[argv.index("-c") + 1]
    return None


# ---------------------------------------------------------------------------
# docker-compose.yml: services and processes
# ---------------------------------------------------------------------------
def test_compose_file_follows_the_compose_specification_without_version_key():
    assert "version" not in compose()
    assert isinstance(compose().get("services"), dict)


def test_all_services_of_the_stack_are_defined():
    assert set(compose()["services"]) == ALL_SERVICES


def test_app_services_share_one_image():
    images = {name: service(name).get("image") for name in APP_SERVICES}
    assert set(images.values()) == {APP_IMAGE}, images


def test_app_image_is_built_once_from_the_dockerfile():
    """One `build:` for the shared tag: parallel builds of one tag fail in BuildKit."""
    builders = [name for name, spec in compose()["services"].items() if "build" in spec]
    assert len(builders) == 1, builders
    spec = service(builders[0])
    assert spec["image"] == APP_IMAGE
    build = spec["build"]
    context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (context / dockerfile).resolve() == DOCKERFILE


def test_web_runs_gunicorn_serving_the_wsgi_application():
    argv = command_argv("web")
    assert argv[0] == "gunicorn"
    assert "inecopay.wsgi:application" in argv
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:8000"
    assert "8000:8000" in [str(port) for port in service("web").get("ports", [])]


def test_worker_runs_a_celery_worker_of_the_inecopay_app():
    assert command_argv("worker")[:4] == ["celery", "-A", "inecopay", "worker"]


def test_beat_runs_celery_beat_with_its_schedule_under_var_dir():
    argv = command_argv("beat")
    assert argv[:4] == ["celery", "-A", "inecopay", "beat"]
    schedule = argv[argv.index("-s") + 1] if "-s" in argv else argv[argv.index("--schedule") + 1]
    assert Path(schedule).parent == Path(effective_env("beat")["VAR_DIR"])


def test_migrations_run_once_before_web_worker_and_beat_start():
    assert command_argv("migrate")[:4] == ["python", "manage.py", "migrate", "--noinput"]
    assert str(service("migrate").get("restart", "no")) == "no"
    for name in LONG_RUNNING_APP_SERVICES:
        assert depends_on(name).get("migrate") == {"condition": "service_completed_successfully"}, (
            name
        )


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_db_and_redis(name):
    deps = depends_on(name)
    assert deps.get("db", {}).get("condition") == "service_healthy"
    assert deps.get("redis", {}).get("condition") == "service_healthy"
    assert "mail" in deps


@pytest.mark.parametrize("name", ("db", "redis"))
def test_backing_services_have_healthchecks(name):
    assert healthcheck_test(name), f"{name} needs a healthcheck for service_healthy"


def test_db_healthcheck_asks_pg_isready_for_the_portal_database():
    test = " ".join(healthcheck_test("db"))
    env = service_env("db")
    assert "pg_isready" in test
    assert re.search(rf"-U\s+{env['POSTGRES_USER']}\b", test)
    assert re.search(rf"-d\s+{env['POSTGRES_DB']}\b", test)


def test_redis_healthcheck_pings_redis():
    assert "redis-cli ping" in " ".join(healthcheck_test("redis"))


def test_web_healthcheck_probes_healthz_on_an_allowed_host():
    test = healthcheck_test("web")
    assert test, "web needs a healthcheck"
    code = python_code_of(test[1:])
    assert code, "the web healthcheck runs python (the image has no curl)"
    compile(code, "web-healthcheck", "exec")
    url = re.search(r"https?://[^'\"\s]+", code).group(0)
    parts = urlsplit(url)
    assert parts.path == "/healthz"
    assert parts.port == 8000
    assert parts.hostname in service_env("web")["ALLOWED_HOSTS"].split(",")


def test_worker_and_beat_do_not_inherit_the_http_healthcheck():
    """The image's HEALTHCHECK calls /healthz, which only web serves."""
    for name in ("worker", "beat", "migrate"):
        check = service(name).get("healthcheck")
        # Without a healthcheck key the container keeps the image's HEALTHCHECK.
        assert check is not None, f"{name} would probe /healthz with the image's HEALTHCHECK"
        test = healthcheck_test(name)
        assert test is None or "healthz" not in " ".join(test), name


def test_media_volume_is_shared_by_app_services_at_media_root():
    for name in APP_SERVICES:
        media_root = effective_env(name)["MEDIA_ROOT"]
        assert ("media", media_root) in mounts(name), (name, mounts(name))


def test_named_volumes_are_declared():
    declared = set(compose().get("volumes") or {})
    for name in compose()["services"]:
        for source, _target in mounts(name):
            if source and not source.startswith((".", "/", "~")):
                assert source in declared, (name, source)
    assert {"pgdata", "media"} <= declared


def test_images_are_pinned_to_a_version_tag():
    for name, spec in compose()["services"].items():
        image = spec["image"]
        if image == APP_IMAGE:
            continue
        _, _, tag = image.rpartition("/")[2].partition(":")
        assert tag, f"{name}: {image} has no tag"
        assert tag not in ("latest", "edge"), f"{name}: {image} is not pinned"
        assert re.match(r"v?\d+", tag), f"{name}: {image} tag is not a version"


def test_mailpit_web_ui_is_published_on_8025():
    assert service("mail")["image"].startswith("axllent/mailpit:")
    assert "8025:8025" in [str(port) for port in service("mail").get("ports", [])]


# ---------------------------------------------------------------------------
# docker-compose.yml: the app environment against settings.py
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_environment_names_only_settings_that_settings_py_reads(name):
    unknown = set(service_env(name)) - settings_environment_names()
    assert not unknown, f"{name} sets {sorted(unknown)}, which inecopay/settings.py never reads"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_environment_sets_the_required_settings(name):
    env = service_env(name)
    missing = REQUIRED_APP_SETTINGS - {key for key, value in env.items() if value}
    assert not missing, f"{name} lacks {sorted(missing)}"


def test_database_url_matches_the_db_service():
    url = urlsplit(service_env("web")["DATABASE_URL"])
    db = service_env("db")
    assert url.scheme in ("postgres", "postgresql")
    assert url.hostname == "db"
    assert (url.port or 5432) == 5432
    assert url.username == db["POSTGRES_USER"]
    assert url.password == db["POSTGRES_PASSWORD"]
    assert url.path.lstrip("/") == db["POSTGRES_DB"]


def test_redis_url_points_at_the_redis_service():
    url = urlsplit(service_env("web")["REDIS_URL"])
    assert url.scheme == "redis"
    assert url.hostname == "redis"
    assert (url.port or 6379) == 6379


def test_email_url_points_at_mailpit_smtp():
    url = urlsplit(service_env("web")["EMAIL_URL"])
    assert url.scheme == "smtp"
    assert url.hostname == "mail"
    assert url.port == 1025


def test_connection_urls_parse_with_django_environ():
    env = service_env("web")
    database = environ.Env.db_url_config(env["DATABASE_URL"])
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db", 5432, "inecopay")
    email = environ.Env.email_url_config(env["EMAIL_URL"])
    assert email["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (email["EMAIL_HOST"], email["EMAIL_PORT"]) == ("mail", 1025)


def test_secret_key_default_is_long_enough_for_debug_off():
    raw = raw_service_env("web")["SECRET_KEY"]
    match = re.fullmatch(r"\$\{SECRET_KEY:-(?P<default>[^}]*)\}", raw)
    assert match, "SECRET_KEY is taken from the shell with a local default: ${SECRET_KEY:-...}"
    assert len(match.group("default")) >= 50
    assert "$" not in match.group("default")


def test_local_stack_runs_with_debug_off_and_without_tls():
    env = service_env("web")
    assert env["DEBUG"] == "0"
    assert env["SECURE_SSL_REDIRECT"] == "0"
    assert env["SECURE_HSTS_SECONDS"] == "0"
    ZoneInfo(env["TIME_ZONE"])


def test_site_url_host_is_an_allowed_host():
    env = service_env("web")
    assert urlsplit(env["SITE_URL"]).hostname in env["ALLOWED_HOSTS"].split(",")


def test_settings_accept_the_compose_environment(tmp_path):
    """settings.py loads with exactly the web service's environment and reads it as meant."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "inecopay.settings",
        **effective_env("web"),
        # Container paths do not exist here; nothing else changes.
        "VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "var" / "media"),
    }
    probe = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'engine': s.DATABASES['default']['ENGINE'], 'db_host': s.DATABASES['default']['HOST'], "
        "'broker': s.CELERY_BROKER_URL, 'email_host': s.EMAIL_HOST, 'email_port': s.EMAIL_PORT, "
        "'debug': s.DEBUG, 'ssl_redirect': s.SECURE_SSL_REDIRECT, 'hosts': s.ALLOWED_HOSTS}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == {
        "engine": "django.db.backends.postgresql",
        "db_host": "db",
        "broker": "redis://redis:6379/0",
        "email_host": "mail",
        "email_port": 1025,
        "debug": False,
        "ssl_redirect": False,
        "hosts": ["localhost", "127.0.0.1", "web"],
    }


# ---------------------------------------------------------------------------
# Dockerfile and .dockerignore
# ---------------------------------------------------------------------------
def test_dockerfile_base_image_is_python_311():
    bases = dockerfile_args("FROM")
    assert bases, "the Dockerfile has no FROM"
    assert all(re.match(r"python:3\.11-[\w.-]+(\s|$)", base) for base in bases), bases


def test_dockerfile_installs_weasyprint_system_libraries():
    runs = dockerfile_run_lines()
    for package in (
        "libpango-1.0-0",
        "libpangoft2-1.0-0",
        "libharfbuzz-subset0",
        "fonts-dejavu-core",
    ):
        assert re.search(rf"apt-get install[^\n]*\s{re.escape(package)}(\s|$)", runs), package
    assert "--no-install-recommends" in runs
    assert "rm -rf /var/lib/apt/lists/*" in runs


def test_dockerfile_installs_the_pinned_runtime_requirements():
    assert any("requirements/base.txt" in args.split() for args in dockerfile_args("COPY"))
    assert re.search(
        r"pip install --no-cache-dir -r requirements/base\.txt", dockerfile_run_lines()
    )
    assert "requirements/dev.txt" not in dockerfile_run_lines()


def test_dockerfile_runs_as_a_non_root_user():
    users = dockerfile_args("USER")
    assert users, "the image would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_dockerfile_collects_static_files_at_build_time_with_a_build_only_secret():
    collect = [args for args in dockerfile_args("RUN") if "collectstatic" in args]
    assert len(collect) == 1
    line = collect[0]
    assert "--noinput" in line
    assert re.search(r"\bDEBUG=0\b", line)
    secret = re.search(r"\bSECRET_KEY=(\S+)", line)
    assert secret and len(secret.group(1)) >= 50
    # The build secret stays on that RUN line: never baked into the image's ENV.
    assert "SECRET_KEY" not in dockerfile_env()


def test_dockerfile_declares_var_dir_and_media_root():
    env = dockerfile_env()
    assert env["VAR_DIR"] == "/app/var"
    assert env["MEDIA_ROOT"] == "/app/var/media"


def test_dockerfile_exposes_port_8000():
    assert "8000" in " ".join(dockerfile_args("EXPOSE")).split()


def test_dockerfile_cmd_runs_gunicorn():
    argv = dockerfile_cmd()
    assert argv[0] == "gunicorn"
    assert "inecopay.wsgi:application" in argv
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:8000"


def test_dockerfile_healthcheck_probes_healthz_with_python():
    checks = dockerfile_args("HEALTHCHECK")
    assert len(checks) == 1
    argv = json.loads(checks[0].split("CMD", 1)[1].strip())
    code = python_code_of(argv)
    assert code, "the image has no curl: the healthcheck runs python"
    compile(code, "dockerfile-healthcheck", "exec")
    assert "/healthz" in code
    assert "urllib" in code


def _dockerignore_patterns() -> set[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return {
        line.strip().strip("/").removeprefix("**/")
        for line in lines
        if line.strip() and not line.strip().startswith("#")
    }


def test_dockerignore_keeps_the_venv_var_and_git_out_of_the_image():
    patterns = _dockerignore_patterns()
    assert {".venv", "var", ".git"} <= patterns, patterns
    assert not {"!.venv", "!var"} & patterns

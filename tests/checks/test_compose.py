"""docker-compose.yml names only things that exist in this project.

No docker here: the file is parsed, and every program a project service runs is looked up in
the source tree and in pyproject.toml, so a renamed module, a dropped dependency or a moved
health route fails here instead of on the first `docker compose up`.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import re
import shlex
import tomllib
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"

EXPECTED_SERVICES = {"db", "redis", "mail", "migrate", "web", "worker", "beat", "proxy"}
PROJECT_SERVICES = {"migrate", "web", "worker", "beat"}

# console script -> the distribution in [project].dependencies that provides it
CONSOLE_SCRIPTS = {"flask": "flask", "gunicorn": "gunicorn", "celery": "celery"}


@pytest.fixture(scope="module")
def compose() -> dict:
    with COMPOSE_FILE.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


@pytest.fixture(scope="module")
def project_services(services: dict[str, dict]) -> dict[str, dict]:
    """Services built from this project's Dockerfile."""
    return {name: svc for name, svc in services.items() if "build" in svc}


def argv(service: dict) -> list[str]:
    command = service.get("command")
    assert command, "a project service must say what it runs"
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def option(args: list[str], *names: str) -> str:
    for i, arg in enumerate(args):
        for name in names:
            if arg == name:
                assert i + 1 < len(args), f"{name} has no value in {args}"
                return args[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    raise AssertionError(f"none of {names} in {args}")


def dependency_names() -> set[str]:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        deps = tomllib.load(fh)["project"]["dependencies"]
    names = set()
    for dep in deps:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", dep)
        assert match, f"unparseable dependency {dep!r}"
        names.add(re.sub(r"[-_.]+", "-", match.group(1)).lower())
    return names


# --- the file and its services ---------------------------------------------------------------


def test_compose_file_parses_and_uses_the_compose_spec(compose: dict) -> None:
    assert "services" in compose
    assert "version" not in compose, "the Compose spec has no `version:` key"


def test_expected_services_exist(services: dict) -> None:
    missing = EXPECTED_SERVICES - set(services)
    assert not missing, f"missing services: {sorted(missing)}"


def test_the_app_services_are_built_from_the_project(project_services: dict) -> None:
    assert set(project_services) == PROJECT_SERVICES


def test_every_build_points_at_an_existing_dockerfile(project_services: dict) -> None:
    for name, svc in project_services.items():
        build = svc["build"]
        if isinstance(build, str):
            build = {"context": build}
        context = (COMPOSE_FILE.parent / build.get("context", ".")).resolve()
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        assert context.is_dir(), f"{name}: build context {context} does not exist"
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"


def test_depends_on_names_existing_services(services: dict) -> None:
    for name, svc in services.items():
        for target in svc.get("depends_on", {}) or {}:
            assert target in services, f"{name} depends on unknown service {target!r}"


def test_exactly_one_service_runs_beat(project_services: dict) -> None:
    def runs_beat(args: list[str]) -> bool:
        if not args or Path(args[0]).name != "celery":
            return False
        return "beat" in args or "--beat" in args or "-B" in args

    beats = [name for name, svc in project_services.items() if runs_beat(argv(svc))]
    assert beats == ["beat"], f"services running celery beat: {beats}"
    assert "deploy" not in project_services["beat"], "beat must never be scaled"


# --- every command names a program that exists -------------------------------------------------


def check_flask(args: list[str]) -> None:
    target = option(args, "--app", "-A")
    module_name = target.split(":", 1)[0]
    module = importlib.import_module(module_name)
    assert callable(getattr(module, "create_app", None)), f"{module_name} has no create_app"
    if "db" in args:
        migrations = ROOT / "migrations"
        assert migrations.is_dir(), "flask db needs migrations/"
        for needed in ("alembic.ini", "env.py"):
            assert (migrations / needed).is_file(), f"migrations/{needed} is missing"


def check_gunicorn(args: list[str]) -> None:
    app_spec = args[-1]  # gunicorn [OPTIONS] MODULE:APP
    assert not app_spec.startswith("-") and ":" in app_spec, f"no MODULE:APP at the end of {args}"
    module_name, expr = app_spec.split(":", 1)
    module = importlib.import_module(module_name)
    attr = expr[:-2] if expr.endswith("()") else expr
    assert attr.isidentifier(), f"unexpected app expression {expr!r}"
    obj = getattr(module, attr, None)
    assert obj is not None, f"{module_name} has no attribute {attr}"
    if expr.endswith("()"):
        assert callable(obj), f"{module_name}:{attr} is not callable"


def check_celery(args: list[str]) -> None:
    target = option(args, "-A", "--app")
    module_name = target.split(":", 1)[0]
    # find_spec, not import: importing worker.celery_app creates the Flask and Celery apps.
    spec = importlib.util.find_spec(module_name)
    assert spec is not None and spec.origin, f"module {module_name} not found"
    assert Path(spec.origin).is_file(), f"{spec.origin} does not exist"
    assert ROOT in Path(spec.origin).resolve().parents, f"{module_name} is not this project's"


CHECKERS = {"flask": check_flask, "gunicorn": check_gunicorn, "celery": check_celery}


@pytest.mark.parametrize("name", sorted(PROJECT_SERVICES))
def test_command_names_a_program_of_this_project(project_services: dict, name: str) -> None:
    args = argv(project_services[name])
    program = Path(args[0]).name
    assert program in CHECKERS, f"{name}: no check for program {program!r}"
    CHECKERS[program](args)


def test_dockerfile_default_command_names_a_program_of_this_project() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    match = re.search(r"^CMD\s+(\[.*\])\s*$", text, re.MULTILINE)
    assert match, "Dockerfile has no exec-form CMD"
    args = yaml.safe_load(match.group(1))
    program = Path(args[0]).name
    assert program == "gunicorn"
    check_gunicorn(args)


def test_every_console_script_is_a_dependency(project_services: dict) -> None:
    deps = dependency_names()
    scripts = {ep.name: ep for ep in importlib.metadata.entry_points(group="console_scripts")}
    for name, svc in project_services.items():
        program = Path(argv(svc)[0]).name
        assert program in CONSOLE_SCRIPTS, f"{name}: unknown console script {program!r}"
        dist = CONSOLE_SCRIPTS[program]
        assert dist in deps, f"{name} runs {program}, but {dist} is not in [project].dependencies"
        ep = scripts.get(program)
        assert ep is not None and ep.dist is not None, f"no installed console script {program}"
        assert ep.dist.metadata["Name"].lower() == dist, f"{program} comes from {ep.dist.name}"


# --- health checks, restart policies and environment ---------------------------------------------

# Every long-running service comes back by itself; migrate runs once and must not loop.
LONG_RUNNING = {"db", "redis", "mail", "web", "worker", "beat", "proxy"}
# Beat answers no probe (see the comment in docker-compose.yml); everything else long-running has one.
HEALTHCHECKED = LONG_RUNNING - {"beat"}


def in_secs(value: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)", str(value))
    assert match, f"unparseable duration {value!r}"
    number, unit = float(match.group(1)), match.group(2)
    return number * {"ms": 0.001, "s": 1, "m": 60}[unit]


def test_long_running_services_restart_and_the_one_shot_migration_does_not(
        services: dict) -> None:
    for name in LONG_RUNNING:
        assert services[name].get("restart") in ("unless-stopped", "always"), name
    assert services["migrate"].get("restart") == "no"
    assert "healthcheck" not in services["migrate"]
    for name in ("web", "worker", "beat"):
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", name


def test_every_long_running_service_but_beat_has_a_healthcheck(services: dict) -> None:
    for name in HEALTHCHECKED:
        check = services[name].get("healthcheck")
        assert check and not check.get("disable"), f"{name} has no healthcheck"
        test = check["test"]
        assert test and (isinstance(test, str) or test[0] in ("CMD", "CMD-SHELL")), name
        for key in ("interval", "timeout"):
            assert key in check, f"{name}: healthcheck without {key}"
        assert in_secs(check["timeout"]) <= in_secs(check["interval"]), name
    assert "healthcheck" not in services["beat"]


def test_worker_healthcheck_pings_its_own_worker(services: dict) -> None:
    worker = services["worker"]
    test = worker["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    args = shlex.split(test[1])
    assert args[0] == "celery" and args[args.index("inspect") + 1] == "ping", args
    # The same app as the worker itself, and only this container's node ($$ escapes compose).
    assert option(args, "-A", "--app") == option(argv(worker), "-A", "--app")
    assert option(args, "--destination", "-d") == "celery@$$HOSTNAME"
    assert "-n" not in argv(worker) and "--hostname" not in argv(worker), \
        "the ping names the default node celery@<hostname>"
    assert in_secs(worker["healthcheck"]["timeout"]) > float(option(args, "--timeout", "-t"))


def test_a_stopping_worker_may_finish_its_task(services: dict) -> None:
    """docker stops a container with SIGKILL after stop_grace_period (10 s by default); a
    killed send is the one way a mail can go out twice (README, Mail)."""
    assert in_secs(services["worker"].get("stop_grace_period", "10s")) >= 60


def test_databases_are_checked_with_their_own_tools(services: dict) -> None:
    assert "pg_isready" in str(services["db"]["healthcheck"]["test"])
    assert "redis-cli" in str(services["redis"]["healthcheck"]["test"])
    assert "readyz" in str(services["mail"]["healthcheck"]["test"])


def test_no_access_log_with_query_strings_or_link_tokens(services: dict) -> None:
    """The app writes the access line (without query string or token); gunicorn's own
    access log would print both."""
    assert "--access-logfile" not in argv(services["web"])
    cmd = re.search(r"^CMD\s+(\[.*\])\s*$", (ROOT / "Dockerfile").read_text(encoding="utf-8"),
                    re.MULTILINE)
    assert cmd and "--access-logfile" not in yaml.safe_load(cmd.group(1))


def test_web_healthcheck_hits_a_route_of_the_app(
    services: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    web = services["web"]
    test = web["healthcheck"]["test"]
    text = test if isinstance(test, str) else " ".join(str(t) for t in test)
    assert "curl" not in text and "wget" not in text, "python:3.11-slim has neither curl nor wget"
    urls = re.findall(r"https?://[^\s'\"]+", text)
    assert len(urls) == 1, f"expected one URL in the healthcheck, got {urls}"
    url = urlparse(urls[0])
    bind = option(argv(web), "--bind", "-b")
    assert url.port == int(bind.rsplit(":", 1)[1]), f"healthcheck port {url.port} != bind {bind}"

    for var in ("DATABASE_URL", "CELERY_BROKER_URL", "UPPFOLJNING_ENV", "SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("UPPFOLJNING_INSTANCE", str(tmp_path))
    from webapp import create_app
    from webapp.config import Config

    app = create_app(Config())
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert url.path in rules, f"{url.path} is not a route of the app"
    # Readiness, not mere liveness: a web container that cannot reach its database is unhealthy.
    assert url.path == "/readyz"
    from webapp.health import TIMEOUT_SECONDS

    timeouts = [float(t) for t in re.findall(r"timeout=(\d+(?:\.\d+)?)", text)]
    assert timeouts and timeouts[0] > TIMEOUT_SECONDS, "the probe must outwait /readyz's checks"
    assert in_secs(web["healthcheck"]["timeout"]) > timeouts[0]


def test_production_refuses_to_start_without_a_secret(project_services: dict) -> None:
    for name, svc in project_services.items():
        env = svc.get("environment")
        assert isinstance(env, dict), f"{name}: environment must be a mapping (the shared anchor)"
        assert env.get("UPPFOLJNING_ENV") == "production", name
        secret = str(env.get("SECRET_KEY", ""))
        assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", secret), (
            f"{name}: SECRET_KEY must be ${{SECRET_KEY:?...}} so compose refuses without it"
        )
        assert env.get("UPPFOLJNING_INSTANCE", "").startswith("/tmp/"), name


def test_app_database_password_matches_the_db_service(services: dict, project_services: dict) -> None:
    password = services["db"]["environment"]["POSTGRES_PASSWORD"]
    assert services["db"]["environment"]["POSTGRES_DB"] == "uppfoljning"
    assert services["db"]["environment"]["POSTGRES_USER"] == "uppfoljning"
    expected = f"postgresql+psycopg://uppfoljning:{password}@db:5432/uppfoljning"
    for name, svc in project_services.items():
        assert svc["environment"]["DATABASE_URL"] == expected, name
        assert svc["environment"]["CELERY_BROKER_URL"].startswith("redis://redis:"), name


def test_production_cookies_are_secure_by_default(project_services: dict) -> None:
    """Issue 16: every app service passes the production check; the session cookie is
    https-only unless the one starting compose overrides it on purpose."""
    for name, svc in project_services.items():
        env = svc["environment"]
        assert re.fullmatch(r"\$\{SESSION_COOKIE_SECURE:-(1|true)\}|1|true",
                            str(env.get("SESSION_COOKIE_SECURE", ""))), name
        assert "SERVED_OVER_PLAIN_HTTP" not in env, name

# --- the proxy in front of web, and what `make compose-test` runs ---------------------------------

CADDYFILE = ROOT / "deploy" / "Caddyfile"
STANDINS_FILE = ROOT / "tests" / "compose" / "docker-compose.standins.yml"


def test_web_publishes_no_host_port_so_it_scales_behind_the_proxy(services: dict) -> None:
    """`--scale web=2` fails on a fixed host port; the proxy is the one way in."""
    assert "ports" not in services["web"]
    bind_port = option(argv(services["web"]), "--bind", "-b").rsplit(":", 1)[1]
    assert [str(p) for p in services["web"].get("expose", [])] == [bind_port]
    proxy = services["proxy"]
    assert any(str(p).endswith(":443") for p in proxy["ports"]), proxy["ports"]
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"


def test_the_proxy_config_is_mounted_and_spreads_over_every_web_container(services: dict) -> None:
    mounts = services["proxy"]["volumes"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in mounts
    assert (COMPOSE_FILE.parent / "deploy" / "Caddyfile").is_file()
    assert "/etc/caddy/Caddyfile" in services["proxy"]["command"]
    text = CADDYFILE.read_text(encoding="utf-8")
    bind_port = option(argv(services["web"]), "--bind", "-b").rsplit(":", 1)[1]
    # Every A record of `web` (one per container), re-read, not one address fixed at start.
    assert re.search(rf"dynamic a web {bind_port}\b", text), text


def test_sessions_are_https_only_behind_the_tls_proxy(project_services: dict) -> None:
    for name, svc in project_services.items():
        env = svc["environment"]
        assert str(env.get("SESSION_COOKIE_SECURE")).lower() in ("1", "true"), name
        assert str(env["PUBLIC_URL"]).split(":-", 1)[-1].startswith("https://"), name
        assert env.get("TRUSTED_PROXY_HOPS") == "1", name


def test_the_compose_test_override_only_swaps_images(services: dict) -> None:
    """make compose-test runs the production file itself; the override may change nothing
    but where an image comes from."""
    with STANDINS_FILE.open(encoding="utf-8") as fh:
        override = yaml.safe_load(fh)
    assert set(override) == {"services"}
    for name, svc in override["services"].items():
        assert name in services, f"the override names an unknown service {name!r}"
        assert set(svc) == {"image"}, f"{name}: the override changes {sorted(set(svc) - {'image'})}"
        assert "build" not in services[name]


def test_dockerfile_base_image_is_an_argument_defaulting_to_python_slim() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^ARG BASE_IMAGE=python:3\.11-slim$", text, re.MULTILINE)
    froms = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert froms == ["${BASE_IMAGE}"], froms

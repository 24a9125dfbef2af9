"""Static checks of the monitoring stack: Prometheus (scrape config, alert rules and their
unit tests, checked by promtool) and Grafana (dashboards built by the generator, valid PromQL,
provisioning mounted as Compose says). No daemon is started.
"""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support import monitoring
from tests.support.compose import REPO, SERVICES, service
from tests.support.monitoring import DASHBOARDS_DIR, GRAFANA_DIR, PROMETHEUS_DIR

PROMTOOL = Path("/usr/bin/promtool")
# Issue #5: service down, lag growing, DLQ not empty, outbox backlog old, mail failures.
REQUIRED_ALERTS = ("ServiceDown", "ServiceMissing", "ConsumerLagGrowing", "ConsumerLagUnknown", "DeadLetters",
                   "DeadLetterTopicNotEmpty", "OutboxBacklogOld", "MailFailureRateHigh")


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if not PROMTOOL.exists():
        pytest.fail("install promtool: apt-get install -y --no-install-recommends prometheus")
    return subprocess.run(
        [str(PROMTOOL), *args], cwd=REPO, capture_output=True, text=True, timeout=60
    )


# (5): Prometheus scrapes exactly the four services, every replica (DNS discovery).


def test_prometheus_scrapes_the_four_services() -> None:
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text(encoding="utf-8"))
    targets = set()
    for job in config["scrape_configs"]:
        assert job.get("metrics_path", "/metrics") == "/metrics"
        for discovery in job["dns_sd_configs"]:
            assert discovery["type"] == "A"
            assert discovery["names"] == [job["job_name"]]  # the Compose service name
            targets.update(f"{name}:{discovery['port']}" for name in discovery["names"])
    assert targets == {f"{name}:{port}" for name, port in SERVICES.items()}
    assert config["rule_files"] == ["alerts.yml"]


# (7): promtool.


def test_promtool_check_config() -> None:
    result = run_promtool("check", "config", "deploy/prometheus/prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_rules() -> None:
    result = run_promtool("check", "rules", "deploy/prometheus/alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    names = {rule["alert"] for rule in monitoring.alert_rules()}
    assert set(REQUIRED_ALERTS) <= names


def test_promtool_unit_tests_of_the_alert_rules_pass() -> None:
    result = run_promtool("test", "rules", "deploy/prometheus/alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_unit_test_that_makes_it_fire_and_one_that_does_not() -> None:
    tests = yaml.safe_load((PROMETHEUS_DIR / "alerts.test.yml").read_text(encoding="utf-8"))["tests"]
    cases = [case for test in tests for case in test["alert_rule_test"]]
    for rule in monitoring.alert_rules():
        mine = [case for case in cases if case["alertname"] == rule["alert"]]
        assert any(case["exp_alerts"] for case in mine), f"{rule['alert']}: no test where it fires"
        assert any(not case["exp_alerts"] for case in mine), f"{rule['alert']}: no test where it stays quiet"


def test_every_alert_says_how_bad_and_what_happened() -> None:
    for rule in monitoring.alert_rules():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


# (8): Grafana.


def test_dashboards_are_built_from_the_generator() -> None:
    spec = importlib.util.spec_from_file_location("build_dashboards", GRAFANA_DIR / "build_dashboards.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    built = builder.build()
    assert set(built) == {path.name for path in DASHBOARDS_DIR.glob("*.json")}
    for name, dashboard in built.items():
        on_disk = (DASHBOARDS_DIR / name).read_text(encoding="utf-8")
        assert on_disk == builder.render(dashboard), f"{name} is stale: python deploy/grafana/build_dashboards.py"


def test_a_dashboard_per_service_and_an_overview() -> None:
    dashboards = monitoring.dashboards()
    assert set(dashboards) == {"platform-overview.json", *(f"{name}.json" for name in SERVICES)}
    uids = [dashboard["uid"] for dashboard in dashboards.values()]
    assert len(set(uids)) == len(uids)
    for name in SERVICES:
        variable = dashboards[f"{name}.json"]["templating"]["list"][0]
        assert variable["query"]["query"] == f'label_values(up{{job="{name}"}}, instance)'


def test_grafana_dashboards_are_well_formed() -> None:
    datasources = yaml.safe_load((GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uid = datasources["datasources"][0]["uid"]
    for name, dashboard in monitoring.dashboards().items():
        assert dashboard["title"] and dashboard["schemaVersion"] >= 36, name
        panels = dashboard["panels"]
        assert panels, name
        assert len({panel["id"] for panel in panels}) == len(panels), f"{name}: panel ids repeat"
        for panel in panels:
            where = f"{name}: panel {panel['title']!r}"
            grid = panel["gridPos"]
            assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24 and grid["h"] > 0, where
            assert panel["datasource"]["uid"] == uid, where
            assert panel["targets"], f"{where} has no targets"
            for target in panel["targets"]:
                assert target["expr"].strip(), where
                assert target["datasource"]["uid"] == uid, where
                assert monitoring.metric_names(monitoring.substitute(target["expr"])), f"{where}: reads no metric"


def test_every_dashboard_query_is_valid_promql(tmp_path) -> None:  # noqa: ANN001
    """Grafana has no offline validator: each query (variables substituted) becomes a recording
    rule, and promtool parses it the way Prometheus will."""
    queries = monitoring.dashboard_queries()
    rules = {"groups": [{"name": "dashboards", "rules": [
        {"record": f"dashboard_query_{number}", "expr": query.expr} for number, query in enumerate(queries)]}]}
    path = tmp_path / "dashboard_queries.yml"
    path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    result = run_promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr + "\n" + "\n".join(
        f"dashboard_query_{n}: {q.origin}: {q.expr}" for n, q in enumerate(queries))
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout


def test_grafana_provisioning_matches_the_compose_mounts() -> None:
    providers = yaml.safe_load((GRAFANA_DIR / "provisioning" / "dashboards" / "dashboards.yml").read_text())
    path = providers["providers"][0]["options"]["path"]
    mounts = [str(volume) for volume in service("grafana")["volumes"]]
    assert f"./deploy/grafana/dashboards:{path}:ro" in mounts
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in mounts
    assert "./deploy/prometheus:/etc/prometheus:ro" in [str(volume) for volume in service("prometheus")["volumes"]]

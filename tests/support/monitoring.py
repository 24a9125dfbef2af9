"""The PromQL in deploy/ (alert rules, Grafana dashboards) as data for tests: every query with
Grafana's variables substituted, and the metric names a query reads."""

import json
import re
from dataclasses import dataclass

import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.support.compose import REPO

PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
GRAFANA_DIR = REPO / "deploy" / "grafana"
DASHBOARDS_DIR = GRAFANA_DIR / "dashboards"

# Grafana's built-in and our template variables, replaced by what Prometheus would receive.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h", "$instance": ".*"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
            "inf", "nan", "atan2"}
SYNTHETIC = {"up"}  # written by Prometheus for every target, not exported by a service


@dataclass(frozen=True)
class Query:
    origin: str  # "offers.json: Consumer-Lag je Topic und Partition" or "alerts.yml: ServiceDown"
    expr: str


def substitute(expr: str) -> str:
    for name in sorted(GRAFANA_VARIABLES, key=len, reverse=True):
        expr = expr.replace(name, GRAFANA_VARIABLES[name])
    assert "$" not in expr, f"unknown Grafana variable in {expr!r}"
    return expr


def dashboards() -> dict[str, dict]:
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(DASHBOARDS_DIR.glob("*.json"))}


def dashboard_queries() -> list[Query]:
    queries = []
    for name, dashboard in dashboards().items():
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                queries.append(Query(f"{name}: {panel['title']} [{target['refId']}]", substitute(target["expr"])))
        for variable in dashboard.get("templating", {}).get("list", []):
            match = re.fullmatch(r"label_values\((.+),\s*\w+\)", variable["query"]["query"])
            assert match, f"{name}: variable {variable['name']} is not label_values(selector, label)"
            queries.append(Query(f"{name}: variable {variable['name']}", match.group(1)))
    return queries


def alert_rules() -> list[dict]:
    rules = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text(encoding="utf-8"))
    return [rule for group in rules["groups"] for rule in group["rules"]]


def alert_queries() -> list[Query]:
    return [Query(f"alerts.yml: {rule['alert']}", rule["expr"]) for rule in alert_rules()]


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (not functions, keywords, labels or durations)."""
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', '""', expr)  # string literals
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call or name in KEYWORDS:
            continue
        names.add(name)
    return names


def series_names(metrics_text: str) -> set[str]:
    """The series names Prometheus stores from a scrape: the sample names of the text format,
    suffixes included (`npa_x_bucket`, `_sum`, `_count`, `npa_y_total`), exactly what a query selects."""
    return {sample.name for family in text_string_to_metric_families(metrics_text) for sample in family.samples}

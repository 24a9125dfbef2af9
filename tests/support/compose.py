"""The production Compose file as the static checks read it (tests/integration/test_compose.py,
test_monitoring_config.py)."""

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
# DESIGN.md, "HTTP contract": default ports.
SERVICES = {"actors": 8001, "offers": 8002, "notifications": 8003, "reports": 8004}


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def service(name: str) -> dict:
    return load_compose()["services"][name]

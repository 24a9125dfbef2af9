from pathlib import Path

from npa.infrastructure.host import serve
from services.reports.app import create_app

serve("reports", create_app, Path(__file__).parent / "migrations")

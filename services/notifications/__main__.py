from pathlib import Path

from npa.infrastructure.host import serve
from services.notifications.app import create_app

serve("notifications", create_app, Path(__file__).parent / "migrations")

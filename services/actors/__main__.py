from pathlib import Path

from npa.infrastructure.host import serve
from services.actors.app import create_app

serve("actors", create_app, Path(__file__).parent / "migrations")

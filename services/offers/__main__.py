from pathlib import Path

from npa.infrastructure.host import serve
from services.offers.app import create_app

serve("offers", create_app, Path(__file__).parent / "migrations")

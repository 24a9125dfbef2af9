"""Templates and lookups the offers service's editor pages share."""

from pathlib import Path

from sqlmodel import Session, select

from npa.infrastructure.pages import make_templates
from services.offers.models import KnownActor

templates = make_templates(Path(__file__).resolve().parents[1])


def active_actors(session: Session) -> list[KnownActor]:
    """Actors to choose from (this service's copy of the registry), by name."""
    query = select(KnownActor).where(KnownActor.active).order_by(KnownActor.name)  # type: ignore[arg-type]
    return list(session.exec(query).all())

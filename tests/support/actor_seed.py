"""Bulk actor rows as services.actors.store would write them (one request each would take minutes)."""

import random
import uuid

from sqlalchemy import insert
from sqlmodel import Session

from npa.contracts.reference import FIELDS, districts
from npa.infrastructure.outbox import utcnow
from services.actors import domain
from services.actors.models import Actor, ActorDistrict, ActorField

WORDS = ["Verein", "Zentrum", "Café", "Ökumenisch", "Netzwerk", "Frauen", "Sprachpaten", "Jobbrücke", "Hilfe", "Treff"]


def seed(session: Session, count: int) -> None:
    rng = random.Random(7)
    keys, now = sorted(districts()), utcnow()
    actors, actor_districts, actor_fields = [], [], []
    for number in range(count):
        actor_id, name, description = str(uuid.uuid4()), f"{rng.choice(WORDS)} {rng.choice(WORDS)} {number}", \
            " ".join(rng.sample(WORDS, 4))
        actors.append({"id": actor_id, "version": 1, "name": name, "kind": rng.choice(domain.KINDS),
                       "description": description, "is_multiplier": rng.random() < 0.2, "active": rng.random() < 0.95,
                       "sort_name": domain.sort_name(name), "search_text": domain.search_text(name, description),
                       "created_at": now, "updated_at": now})
        if rng.random() > 0.05:
            actor_districts += [{"actor_id": actor_id, "district": key} for key in rng.sample(keys, rng.randint(1, 3))]
        actor_fields += [{"actor_id": actor_id, "field": slug} for slug in rng.sample(list(FIELDS), rng.randint(1, 3))]
    session.exec(insert(Actor), params=actors)
    session.exec(insert(ActorDistrict), params=actor_districts)
    session.exec(insert(ActorField), params=actor_fields)
    session.commit()

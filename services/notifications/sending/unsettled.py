"""Leases a failed round could not give back, given back as soon as the database answers.

A claim commits its lease and then reads what the mails need; the database going away between
the two (a PostgreSQL restart, `make faults` scenario 4) left the claimed rows leased for the
whole lease (120 s) with no round holding them. The same happened to the untried rest of a
round whose release failed. The sender notes both here, and its next round starts by giving
them back; until that succeeds the round fails and is retried with backoff, as it would have.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from npa.infrastructure.outbox import utcnow
from services.notifications.usecases import outcomes


@dataclass
class UnsettledLeases:
    engine: Engine
    # token → the delivery ids to give back and when they are due; None: every row still under it
    _held: dict[str, tuple[list[str] | None, datetime]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self._held)

    def claim_failed(self, token: str) -> None:
        """A claim under `token` raised: whether its lease was committed is unknown, and no
        round will send what it took, so everything under the token is due again at once."""
        self._held[token] = (None, utcnow())

    def give_back(self, token: str, delivery_id: str, when: datetime) -> None:
        ids, _ = self._held.get(token, ([], when))
        if ids is not None:  # None: the whole claim is already noted
            ids.append(delivery_id)
            self._held[token] = (ids, when)

    def settle(self) -> int:
        """Give every noted lease back in one transaction (raises while the database is away,
        keeping them noted); returns how many rows were given back."""
        if not self._held:
            return 0
        with Session(self.engine) as session:
            count = sum(outcomes.release(session, token, when, ids) for token, (ids, when) in self._held.items())
            session.commit()
        self._held.clear()
        return count

"""Leases owned by sender instances (ADR 8), on SQLite and PostgreSQL: the mails a dead sender
had claimed are due again as soon as another sender looks, those of a live one are not."""

from datetime import timedelta

from sqlmodel import Session, select

from npa.infrastructure.outbox import utcnow
from services.notifications import domain
from services.notifications.models import Delivery
from services.notifications.sending.owners import SenderIdentity
from services.notifications.usecases.claims import claim_due
from tests.support.notifications import apply, notifications_runtime, offer_event, subscribe

NOW = utcnow() - timedelta(minutes=1)


def leased(engine, token_prefix: str) -> list[Delivery]:  # noqa: ANN001
    with Session(engine) as session:
        return [d for d in session.exec(select(Delivery).where(Delivery.status == domain.DELIVERY_PENDING))
                if (d.claim_token or "").startswith(token_prefix)]


async def test_a_dead_senders_mails_are_due_again_and_a_live_ones_stay_leased(database_url):  # noqa: ANN001
    with notifications_runtime(database_url) as runtime:
        for number in range(6):
            subscribe(runtime, f"reader{number}@example.org", NOW)
        await apply(runtime, offer_event())
        engine = runtime.engine
        alive, dying, looking = SenderIdentity(engine), SenderIdentity(engine), SenderIdentity(engine)
        assert alive.maintain() == 0 and dying.maintain() == 0  # each holds its own lease now
        with Session(engine, expire_on_commit=False) as session:
            mine = claim_due(session, utcnow(), limit=6, lease=timedelta(seconds=120), token=alive.new_token())
            theirs = claim_due(session, utcnow(), limit=50, lease=timedelta(seconds=120), token=dying.new_token())
        assert len(mine) == 6 and len(theirs) >= 6  # alerts and confirmations
        assert len(alive.new_token()) <= 36

        dying.release()  # what the kernel or the server does when its process dies
        assert looking.maintain() == len(theirs)
        assert leased(engine, dying.instance) == []
        assert len(leased(engine, alive.instance)) == 6  # a live sender keeps its mails
        with Session(engine) as session:  # and the dead one's are due now
            due = claim_due(session, utcnow(), limit=100, lease=timedelta(seconds=120), token=looking.new_token())
        assert {mail.delivery.id for mail in due} == {mail.delivery.id for mail in theirs}
        for identity in (alive, looking):
            identity.release()

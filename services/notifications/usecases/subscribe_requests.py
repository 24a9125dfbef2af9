"""A subscribe request, from the API or the form: counted against the throttles, then the
subscription requested. Unlike the other use cases it owns its transactions: the count is
committed on its own, so a refused request changes nothing else but still counts (ADR 20)."""

from sqlalchemy.exc import IntegrityError

from npa.infrastructure import throttle
from npa.infrastructure.outbox import utcnow
from npa.infrastructure.runtime import ServiceRuntime
from services.notifications import domain
from services.notifications.usecases.subscriptions import request_subscription


def count_subscribe_request(runtime: ServiceRuntime, client: str, email: str) -> None:
    """Per address and per client, in the database (ADR 20): raises throttle.Throttled."""
    config, secret = runtime.config, runtime.settings.secret_key
    with runtime.transaction() as session:
        try:
            throttle.hit(session, [(config.subscribe_per_address, throttle.subject_key(secret, domain.normalise_email(email))),
                                   (config.subscribe_per_client, throttle.subject_key(secret, client))])
        finally:
            session.commit()


def submit_subscription(runtime: ServiceRuntime, client: str, email: str, preferences: dict) -> None:
    """The outcome is the same whatever the address's state. Raises throttle.Throttled when the
    address or the client asked too often."""
    count_subscribe_request(runtime, client, email)
    for attempt in (1, 2):
        try:
            with runtime.transaction() as session:
                request_subscription(session, email, preferences, utcnow())
                session.commit()
            break
        except IntegrityError:
            if attempt == 2:  # the second try finds the row a concurrent request for this address created
                raise RuntimeError("concurrent subscribe requests collided twice") from None
    runtime.wake_sender.set()

"""Wiring of the notifications service: settings, runtime, sender and schedulers, routers."""

from fastapi import FastAPI

from npa.contracts import topics
from npa.infrastructure.runtime import ServiceRuntime
from npa.infrastructure.service_defaults import create_service_app
from npa.infrastructure.settings import Settings, load_settings
from npa.infrastructure.wakeup import Wakeup
from services.notifications import api, handlers, pages, scheduler
from services.notifications.config import NotificationsConfig
from services.notifications.mails import MailRenderer
from services.notifications.sending import DeliverySender
from services.notifications.tokens import SubscriberTokens


class NotificationsRuntime(ServiceRuntime):
    """The shared runtime plus what the pages and tests reach: tokens, sender, config."""

    def __init__(self, settings: Settings, config: NotificationsConfig) -> None:
        self.wake_sender = Wakeup()
        super().__init__(settings, handlers.HANDLERS, publishes=(topics.NOTIFICATIONS,))
        self.on_consumer_commit(self.wake_sender.set)
        self.config = config
        self.tokens = SubscriberTokens(settings.secret_key)
        renderer = MailRenderer(mail_from=settings.mail_from, base_url=settings.public_base_url, signer=self.tokens,
                                actors_base_url=settings.public_base_urls.get("actors", ""))
        self.sender = DeliverySender(self.engine, settings, renderer, config.sender, self.wake_sender,
                                     on_staged=self.relay.wake)
        self.add_worker("mail-sender", self.sender.run)
        self.add_worker("digests", scheduler.every(
            "digests queued", config.digest_check_seconds,
            lambda: scheduler.build_digests_now(self.engine, config.schedule),
            after=lambda _count: self.wake_sender.set()))
        self.add_worker("purge-unconfirmed", scheduler.every(
            "unconfirmed requests purged", config.purge_interval_seconds,
            lambda: scheduler.purge_now(self.engine)))


def create_app(settings: Settings | None = None, config: NotificationsConfig | None = None) -> FastAPI:
    runtime = NotificationsRuntime(settings or load_settings("notifications"), config or NotificationsConfig.from_env())
    return create_service_app(
        runtime,
        title="NPA Benachrichtigungen / Notifications",
        description="Subscriptions with double opt-in, e-mail alerts and digests; publishes npa.notifications.v1.",
        routers=[api.router, pages.router],
    )

"""Wiring of the notifications service: settings, runtime, sender and periodic workers, routers."""

from datetime import timedelta

from fastapi import FastAPI

from npa.contracts import topics
from npa.infrastructure.runtime import ServiceRuntime
from npa.infrastructure.scrub import Scrubber
from npa.infrastructure.service_defaults import create_service_app
from npa.infrastructure.settings import Settings, load_settings
from npa.infrastructure.wakeup import Wakeup
from services.notifications import api, handlers, pages, workers
from services.notifications.config import NotificationsConfig
from services.notifications.mails import MailRenderer
from services.notifications.sending import DeliverySender
from services.notifications.tokens import SubscriberTokens
from services.notifications.usecases.retention import RetentionPolicy

# Tables whose rows name or point at a subscriber: scrubbed from the files after an erasure.
PERSONAL_TABLES = ("subscriptions", "subscription_targets", "consents", "deliveries", "digests", "digest_items")


class NotificationsRuntime(ServiceRuntime):
    """The shared runtime plus what the pages and tests reach: tokens, sender, config."""

    def __init__(self, settings: Settings, config: NotificationsConfig) -> None:
        self.wake_sender = Wakeup()
        super().__init__(settings, handlers.HANDLERS, publishes=(topics.NOTIFICATIONS,))
        self.on_consumer_commit(self.wake_sender.set)
        self.config = config
        self.tokens = SubscriberTokens(settings.secret_key, manage_max_age=timedelta(days=config.manage_link_days))
        renderer = MailRenderer(mail_from=settings.mail_from, mail_from_name=settings.mail_from_name, base_url=settings.public_base_url, signer=self.tokens,
                                actors_base_url=settings.public_base_urls.get("actors", ""))
        self.sender = DeliverySender(self.engine, settings, renderer, config.sender, self.wake_sender,
                                     on_staged=self.relay.wake)
        self.add_worker("mail-sender", self.sender.run)
        self.scrubber = Scrubber(self.engine, PERSONAL_TABLES, rewrite_tables=("subscriptions",),
                                 rewrite_interval_seconds=config.erasure_rewrite_hours * 3600)
        self.add_worker("erasure-scrub", self.scrubber.run)
        self.retention = RetentionPolicy(config.retention(settings.inbox_retention_hours))
        for name, run in workers.workers(self.engine, config, self.retention, settings.retention_interval_seconds,
                                         self.wake_sender.set, self.scrubber.request).items():
            self.add_worker(name, run)


def create_app(settings: Settings | None = None, config: NotificationsConfig | None = None) -> FastAPI:
    runtime = NotificationsRuntime(settings or load_settings("notifications"), config or NotificationsConfig.from_env())
    return create_service_app(
        runtime,
        title="NPA Benachrichtigungen / Notifications",
        description="Subscriptions with double opt-in, e-mail alerts and digests; publishes npa.notifications.v1.",
        routers=[api.router, pages.router],
    )

"""Wiring of the notifications service: settings, runtime with its mail sender, routers."""

from fastapi import FastAPI

from npa.contracts import topics
from npa.infrastructure.runtime import ServiceRuntime
from npa.infrastructure.service_defaults import create_service_app
from npa.infrastructure.settings import Settings, load_settings
from npa.infrastructure.wakeup import Wakeup
from services.notifications import api, handlers, pages
from services.notifications.mails import MailRenderer
from services.notifications.sender import DeliverySender, SenderPolicy
from services.notifications.tokens import SubscriberTokens


class NotificationsRuntime(ServiceRuntime):
    """The shared runtime plus the mail sender, which starts and stops with it."""

    def __init__(self, settings: Settings) -> None:
        self.wake_sender = Wakeup()
        super().__init__(settings, handlers.subscriptions(self.wake_sender.set), publishes=(topics.NOTIFICATIONS,))
        self.tokens = SubscriberTokens(settings.secret_key)
        renderer = MailRenderer(mail_from=settings.mail_from, base_url=settings.public_base_url, signer=self.tokens)
        self.sender = DeliverySender(self.engine, settings, renderer, SenderPolicy.from_env(), self.wake_sender,
                                     on_staged=self.relay.wake)

    async def start(self) -> None:
        await super().start()
        self.sender.start()

    async def stop(self) -> None:
        await self.sender.stop()
        await super().stop()


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = NotificationsRuntime(settings or load_settings("notifications"))
    return create_service_app(
        runtime,
        title="NPA Benachrichtigungen / Notifications",
        description="Subscriptions with double opt-in and e-mail alerts; publishes npa.notifications.v1.",
        routers=[api.router, pages.router],
    )

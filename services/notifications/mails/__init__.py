"""The mails: templates rendered once per item, completed per recipient as wire-ready bytes."""

from services.notifications.mails.headers import MAIL_POLICY  # noqa: F401
from services.notifications.mails.renderer import MailRenderer, RenderedMail  # noqa: F401

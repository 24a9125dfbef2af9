"""Sending mails: the sender worker, its SMTP connection pool and its outcome recorder."""

from services.notifications.sending.sender import DeliverySender  # noqa: F401

"""Notifications: subscriptions with double opt-in and e-mail alerts (`npa.notifications.v1`)."""
